// One chat adapter for OpenAI and every host that speaks its chat completions format. What
// differs between hosts is data (a ChatHostProfile): where the endpoint is, which request fields
// the host takes under which names, and where it reports usage. The code only knows the handful
// of shapes those differences take.
import type { Units } from '../../catalog/price';
import type { ChatCompletion, ChatMessage, ChatRequest, ChatUsage } from '../../tasks/chat';
import type { CallContext, ChatAdapter, ChatStream, Metered } from '../types';
import { bearerHeaders, joinUrl } from './auth';
import { measureChatUsage } from './openai-chat-measure';
import { hostChatSchemas } from './openai-chat-schemas';
import { readChatStream } from './openai-chat-stream';
import { callJson, callUpstream } from './upstream';

type FinishReason = NonNullable<ChatCompletion['choices'][number]['finish_reason']>;

export interface ChatHostProfile {
  /** Chat completions path relative to the provider's base URL. */
  chatPath: string;
  /** The token-limit field the host reads; a limit given under the other name is renamed to it. */
  maxTokensField: 'max_completion_tokens' | 'max_tokens';
  /** Request fields the host names differently (OpenAI's name → the host's). */
  renameFields?: Readonly<Record<string, string>>;
  /** When set, only these fields (host names) are sent besides model, messages, the token limit and
   * stream: for hosts that reject unknown fields. */
  acceptedFields?: readonly string[];
  /** Request fields the host rejects or misreads. */
  droppedFields?: readonly string[];
  /** Message fields the host rejects (Groq and Mistral refuse `messages[].name`). */
  droppedMessageFields?: readonly string[];
  /** Message roles the host lacks, sent as one it has (`developer` → `system`). */
  renameRoles?: Readonly<Partial<Record<ChatMessage['role'], ChatMessage['role']>>>;
  /** How to get usage in a stream: ask with `stream_options.include_usage`, or the host always sends
   * it on its last chunk and rejects the option (Mistral). */
  streamUsage: 'include_usage' | 'always';
  /** Where chunks carry usage besides `usage` (Groq: `x_groq.usage` on the finish chunk). */
  streamUsageAlso?: 'x_groq';
  /** Where the host counts prompt tokens served from its cache. */
  cachedTokens: 'prompt_tokens_details' | 'prompt_cache_hit_tokens';
  /** Finish reasons the host has beyond OpenAI's, mapped onto them (Mistral `model_length`). */
  finishReasons?: Readonly<Record<string, FinishReason>>;
  /** Headers sent from `<ID>_*` settings (credentials.extra key → header name). */
  extraHeaders?: Readonly<Record<string, string>>;
}

/** Fields of Switchyard's own API (routing preferences) that no upstream should see. */
const SWITCHYARD_FIELDS = ['provider'];

export function openAICompatibleChat(profile: ChatHostProfile): ChatAdapter {
  const schemas = hostChatSchemas(profile);

  function call(request: ChatRequest, ctx: CallContext, stream: boolean) {
    return {
      provider: ctx.provider,
      url: joinUrl(ctx.credentials.baseUrl, profile.chatPath),
      headers: requestHeaders(profile, ctx, stream),
      body: JSON.stringify(hostRequestBody(request, ctx, profile, stream)),
      timeoutMs: ctx.timeoutMs,
      signal: ctx.signal,
    };
  }

  return {
    async chat(request: ChatRequest, ctx: CallContext): Promise<Metered<ChatCompletion>> {
      const { data } = await callJson(call(request, ctx, false), schemas.completion);
      const result: ChatCompletion = data;
      const usage = result.usage ?? (await measureChatUsage(request, completionText(result)));
      return { result, units: chatUnits(usage) };
    },

    async chatStream(request: ChatRequest, ctx: CallContext): Promise<ChatStream> {
      const response = await callUpstream(call(request, ctx, true));
      return readChatStream(ctx.provider, response.body, schemas.chunk, (output) => measureChatUsage(request, output));
    },
  };
}

/** OpenAI usage → billed units; cached prompt tokens are priced apart, so they leave input_tokens. */
export function chatUnits(usage: ChatUsage): Units {
  const cached = Math.min(usage.prompt_tokens_details?.cached_tokens ?? 0, usage.prompt_tokens);
  return {
    input_tokens: usage.prompt_tokens - cached,
    cached_input_tokens: cached,
    output_tokens: usage.completion_tokens,
  };
}

/** The normalized request as this host wants it: its model id, its field names, nothing it rejects. */
export function hostRequestBody(
  request: ChatRequest,
  ctx: CallContext,
  profile: ChatHostProfile,
  stream: boolean,
): Record<string, unknown> {
  const { model: _model, stream: _stream, stream_options: _options, max_tokens, max_completion_tokens, messages, ...rest } = request;
  let fields: Record<string, unknown> = { ...rest };
  for (const name of SWITCHYARD_FIELDS) delete fields[name];
  for (const [from, to] of Object.entries(profile.renameFields ?? {})) {
    if (from in fields) {
      fields[to] = fields[from];
      delete fields[from];
    }
  }
  if (profile.acceptedFields) {
    const accepted = new Set(profile.acceptedFields);
    fields = Object.fromEntries(Object.entries(fields).filter(([name]) => accepted.has(name)));
  }
  for (const name of profile.droppedFields ?? []) delete fields[name];
  const maxTokens = max_completion_tokens ?? max_tokens;
  return {
    model: ctx.providerModelId,
    messages: messages.map((message) => hostMessage(message, profile)),
    ...withoutNulls(fields),
    ...(maxTokens != null ? { [profile.maxTokensField]: maxTokens } : {}),
    ...(stream ? { stream: true } : {}),
    ...(stream && profile.streamUsage === 'include_usage' ? { stream_options: { include_usage: true } } : {}),
  };
}

function hostMessage(message: ChatMessage, profile: ChatHostProfile): Record<string, unknown> {
  const out: Record<string, unknown> = { ...message, role: profile.renameRoles?.[message.role] ?? message.role };
  for (const name of profile.droppedMessageFields ?? []) delete out[name];
  return out;
}

function requestHeaders(profile: ChatHostProfile, ctx: CallContext, stream: boolean): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: stream ? 'text/event-stream' : 'application/json',
    ...bearerHeaders(ctx.credentials),
  };
  for (const [setting, header] of Object.entries(profile.extraHeaders ?? {})) {
    const value = ctx.credentials.extra[setting];
    if (value) headers[header] = value;
  }
  return headers;
}

// Hosts read an absent field as "use the default" but some reject an explicit null.
function withoutNulls(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== null && value !== undefined));
}

function completionText(completion: ChatCompletion): string {
  return completion.choices
    .map((c) => (c.message.content ?? '') + (c.message.tool_calls ?? []).map((t) => t.function.name + t.function.arguments).join(''))
    .join('');
}
