// Ollama's OpenAI compatibility (`OLLAMA_BASE_URL`, e.g. http://localhost:11434/v1), or any
// OpenAI-compatible local server. It reads `max_tokens` only and ignores the API key, which is
// sent anyway when set, for servers behind an authenticating proxy.
import { openAICompatibleChat, type ChatHostProfile } from '../shared/openai-compatible';

export const ollamaChatProfile: ChatHostProfile = {
  chatPath: 'chat/completions',
  maxTokensField: 'max_tokens',
  renameRoles: { developer: 'system' },
  streamUsage: 'include_usage',
  cachedTokens: 'prompt_tokens_details',
};

export const ollamaChat = openAICompatibleChat(ollamaChatProfile);
