// A local OpenAI-compatible server (Ollama, vLLM, llama.cpp …): keyless, routable once OLLAMA_BASE_URL is set.
import type { ProviderAdapter } from '../types';
import { ollamaChat } from './chat';

export const ollamaProvider: ProviderAdapter = {
  id: 'ollama',
  defaultBaseUrl: '',
  keyless: true,
  chat: ollamaChat,
};
