// POST /v1/chat/completions — OpenAI's request and response, streamed or not, served by the cheapest
// healthy chat offering. The cost reaches the client as x-switchyard-cost-usd (buffered) and as
// usage.cost_usd (body, and the final usage chunk of a stream).
import { z } from 'zod';
import { HoldKeeper } from '../billing/hold-keeper';
import { CreditLeases } from '../billing/leases';
import { formatUsd, type Units } from '../catalog/price';
import type { Outcome } from '../dispatch/dispatcher';
import type { Job } from '../dispatch/job';
import { estimatePromptTokens, estimateTextTokens } from '../dispatch/tokens';
import { UpstreamError } from '../errors';
import { chatUnits } from '../providers/shared/openai-compatible';
import { ChatRequest, chatFeatures, requestedMaxTokens, type ChatCompletionChunk } from '../tasks/chat';
import { sendJson, toHttpError } from './errors';
import {
  admitJob,
  billableUnits,
  chargeFor,
  parsePreferences,
  logJobContent,
  recordUsage,
  releaseJobHold,
  runBufferedJob,
  setJobHeaders,
  type Admitted,
  type JobHandler,
  type JobRequest,
  type JobResponse,
  type JobServices,
} from './jobs';

/** The request schema compiled (zod's AOT fast path; invalid input falls back to the runtime parser, same errors). */
const chatRequest = z.compile(ChatRequest);

export function chatCompletions(services: JobServices): JobHandler {
  return async (req, res) => {
    const { provider, ...body } = (req.body ?? {}) as Record<string, unknown>;
    const request = chatRequest.parse(body);
    const promptTokens = await estimatePromptTokens(request);
    const features = chatFeatures(request);
    const job: Omit<Job, 'policy'> = {
      task: 'chat',
      model: request.model,
      needs: {
        contextTokens: promptTokens + (requestedMaxTokens(request) ?? 0),
        tools: features.tools,
        vision: features.vision,
        jsonMode: features.jsonMode,
        structuredOutput: features.structured,
        streaming: features.streaming,
      },
      measure: { promptTokens, maxOutputTokens: requestedMaxTokens(request) },
      preferences: parsePreferences(provider),
    };
    const rateTokens = promptTokens + (requestedMaxTokens(request) ?? 0);
    if (request.stream) return streamChat(services, req, res, request, job, rateTokens);

    const { result, charge, outcome } = await runBufferedJob(services, req, res, job, (_c, ctx, adapter) => adapter.chat!.chat(request, ctx), rateTokens);
    services.dispatcher.recordThroughput(outcome.served.offering, charge.units.output_tokens ?? 0, outcome.latencyMs);
    sendJson(res, {
      ...result,
      model: outcome.served.offering.model.id,
      usage: { ...(result.usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }), cost_usd: formatUsd(charge.costMicros) },
    });
  };
}

interface PrimedStream {
  iterator: AsyncIterator<ChatCompletionChunk>;
  first: IteratorResult<ChatCompletionChunk>;
}

