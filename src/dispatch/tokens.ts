// Prompt size before a chat job runs: a real BPE tokenizer (o200k) for ordinary prompts, and a
// byte-based bound for very long ones, where exact counting would stall the event loop.
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import type { ChatRequest } from '../tasks/chat';

const EXACT_LIMIT_CHARS = 16_000;
/** Tokens charged for an image part, about what a 1024×1024 high-detail image costs on vision models. */
export const IMAGE_PART_TOKENS = 1_100;
/** Per-message overhead of chat templates (role markers, separators). */
const MESSAGE_OVERHEAD_TOKENS = 4;

export function estimateTextTokens(text: string): number {
  if (text.length <= EXACT_LIMIT_CHARS) return countTokens(text);
  // Almost no tokenizer makes a token of fewer than 3 UTF-8 bytes on ordinary text, so this errs high.
  return Math.ceil(Buffer.byteLength(text, 'utf8') / 3);
}

export function estimatePromptTokens(request: ChatRequest): number {
  let tokens = 3;
  let text = '';
  for (const message of request.messages) {
    tokens += MESSAGE_OVERHEAD_TOKENS;
    const content = 'content' in message ? message.content : null;
    if (typeof content === 'string') text += `${content}\n`;
    else if (Array.isArray(content)) {
      for (const part of content) {
        if (part.type === 'text') text += `${part.text}\n`;
        else tokens += IMAGE_PART_TOKENS;
      }
    }
    if (message.role === 'assistant' && message.tool_calls) text += JSON.stringify(message.tool_calls);
  }
  if (request.tools?.length) text += JSON.stringify(request.tools);
  if (request.response_format?.type === 'json_schema') text += JSON.stringify(request.response_format.json_schema);
  return tokens + estimateTextTokens(text);
}
