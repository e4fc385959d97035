// What every target of the benchmark is asked, and with which credentials.

/** The key the mock upstream expects, as OPENAI_API_KEY of the gateway and the Bearer of direct and Portkey calls. */
export const MOCK_API_KEY = 'sk-bench-mock';
/** OpenAI's name of the model the mock answers as. */
export const MOCK_MODEL = 'gpt-5-nano';
/** The same model in Switchyard's catalog; only OpenAI is configured, so only OpenAI (the mock) serves it. */
export const GATEWAY_MODEL = 'openai/gpt-5-nano';

const MESSAGES = [
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: 'Say hello in one short sentence.' },
];

/** A small ordinary chat request; `model` is the target's name for it. */
export function chatBody(model: string, stream = false): string {
  return JSON.stringify({ model, messages: MESSAGES, max_tokens: 64, ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}) });
}
