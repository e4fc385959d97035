// Groq (https://console.groq.com/docs/openai): OpenAI's format on https://api.groq.com/openai/v1.
// Its docs list fields that answer 400 when present (logprobs, logit_bias, top_logprobs,
// messages[].name). Streams carry usage in `x_groq.usage` on the finish chunk, and also in an extra
// `usage` chunk when `stream_options.include_usage` is asked for; either one is read.
import { openAICompatibleChat, type ChatHostProfile } from '../shared/openai-compatible';

export const groqChatProfile: ChatHostProfile = {
  chatPath: 'chat/completions',
  maxTokensField: 'max_completion_tokens',
  droppedFields: ['logprobs', 'logit_bias', 'top_logprobs'],
  droppedMessageFields: ['name'],
  streamUsage: 'include_usage',
  streamUsageAlso: 'x_groq',
  cachedTokens: 'prompt_tokens_details',
};

export const groqChat = openAICompatibleChat(groqChatProfile);
