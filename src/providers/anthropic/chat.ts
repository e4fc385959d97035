// The Anthropic chat adapter: OpenAI chat completions in, Anthropic Messages on the wire.
import type { ChatCompletionChunk } from '../../tasks/chat';
import { readSse } from '../shared/sse';
import { callJson, callUpstream } from '../shared/upstream';
import type { CallContext, ChatAdapter, ChatStream } from '../types';
import { AnthropicMessage, anthropicHeaders, anthropicMessagesUrl } from './api';
import { toAnthropicRequest } from './request';
import { anthropicUnits, toChatCompletion } from './response';
import { anthropicChunks } from './stream';

function call(body: Record<string, unknown>, ctx: CallContext) {
  return {
    provider: 'anthropic',
    url: anthropicMessagesUrl(ctx.credentials),
    headers: anthropicHeaders(ctx.credentials),
    body: JSON.stringify(body),
    timeoutMs: ctx.timeoutMs,
    signal: ctx.signal,
  };
}

export const anthropicChat: ChatAdapter = {
  async chat(request, ctx) {
    const { data } = await callJson(call(toAnthropicRequest(request, ctx, false), ctx), AnthropicMessage);
    return { result: toChatCompletion(data), units: anthropicUnits(data.usage) };
  },

  async chatStream(request, ctx) {
    const response = await callUpstream(call(toAnthropicRequest(request, ctx, true), ctx));
    const chunks = anthropicChunks(readSse('anthropic', response.body), ctx.providerModelId);
    // Reading message_start before handing the stream over lets an error that comes first
    // (overloaded, rate limited) fail the attempt while the dispatcher can still fall back.
    const first = await chunks.next();
    return withFirst(first.done ? null : first.value, chunks);
  },
};

function withFirst(first: ChatCompletionChunk | null, rest: AsyncGenerator<ChatCompletionChunk>): ChatStream {
  let pending = first;
  return {
    [Symbol.asyncIterator]: () => ({
      async next() {
        if (pending) {
          const value = pending;
          pending = null;
          return { value, done: false };
        }
        return rest.next();
      },
      async return() {
        pending = null;
        await rest.return(undefined);
        return { value: undefined, done: true };
      },
    }),
  };
}
