// Reads a chat completions SSE stream: `data: <chunk>` events ending with `data: [DONE]`. Comments
// (DeepSeek's `: keep-alive`) are skipped by the SSE reader; an error sent mid-stream, a chunk that
// does not parse, or an end without [DONE] throws UpstreamError.
import type { z } from 'zod';
import { UpstreamError } from '../../errors';
import type { ChatCompletionChunk, ChatUsage } from '../../tasks/chat';
import { conformTo } from './openai-chat-schemas';
import { readSse, truncatedStream, type SseEvent } from './sse';
import { upstreamErrorMessage } from './upstream';

/**
 * Yields each chunk in OpenAI's shape. When the host sent no usage at all, a last chunk with
 * `choices: []` carries usage measured from the text (`measure`), so billing always has totals.
 */
export async function* readChatStream(
  provider: string,
  body: AsyncIterable<Buffer | Uint8Array | string>,
  hostChunk: z.ZodType<ChatCompletionChunk>,
  measure: (output: string) => Promise<ChatUsage>,
): AsyncGenerator<ChatCompletionChunk> {
  let finished = false;
  let sawUsage = false;
  let output = '';
  let last: ChatCompletionChunk | null = null;
  for await (const event of eventsUntilCut(provider, body)) {
    if (event.data === '[DONE]') {
      finished = true;
      break;
    }
    if (!event.data) continue;
    const chunk = parseChunk(provider, event.data, hostChunk);
    if (chunk.usage) sawUsage = true;
    for (const choice of chunk.choices) {
      output += choice.delta.content ?? '';
      for (const call of choice.delta.tool_calls ?? []) output += (call.function?.name ?? '') + (call.function?.arguments ?? '');
    }
    last = chunk;
    yield chunk;
  }
  if (!finished) throw truncatedStream(provider);
  if (!sawUsage && last) {
    yield { id: last.id, object: 'chat.completion.chunk', created: last.created, model: last.model, choices: [], usage: await measure(output) };
  }
}

/** A connection dropped after the answer began is a truncated stream, not a failure to connect. */
async function* eventsUntilCut(provider: string, body: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<SseEvent> {
  try {
    yield* readSse(provider, body);
  } catch (error) {
    if (error instanceof UpstreamError && error.kind === 'connect') throw truncatedStream(provider);
    throw error;
  }
}

function parseChunk(provider: string, data: string, hostChunk: z.ZodType<ChatCompletionChunk>): ChatCompletionChunk {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw new UpstreamError(provider, 'protocol', `${provider} sent a stream chunk that is not JSON`);
  }
  const failure = streamFailure(json);
  if (failure !== null) {
    throw new UpstreamError(provider, 'protocol', `${provider} failed mid-stream: ${upstreamErrorMessage(data) ?? failure}`);
  }
  return conformTo(provider, hostChunk, json);
}

/** OpenAI-style hosts end a failing stream with `data: {"error": …}`; Groq also with `x_groq.error`. */
function streamFailure(json: unknown): string | null {
  if (typeof json !== 'object' || json === null) return null;
  const record = json as { error?: unknown; x_groq?: { error?: unknown } | null };
  if (record.error) return typeof record.error === 'string' ? record.error : 'stream error';
  if (typeof record.x_groq?.error === 'string' && record.x_groq.error) return record.x_groq.error;
  return null;
}
