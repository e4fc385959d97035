// Mistral chat (https://docs.mistral.ai/api/#tag/chat): OpenAI-shaped on https://api.mistral.ai/v1
// but strict: unknown fields answer 422, so only the fields of its ChatCompletionRequest are sent
// (mistralai/client-ts). The seed is `random_seed`; there is no `developer` role and no
// `stream_options` (the last chunk always carries usage); `model_length` is its "length".
import { openAICompatibleChat, type ChatHostProfile } from '../shared/openai-compatible';

export const mistralChatProfile: ChatHostProfile = {
  chatPath: 'chat/completions',
  maxTokensField: 'max_tokens',
  renameFields: { seed: 'random_seed' },
  acceptedFields: [
    'temperature',
    'top_p',
    'stop',
    'random_seed',
    'metadata',
    'response_format',
    'tools',
    'tool_choice',
    'presence_penalty',
    'frequency_penalty',
    'n',
    'prediction',
    'parallel_tool_calls',
    'reasoning_effort',
    'prompt_mode',
    'prompt_cache_key',
    'safe_prompt',
  ],
  droppedMessageFields: ['name', 'refusal'],
  renameRoles: { developer: 'system' },
  streamUsage: 'always',
  cachedTokens: 'prompt_tokens_details',
  finishReasons: { model_length: 'length' },
};

export const mistralChat = openAICompatibleChat(mistralChatProfile);
