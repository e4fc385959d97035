// The Gemini API mock: models/{model}:generateContent and :streamGenerateContent (alt=sse, or a
// JSON array without it) in Google's real format (x-goog-api-key or ?key=, camelCase fields,
// {"error":{code,message,status,details}}), shaped after googleapis/js-genai. It echoes the last
// user text, calls the first (or the only allowed) function when tools are declared, answers a
// functionResponse with "Tool result: …", and, like Gemini 3, rejects a replayed function call
// without a thoughtSignature. Magic user texts: GOOGLE_MOCK_BLOCKED (prompt blocked by policy),
// GOOGLE_MOCK_STREAM_ERROR (an error object after the first stream chunk).
import type http from 'node:http';
import { MockUpstream, writeSse, type RecordedRequest, type Route, type RouteContext } from '../helpers/mock-upstream';

export const GOOGLE_TEST_KEY = 'AIza-test-gemini';
export const GOOGLE_MOCK_BLOCKED = '[mock:blocked]';
export const GOOGLE_MOCK_STREAM_ERROR = '[mock:stream-error]';

export interface GoogleMockOptions {
  apiKey?: string;
  /** Prompt tokens reported as served from a context cache. */
  cachedTokens?: number;
  /** Thinking tokens reported on top of the answer's tokens. */
  thoughtsTokens?: number;
}

const STATUS_NAMES: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED' };

