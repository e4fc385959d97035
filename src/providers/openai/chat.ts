// OpenAI chat completions (https://platform.openai.com/docs/api-reference/chat): the format every
// other chat adapter translates to. `max_tokens` is deprecated there and refused by reasoning
// models, so a limit is always sent as `max_completion_tokens`.
import { openAICompatibleChat, type ChatHostProfile } from '../shared/openai-compatible';

export const openaiChatProfile: ChatHostProfile = {
  chatPath: 'chat/completions',
  maxTokensField: 'max_completion_tokens',
  streamUsage: 'include_usage',
  cachedTokens: 'prompt_tokens_details',
  // OPENAI_ORGANIZATION and OPENAI_PROJECT pick the account the usage is billed to.
  extraHeaders: { organization: 'openai-organization', project: 'openai-project' },
};

export const openaiChat = openAICompatibleChat(openaiChatProfile);
