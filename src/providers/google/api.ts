// Google Gemini API (Generative Language, v1beta): `x-goog-api-key`, generateContent and
// streamGenerateContent?alt=sse; the response shape follows googleapis/js-genai's GenerateContentResponse.
import { z } from 'zod';
import { UpstreamError } from '../../errors';
import { joinUrl } from '../shared/auth';
import type { ProviderCredentials } from '../types';

export const GOOGLE_BASE_URL = 'https://generativelanguage.googleapis.com';

export function googleHeaders(credentials: ProviderCredentials): Record<string, string> {
  // The key goes in a header: the `?key=` form would land in access logs.
  return { 'content-type': 'application/json', ...(credentials.apiKey ? { 'x-goog-api-key': credentials.apiKey } : {}) };
}

export function geminiUrl(credentials: ProviderCredentials, modelId: string, stream: boolean): string {
  // Catalog ids may be bare ("gemini-2.5-flash") or resource names ("models/…", "tunedModels/…").
  const resource = modelId.includes('/') ? modelId : `models/${modelId}`;
  const method = stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
  return joinUrl(credentials.baseUrl, `/v1beta/${resource}:${method}`);
}

const Count = z.number().int().nonnegative().optional();

export const GeminiUsage = z.looseObject({
  promptTokenCount: Count,
  cachedContentTokenCount: Count,
  candidatesTokenCount: Count,
  thoughtsTokenCount: Count,
  toolUsePromptTokenCount: Count,
  totalTokenCount: Count,
});
export type GeminiUsage = z.infer<typeof GeminiUsage>;

export const GeminiPart = z.looseObject({
  text: z.string().optional(),
  /** Thought summaries: the model's reasoning, not its answer. */
  thought: z.boolean().optional(),
  functionCall: z.looseObject({ name: z.string(), args: z.record(z.string(), z.unknown()).optional(), id: z.string().optional() }).optional(),
});
export type GeminiPart = z.infer<typeof GeminiPart>;

export const GeminiCandidate = z.looseObject({
  content: z.looseObject({ role: z.string().optional(), parts: z.array(GeminiPart).optional() }).optional(),
  finishReason: z.string().optional(),
  index: z.number().int().optional(),
});
export type GeminiCandidate = z.infer<typeof GeminiCandidate>;

export const GeminiResponse = z.looseObject({
  candidates: z.array(GeminiCandidate).optional(),
  promptFeedback: z.looseObject({ blockReason: z.string().optional(), blockReasonMessage: z.string().optional() }).optional(),
  usageMetadata: GeminiUsage.optional(),
  modelVersion: z.string().optional(),
  responseId: z.string().optional(),
});
export type GeminiResponse = z.infer<typeof GeminiResponse>;

/** Google's error envelope; 429s carry google.rpc.RetryInfo in `details`. */
export const GoogleErrorBody = z.looseObject({
  error: z.looseObject({
    code: z.number().int(),
    message: z.string(),
    status: z.string().optional(),
    details: z.array(z.looseObject({ '@type': z.string().optional(), retryDelay: z.string().optional() })).optional(),
  }),
});
export type GoogleErrorBody = z.infer<typeof GoogleErrorBody>;

/** RetryInfo.retryDelay is a protobuf Duration in JSON: "30s", "1.5s". */
export function googleRetryDelayMs(body: GoogleErrorBody): number | null {
  const info = body.error.details?.find((d) => d['@type']?.endsWith('google.rpc.RetryInfo'));
  const match = info?.retryDelay ? /^(\d+(?:\.\d+)?)s$/.exec(info.retryDelay) : null;
  return match ? Math.ceil(Number(match[1]) * 1000) : null;
}

/** An error object sent inside a 200 stream (`data: {"error":{…}}`). */
export function googleStreamError(body: GoogleErrorBody): UpstreamError {
  const { code, message, status } = body.error;
  return new UpstreamError('google', 'http', `google stream failed (${status ?? code}): ${message}`, code, googleRetryDelayMs(body));
}

/**
 * callUpstream reads an error body for its message only, so RetryInfo is out of reach there;
 * Gemini's quota message repeats the delay ("Please retry in 43.36s."), which is read instead.
 */
export function withQuotaRetryDelay(error: unknown): unknown {
  if (!(error instanceof UpstreamError) || error.statusCode !== 429 || error.retryAfterMs !== null) return error;
  const match = /retry in (\d+(?:\.\d+)?)s/i.exec(error.message);
  if (!match) return error;
  return new UpstreamError(error.provider, error.kind, error.message, error.statusCode, Math.ceil(Number(match[1]) * 1000));
}

/** A prompt Google refused to answer: the caller's content, so not worth another provider. */
export function blockedPrompt(feedback: NonNullable<GeminiResponse['promptFeedback']>): UpstreamError {
  const reason = feedback.blockReason ?? 'BLOCKED';
  const detail = feedback.blockReasonMessage ? `: ${feedback.blockReasonMessage}` : '';
  return new UpstreamError('google', 'http', `google blocked the prompt by content policy (${reason})${detail}`, 400);
}