async function streamChat(services: JobServices, req: JobRequest, res: JobResponse, request: ChatRequest, job: Omit<Job, 'policy'>, rateTokens: number): Promise<void> {
  const admitted = await admitJob(services, req, res, job, rateTokens);
  // A stream can outlive its hold's TTL: the hold is kept from expiring until the response closes.
  res.once('close', HoldKeeper.for(services.db).keep(CreditLeases.for(services.db).holdIdOf(admitted.requestId)));
  let outcome: Outcome<PrimedStream>;
  try {
    // The first chunk is read inside the attempt: a stream that fails before its first byte falls back.
    outcome = await services.dispatcher.run(
      admitted.plan,
      async (_c, ctx, adapter) => {
        const iterator = (await adapter.chat!.chatStream(request, ctx))[Symbol.asyncIterator]();
        return { iterator, first: await iterator.next() };
      },
      { requestId: admitted.requestId, job: admitted.job },
    );
  } catch (error) {
    await releaseJobHold(services, admitted.requestId);
    throw error;
  }

  setJobHeaders(res, outcome, null);
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    trailer: 'x-switchyard-cost-usd',
  });

  const modelId = outcome.served.offering.model.id;
  const wantsUsage = Boolean(request.stream_options?.include_usage);
  let reported: Units | null = null;
  let delivered = '';
  let last: ChatCompletionChunk | null = null;
  let failure: unknown = null;
  const { iterator } = outcome.value;
  let next = outcome.value.first;
  try {
    while (!next.done) {
      const chunk = next.value;
      last = chunk;
      if (chunk.usage) reported = chatUnits(chunk.usage);
      for (const choice of chunk.choices) delivered += deliveredText(choice.delta);
      // The usage-only chunk is re-sent last, with the cost; other chunks pass through.
      if (chunk.choices.length || !chunk.usage) {
        res.write(`data: ${JSON.stringify({ ...chunk, model: modelId, usage: wantsUsage ? null : undefined })}\n\n`);
      }
      if (admitted.job.signal.aborted) break;
      next = await iterator.next();
    }
  } catch (error) {
    failure = error;
  }
  const complete = next.done === true && failure === null && !admitted.job.signal.aborted;
  await finishStream(services, req, admitted, outcome, res, { complete, reported, delivered, last, failure, wantsUsage, modelId, promptTokens: job.measure.promptTokens ?? 0 });
}

/** The text a chunk hands the client, tool calls included: a cut stream bills it as output. */
function deliveredText(delta: ChatCompletionChunk['choices'][number]['delta']): string {
  let text = delta.content ?? '';
  for (const call of delta.tool_calls ?? []) text += (call.function?.name ?? '') + (call.function?.arguments ?? '');
  return text;
}

async function finishStream(
  services: JobServices,
  req: JobRequest,
  admitted: Admitted,
  outcome: Outcome<PrimedStream>,
  res: JobResponse,
  s: { complete: boolean; reported: Units | null; delivered: string; last: ChatCompletionChunk | null; failure: unknown; wantsUsage: boolean; modelId: string; promptTokens: number },
): Promise<void> {
  const { offering, estimate } = outcome.served;
  // A client that left cut its own stream: that says nothing about the host's health.
  if (s.failure instanceof UpstreamError && !admitted.job.signal.aborted) services.dispatcher.recordUpstreamFailure(offering, s.failure);
  // Billed: the provider's own count when the stream completed, else what was delivered.
  const units: Units = s.complete && s.reported ? s.reported : { input_tokens: s.promptTokens, output_tokens: await estimateTextTokens(s.delivered) };
  const charge = chargeFor(billableUnits(units, { ...estimate.units, output_tokens: units.output_tokens }, offering), offering, services.markupPpm);
  await recordUsage(services, admitted, outcome, charge, s.complete ? 'succeeded' : 'partial');
  logJobContent(services, req, admitted.requestId, outcome, { delivered: s.delivered, complete: s.complete });
  if (s.complete) services.dispatcher.recordThroughput(offering, charge.units.output_tokens ?? 0, outcome.latencyMs);

  if (res.writableEnded || res.destroyed) return;
  if (s.failure) {
    const error = toHttpError(s.failure).body.error;
    res.write(`data: ${JSON.stringify({ error: { ...error, message: `The stream failed after it began: ${error.message}` } })}\n\n`);
  }
  {
    // Always sent: the cost must reach the client, and stream headers left before it was known.
    const promptTokens = (charge.units.input_tokens ?? 0) + (charge.units.cached_input_tokens ?? 0);
    const completionTokens = charge.units.output_tokens ?? 0;
    const usageChunk = {
      id: s.last?.id ?? `chatcmpl-${admitted.requestId}`,
      object: 'chat.completion.chunk',
      created: s.last?.created ?? Math.floor(Date.now() / 1000),
      model: s.modelId,
      choices: [],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
        prompt_tokens_details: { cached_tokens: charge.units.cached_input_tokens ?? 0 },
        cost_usd: formatUsd(charge.costMicros),
      },
    };
    res.write(`data: ${JSON.stringify(usageChunk)}\n\n`);
  }
  res.write('data: [DONE]\n\n');
  res.addTrailers({ 'x-switchyard-cost-usd': formatUsd(charge.costMicros) });
  res.end();
}
