// Prompt size before a chat job runs: a real BPE tokenizer (o200k) for ordinary prompts; for very
// long ones, where exact counting would stall the event loop, the tokenizer's rate on slices spread
// over the text, with a margin.
import type { ChatRequest } from '../tasks/chat';
import { o200k } from '../tokenizer/o200k';

const EXACT_LIMIT_CHARS = 16_000;
const SAMPLE_SLICES = 8;
const SLICE_CHARS = 2_000;
/** Slices of one text tokenize within a few percent of the whole; this covers the rest, erring high. */
const SAMPLE_MARGIN = 1.1;
/** Tokens charged for an image part, about what a 1024×1024 high-detail image costs on vision models. */
export const IMAGE_PART_TOKENS = 1_100;
/** Per-message overhead of chat templates (role markers, separators). */
const MESSAGE_OVERHEAD_TOKENS = 4;

export async function estimateTextTokens(text: string): Promise<number> {
  const tokenizer = await o200k();
  if (text.length <= EXACT_LIMIT_CHARS) return tokenizer.count(text);
  // A fixed bound (bytes / 3) ran 30-60 % over on prose, enough to refuse prompts that fit a model's
  // window and to over-bill long cut streams; sampling measures this text's own rate.
  const step = Math.floor((text.length - SLICE_CHARS) / (SAMPLE_SLICES - 1));
  let sampledTokens = 0;
  for (let i = 0; i < SAMPLE_SLICES; i++) sampledTokens += tokenizer.count(text.slice(i * step, i * step + SLICE_CHARS));
  return Math.ceil(((text.length * sampledTokens) / (SAMPLE_SLICES * SLICE_CHARS)) * SAMPLE_MARGIN);
}

export async function estimatePromptTokens(request: ChatRequest): Promise<number> {
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
  return tokens + (await estimateTextTokens(text));
}