/** Google's error envelope; a 429 carries QuotaFailure and RetryInfo details as Gemini sends them. */
export function geminiErrorBody(status: number, message: string) {
  const error: Record<string, unknown> = { code: status, message, status: STATUS_NAMES[status] ?? 'UNKNOWN' };
  if (status === 429) {
    error.message = /retry in/i.test(message) ? message : `${message}\nPlease retry in 30s.`;
    error.details = [
      { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier' }] },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '30s' },
    ];
  }
  return { error };
}

export function startGoogleMock(options: GoogleMockOptions = {}): Promise<MockUpstream> {
  const routes: Route[] = [
    { method: 'POST', path: /\/models\/[^/:]+:generateContent$/, handle: (req, res, ctx) => handle(req, res, ctx, options, false) },
    { method: 'POST', path: /\/models\/[^/:]+:streamGenerateContent$/, handle: (req, res, ctx) => handle(req, res, ctx, options, true) },
  ];
  return MockUpstream.start({ routes, errorBody: geminiErrorBody });
}

type Part = Record<string, any>;
interface Content {
  role?: string;
  parts: Part[];
}

const GENERATION_FIELDS = new Set([
  'temperature', 'topP', 'topK', 'maxOutputTokens', 'stopSequences', 'candidateCount', 'seed', 'presencePenalty', 'frequencyPenalty',
  'responseMimeType', 'responseSchema', 'responseJsonSchema', 'thinkingConfig', 'responseModalities', 'responseLogprobs', 'logprobs', 'mediaResolution',
]);

function handle(req: RecordedRequest, res: http.ServerResponse, ctx: RouteContext, options: GoogleMockOptions, stream: boolean): void {
  const send = (status: number, message: string) => ctx.mock.sendJson(res, status, geminiErrorBody(status, message));
  const key = req.headers['x-goog-api-key'] ?? req.query.get('key');
  // Gemini answers a wrong key with 400 API_KEY_INVALID, and no key at all with 403.
  if (!key) return send(403, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.");
  if (key !== (options.apiKey ?? GOOGLE_TEST_KEY)) return send(400, 'API key not valid. Please pass a valid API key.');
  const problem = validate(req.json);
  if (problem) return send(400, problem);
  const model = /\/models\/([^/:]+):/.exec(req.path)![1]!;
  const responses = answer(req.json, model, options);
  if (!stream) return ctx.mock.sendJson(res, 200, merge(responses));
  if (req.query.get('alt') !== 'sse') return ctx.mock.sendJson(res, 200, responses);
  const events = responses.map((r) => ({ data: JSON.stringify(r) }));
  if (lastUserText(req.json.contents).includes(GOOGLE_MOCK_STREAM_ERROR)) {
    events.splice(1, events.length, { data: JSON.stringify({ error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } }) });
  }
  writeSse(res, events, ctx.cutAfterEvents);
}

/** The checks Gemini makes that a careless translation would trip. */
function validate(body: any): string | null {
  if (!body || !Array.isArray(body.contents) || body.contents.length === 0) return '* GenerateContentRequest.contents: contents is not specified';
  for (const field of Object.keys(body.generationConfig ?? {})) {
    if (!GENERATION_FIELDS.has(field)) return `Invalid JSON payload received. Unknown name "${field}" at 'generation_config': Cannot find field.`;
  }
  if (body.generationConfig?.responseSchema && body.generationConfig?.responseJsonSchema) return 'responseSchema and responseJsonSchema cannot both be set';
  const contents = body.contents as Content[];
  for (const [i, content] of contents.entries()) {
    if (content.role !== undefined && content.role !== 'user' && content.role !== 'model') return 'Please use a valid role: user, model.';
    const calls = content.parts.filter((p) => p.functionCall);
    if (!calls.length) continue;
    if (!calls[0]!.thoughtSignature) return `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly. Position: contents[${i}].`;
    const next = contents[i + 1];
    const responses = next ? next.parts.filter((p) => p.functionResponse).length : calls.length;
    if (responses !== calls.length) return 'Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.';
  }
  return null;
}

function lastUserText(contents: Content[]): string {
  return contents.at(-1)!.parts.filter((p) => typeof p.text === 'string').map((p) => p.text).join(' ');
}

/** The answer as the stream of chunks Gemini would send; the unary answer is their merge. */
function answer(body: any, model: string, options: GoogleMockOptions): Record<string, any>[] {
  const contents = body.contents as Content[];
  const config = body.generationConfig ?? {};
  const userText = lastUserText(contents);
  const promptTokenCount = Math.ceil(JSON.stringify([body.systemInstruction ?? null, contents, body.tools ?? null]).length / 4);
  const cached = Math.min(options.cachedTokens ?? 0, promptTokenCount);
  const base = { modelVersion: model, responseId: `mockresp${contents.length}` };
  const promptUsage = { promptTokenCount, ...(cached ? { cachedContentTokenCount: cached } : {}), promptTokensDetails: [{ modality: 'TEXT', tokenCount: promptTokenCount }] };
  if (userText.includes(GOOGLE_MOCK_BLOCKED)) {
    return [{ ...base, promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, usageMetadata: { ...promptUsage, totalTokenCount: promptTokenCount } }];
  }

  const results = contents.at(-1)!.parts.filter((p) => p.functionResponse);
  const declarations = (body.tools ?? []).flatMap((t: any) => t.functionDeclarations ?? []) as { name: string; parametersJsonSchema?: any; parameters?: any }[];
  const calling = body.toolConfig?.functionCallingConfig ?? {};
  const thoughts = options.thoughtsTokens ?? 0;
  const usage = (candidatesTokenCount: number) => ({
    ...promptUsage,
    candidatesTokenCount,
    ...(thoughts ? { thoughtsTokenCount: thoughts } : {}),
    totalTokenCount: promptTokenCount + candidatesTokenCount + thoughts,
  });

  if (!results.length && declarations.length && calling.mode !== 'NONE') {
    const declaration = declarations.find((d) => d.name === calling.allowedFunctionNames?.[0]) ?? declarations[0]!;
    const properties = (declaration.parametersJsonSchema ?? declaration.parameters)?.properties ?? {};
    const args = Object.fromEntries(Object.entries(properties).map(([name, s]: [string, any]) => [name, /number|integer/i.test(s.type) ? 42 : /boolean/i.test(s.type) ? true : userText]));
    const part = { functionCall: { name: declaration.name, args }, thoughtSignature: 'bW9jay1zaWduYXR1cmU=' };
    return [{ ...base, candidates: [{ content: { parts: [part], role: 'model' }, finishReason: 'STOP', index: 0 }], usageMetadata: usage(Math.ceil(JSON.stringify(args).length / 4)) }];
  }

  const images = contents.at(-1)!.parts.filter((p) => p.inlineData || p.fileData).length;
  let text = results.length
    ? `Tool result: ${results.map((p) => JSON.stringify(p.functionResponse.response)).join('; ')}`
    : `Echo: ${userText}${images ? ` [${images} image${images > 1 ? 's' : ''}]` : ''}`;
  if (config.responseMimeType === 'application/json') text = JSON.stringify({ echo: userText });
  let finishReason = 'STOP';
  let words: string[] = text.match(/\S+\s*/g) ?? [];
  if (config.maxOutputTokens && words.length > config.maxOutputTokens) {
    words = words.slice(0, config.maxOutputTokens);
    finishReason = 'MAX_TOKENS';
  }
  for (const stop of (config.stopSequences ?? []) as string[]) {
    const at = words.join('').indexOf(stop);
    if (at !== -1) words = (words.join('').slice(0, at).match(/\S+\s*/g) ?? []);
  }
  if (!words.length) words = [''];
  const count = config.candidateCount ?? 1;
  // One chunk per word; every chunk carries the running usage, the last one the finishReason.
  return words.map((word, i) => {
    const last = i === words.length - 1;
    const candidates = Array.from({ length: count }, (_, index) => ({
      content: { parts: [{ text: index === 0 || i < words.length - 1 ? word : `${word} #${index + 1}` }], role: 'model' },
      ...(last ? { finishReason } : {}),
      index,
    }));
    return { ...base, candidates, usageMetadata: last ? usage(words.length * count) : { ...promptUsage, totalTokenCount: promptTokenCount } };
  });
}

/** What generateContent returns for the same answer: the chunks' parts joined, the last usage. */
function merge(chunks: Record<string, any>[]): Record<string, any> {
  const last = chunks.at(-1)!;
  if (!last.candidates) return last;
  const candidates = last.candidates.map((c: any) => {
    const text = chunks.map((chunk) => chunk.candidates[c.index].content.parts.map((p: Part) => p.text ?? '').join('')).join('');
    const parts = text ? [{ text }] : chunks.flatMap((chunk) => chunk.candidates[c.index].content.parts);
    return { ...c, content: { parts, role: 'model' } };
  });
  return { ...last, candidates };
}
