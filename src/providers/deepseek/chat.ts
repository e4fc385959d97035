// DeepSeek (https://api-docs.deepseek.com/api/create-chat-completion): OpenAI's format on
// https://api.deepseek.com. Cached prompt tokens are reported as `usage.prompt_cache_hit_tokens`
// (billed at the cache-hit price). Under load it sends `: keep-alive` SSE comments before a stream
// and blank lines before a JSON answer; both are tolerated by the readers.
import { openAICompatibleChat, type ChatHostProfile } from '../shared/openai-compatible';

export const deepseekChatProfile: ChatHostProfile = {
  chatPath: 'chat/completions',
  maxTokensField: 'max_tokens',
  renameRoles: { developer: 'system' },
  streamUsage: 'include_usage',
  cachedTokens: 'prompt_cache_hit_tokens',
};

export const deepseekChat = openAICompatibleChat(deepseekChatProfile);
