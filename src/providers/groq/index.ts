// Groq: OpenAI-compatible chat and Whisper transcription; Llama Guard moderation over its chat endpoint.
import type { ProviderAdapter } from '../types';
import { groqChat } from './chat';
import { groqModeration } from './moderation';
import { groqTranscription } from './transcription';

export const groqProvider: ProviderAdapter = {
  id: 'groq',
  defaultBaseUrl: 'https://api.groq.com/openai/v1',
  chat: groqChat,
  transcription: groqTranscription,
  moderation: groqModeration,
};
