// Together AI (https://docs.together.ai/reference/chat-completions-1): OpenAI's format on
// https://api.together.xyz/v1, with the token limit under `max_tokens` and no `developer` role.
import { openAICompatibleChat, type ChatHostProfile } from '../shared/openai-compatible';

export const togetherChatProfile: ChatHostProfile = {
  chatPath: 'chat/completions',
  maxTokensField: 'max_tokens',
  renameRoles: { developer: 'system' },
  streamUsage: 'include_usage',
  cachedTokens: 'prompt_tokens_details',
};

export const togetherChat = openAICompatibleChat(togetherChatProfile);
