// The Gemini chat adapter: OpenAI chat completions in, generateContent on the wire.
import { UpstreamError } from '../../errors';
import type { ChatCompletionChunk } from '../../tasks/chat';
import { readSse } from '../shared/sse';
import { callJson, callUpstream, type UpstreamCall } from '../shared/upstream';
import type { CallContext, ChatAdapter, ChatStream } from '../types';
import { GeminiResponse, blockedPrompt, geminiUrl, googleHeaders, withQuotaRetryDelay } from './api';
import { toGeminiRequest } from './request';
import { geminiUnits, toChatCompletion } from './response';
import { geminiChunks } from './stream';

function call(body: Record<string, unknown>, ctx: CallContext, stream: boolean): UpstreamCall {
  return {
    provider: 'google',
    url: geminiUrl(ctx.credentials, ctx.providerModelId, stream),
    headers: googleHeaders(ctx.credentials),
    body: JSON.stringify(body),
    timeoutMs: ctx.timeoutMs,
    signal: ctx.signal,
  };
}

export const googleChat: ChatAdapter = {
  async chat(request, ctx) {
    const { data } = await callJson(call(toGeminiRequest(request), ctx, false), GeminiResponse).catch((e: unknown) => {
      throw withQuotaRetryDelay(e);
    });
    if (!data.candidates?.length) {
      if (data.promptFeedback?.blockReason) throw blockedPrompt(data.promptFeedback);
      throw new UpstreamError('google', 'protocol', 'google answered without any candidate');
    }
    return { result: toChatCompletion(data, ctx.providerModelId), units: geminiUnits(data.usageMetadata) };
  },

  async chatStream(request, ctx) {
    const response = await callUpstream(call(toGeminiRequest(request), ctx, true)).catch((e: unknown) => {
      throw withQuotaRetryDelay(e);
    });
    const chunks = geminiChunks(readSse('google', response.body), ctx.providerModelId);
    // Reading the first event before handing the stream over turns a blocked prompt or an
    // immediate error into a failed attempt, while the dispatcher can still act on it.
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
