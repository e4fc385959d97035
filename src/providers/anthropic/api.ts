// Anthropic Messages API (https://docs.anthropic.com/en/api/messages): `x-api-key` plus a pinned
// `anthropic-version`; the response and stream event shapes follow anthropic-sdk-typescript.
import { z } from 'zod';
import { UpstreamError } from '../../errors';
import { joinUrl } from '../shared/auth';
import type { ProviderCredentials } from '../types';

export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';
export const ANTHROPIC_VERSION = '2023-06-01';

export function anthropicHeaders(credentials: ProviderCredentials): Record<string, string> {
  return {
    'content-type': 'application/json',
    // ANTHROPIC_VERSION in the environment may pin a newer version without a release of ours.
    'anthropic-version': credentials.extra.version ?? ANTHROPIC_VERSION,
    ...(credentials.apiKey ? { 'x-api-key': credentials.apiKey } : {}),
  };
}

export function anthropicMessagesUrl(credentials: ProviderCredentials): string {
  return joinUrl(credentials.baseUrl, '/v1/messages');
}

export const AnthropicUsage = z.looseObject({
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
  cache_creation_input_tokens: z.number().int().nonnegative().nullish(),
  cache_read_input_tokens: z.number().int().nonnegative().nullish(),
});
export type AnthropicUsage = z.infer<typeof AnthropicUsage>;

const TextBlock = z.looseObject({ type: z.literal('text'), text: z.string() });
const ToolUseBlock = z.looseObject({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown() });
/** Thinking, server tool and future block kinds: kept out of the chat completion, but not an error. */
const OtherBlock = z.looseObject({ type: z.string() });
export const AnthropicContentBlock = z.union([TextBlock, ToolUseBlock, OtherBlock]);
export type AnthropicContentBlock = z.infer<typeof AnthropicContentBlock>;

export const AnthropicStopReason = z.string().nullable();

export const AnthropicMessage = z.looseObject({
  id: z.string(),
  type: z.literal('message'),
  role: z.literal('assistant'),
  model: z.string(),
  content: z.array(AnthropicContentBlock),
  stop_reason: AnthropicStopReason,
  stop_sequence: z.string().nullish(),
  usage: AnthropicUsage,
});
export type AnthropicMessage = z.infer<typeof AnthropicMessage>;

/** The named SSE events of a streamed message; `ping` and `error` are handled before parsing. */
export const AnthropicStreamEvent = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('message_start'), message: AnthropicMessage }),
  z.looseObject({ type: z.literal('content_block_start'), index: z.number().int(), content_block: AnthropicContentBlock }),
  z.looseObject({
    type: z.literal('content_block_delta'),
    index: z.number().int(),
    delta: z.union([
      z.looseObject({ type: z.literal('text_delta'), text: z.string() }),
      z.looseObject({ type: z.literal('input_json_delta'), partial_json: z.string() }),
      z.looseObject({ type: z.string() }),
    ]),
  }),
  z.looseObject({ type: z.literal('content_block_stop'), index: z.number().int() }),
  z.looseObject({
    type: z.literal('message_delta'),
    delta: z.looseObject({ stop_reason: AnthropicStopReason.optional(), stop_sequence: z.string().nullish() }),
    // Cumulative totals; only output_tokens is always present.
    usage: z.looseObject({
      output_tokens: z.number().int().nonnegative(),
      input_tokens: z.number().int().nonnegative().nullish(),
      cache_creation_input_tokens: z.number().int().nonnegative().nullish(),
      cache_read_input_tokens: z.number().int().nonnegative().nullish(),
    }),
  }),
  z.looseObject({ type: z.literal('message_stop') }),
]);
export type AnthropicStreamEvent = z.infer<typeof AnthropicStreamEvent>;

export const AnthropicErrorBody = z.looseObject({
  type: z.literal('error'),
  error: z.looseObject({ type: z.string(), message: z.string() }),
});

/** The HTTP status Anthropic pairs with each error type; a mid-stream `event: error` carries only the type. */
const STATUS_BY_ERROR_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** Turns an `event: error` payload into the error the dispatcher acts on (overloaded → 529, retryable). */
export function anthropicStreamError(data: string): UpstreamError {
  let parsed: z.infer<typeof AnthropicErrorBody> | null = null;
  try {
    const result = AnthropicErrorBody.safeParse(JSON.parse(data));
    if (result.success) parsed = result.data;
  } catch {
    // fall through: an unreadable error event is still an error
  }
  if (!parsed) return new UpstreamError('anthropic', 'protocol', 'anthropic sent an unreadable error event mid-stream');
  const status = STATUS_BY_ERROR_TYPE[parsed.error.type] ?? 500;
  return new UpstreamError('anthropic', 'http', `anthropic stream failed (${parsed.error.type}): ${parsed.error.message}`, status);
}
