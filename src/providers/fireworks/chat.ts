// Fireworks AI (https://docs.fireworks.ai/api-reference/post-chatcompletions): OpenAI's format on
// https://api.fireworks.ai/inference/v1, token limit under `max_tokens`, no `developer` role. Its
// streams put usage on the finish chunk; the adapter reads usage from whichever chunk carries it.
import { openAICompatibleChat, type ChatHostProfile } from '../shared/openai-compatible';

export const fireworksChatProfile: ChatHostProfile = {
  chatPath: 'chat/completions',
  maxTokensField: 'max_tokens',
  renameRoles: { developer: 'system' },
  streamUsage: 'include_usage',
  cachedTokens: 'prompt_tokens_details',
};

export const fireworksChat = openAICompatibleChat(fireworksChatProfile);
