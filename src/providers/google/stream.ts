// Gemini's SSE stream → OpenAI chat.completion.chunk objects. Each event is a whole
// GenerateContentResponse holding the next parts and the running usage; there is no [DONE], so
// the end is the chunk that carries a finishReason, and a stream that stops before one is cut.
import { z } from 'zod';
import { UpstreamError } from '../../errors';
import type { ChatCompletionChunk } from '../../tasks/chat';
import { truncatedStream, type SseEvent } from '../shared/sse';
import { parseUpstreamJson } from '../shared/upstream';
import { GeminiResponse, GoogleErrorBody, blockedPrompt, googleStreamError, type GeminiUsage } from './api';
import { answerText, chatUsage, completionId, finishReason, toolCallsOf } from './response';

const EventHead = z.looseObject({ error: z.unknown().optional() });

type Choice = ChatCompletionChunk['choices'][number];

interface ChoiceState {
  started: boolean;
  toolCalls: number;
  finished: boolean;
}

export async function* geminiChunks(events: AsyncIterable<SseEvent>, fallbackModel: string): AsyncGenerator<ChatCompletionChunk> {
  try {
    yield* translate(events, fallbackModel);
  } catch (error) {
    // A connection dropped after the 200 is a cut stream, whatever the socket layer called it.
    if (error instanceof UpstreamError && error.kind === 'connect') throw truncatedStream('google');
    throw error;
  }
}

async function* translate(events: AsyncIterable<SseEvent>, fallbackModel: string): AsyncGenerator<ChatCompletionChunk> {
  let id: string | null = null;
  let model = fallbackModel;
  const created = Math.floor(Date.now() / 1000);
  let usage: GeminiUsage | undefined;
  const states = new Map<number, ChoiceState>();

  for await (const sse of events) {
    if (!sse.data) continue;
    const data = parseUpstreamJson('google', sse.data, EventHead);
    if (data.error !== undefined) throw streamError(data);
    const response = validate(GeminiResponse, data);
    if (response.promptFeedback?.blockReason && !response.candidates?.length) throw blockedPrompt(response.promptFeedback);
    id ??= completionId(response);
    model = response.modelVersion ?? model;
    usage = response.usageMetadata ?? usage;

    const choices: Choice[] = [];
    for (const [position, candidate] of (response.candidates ?? []).entries()) {
      const index = candidate.index ?? position;
      const state = states.get(index) ?? { started: false, toolCalls: 0, finished: false };
      states.set(index, state);
      const parts = candidate.content?.parts ?? [];
      const delta: Choice['delta'] = {};
      if (!state.started) delta.role = 'assistant';
      state.started = true;
      const text = answerText(parts);
      if (text) delta.content = text;
      const calls = toolCallsOf(parts);
      if (calls.length) delta.tool_calls = calls.map((call) => ({ index: state.toolCalls++, ...call }));
      const finish = finishReason(candidate.finishReason, state.toolCalls > 0);
      if (finish) state.finished = true;
      if (Object.keys(delta).length || finish) choices.push({ index, delta, finish_reason: finish });
    }
    if (choices.length) yield { id, object: 'chat.completion.chunk', created, model, choices };
  }

  if (!states.size || [...states.values()].some((s) => !s.finished)) throw truncatedStream('google');
  yield { id: id ?? 'gen-unknown', object: 'chat.completion.chunk', created, model, choices: [], usage: chatUsage(usage) };
}

function streamError(data: unknown): UpstreamError {
  const parsed = GoogleErrorBody.safeParse(data);
  return parsed.success ? googleStreamError(parsed.data) : new UpstreamError('google', 'protocol', 'google sent an unreadable error mid-stream');
}

function validate<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new UpstreamError('google', 'protocol', `google sent an unexpected stream chunk: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
}
