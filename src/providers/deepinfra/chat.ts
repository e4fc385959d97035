// DeepInfra (https://deepinfra.com/docs/openai_api): OpenAI's format on
// https://api.deepinfra.com/v1/openai. Its usage adds `estimated_cost` (USD, a float); we bill on
// the token counts and our own catalog price, never on a float, so that field is not read.
import { openAICompatibleChat, type ChatHostProfile } from '../shared/openai-compatible';

export const deepinfraChatProfile: ChatHostProfile = {
  chatPath: 'chat/completions',
  maxTokensField: 'max_tokens',
  renameRoles: { developer: 'system' },
  streamUsage: 'include_usage',
  cachedTokens: 'prompt_tokens_details',
};

export const deepinfraChat = openAICompatibleChat(deepinfraChatProfile);
