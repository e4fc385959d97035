// Moderation by a Llama Guard model on any OpenAI-compatible chat host (Groq, Together,
// DeepInfra, Fireworks): each input goes as the user turn of its own chat completion to the guard
// model (ctx.providerModelId); the host's chat template wraps it in the safety prompt, and the
// model answers `safe`, or `unsafe` and a line of MLCommons hazard codes ("unsafe\nS1,S10").
//
// Llama Guard gives no probabilities: a category it names scores 1.0, every other 0. `flagged`
// is the model's own verdict, so an `unsafe` answer naming only hazards without an OpenAI
// counterpart (S6, S7, S8, S13) is still flagged. Billing is per token, from the completion's usage.
import { z } from 'zod';
import { UpstreamError } from '../../errors';
import { MODERATION_CATEGORIES, type ModerationCategory, type ModerationVerdict } from '../../tasks/moderation';
import type { CallContext, ModerationAdapter } from '../types';
import { bearerHeaders, joinUrl } from './auth';
import { fanOut } from './fan-out';
import { callJson } from './upstream';

/**
 * MLCommons hazard taxonomy (Llama Guard 3 and 4) → the OpenAI categories each code sets.
 *
 * | code | hazard                     | OpenAI categories                |
 * |------|----------------------------|----------------------------------|
 * | S1   | Violent Crimes             | violence, illicit/violent        |
 * | S2   | Non-Violent Crimes         | illicit                          |
 * | S3   | Sex-Related Crimes         | sexual, illicit                  |
 * | S4   | Child Sexual Exploitation  | sexual/minors, sexual            |
 * | S5   | Defamation                 | harassment                       |
 * | S6   | Specialized Advice         | —                                |
 * | S7   | Privacy                    | —                                |
 * | S8   | Intellectual Property      | —                                |
 * | S9   | Indiscriminate Weapons     | illicit/violent                  |
 * | S10  | Hate                       | hate                             |
 * | S11  | Suicide & Self-Harm        | self-harm                        |
 * | S12  | Sexual Content             | sexual                           |
 * | S13  | Elections                  | —                                |
 * | S14  | Code Interpreter Abuse     | illicit                          |
 */
export const LLAMA_GUARD_HAZARDS: Readonly<Record<string, readonly ModerationCategory[]>> = {
  S1: ['violence', 'illicit/violent'],
  S2: ['illicit'],
  S3: ['sexual', 'illicit'],
  S4: ['sexual/minors', 'sexual'],
  S5: ['harassment'],
  S6: [],
  S7: [],
  S8: [],
  S9: ['illicit/violent'],
  S10: ['hate'],
  S11: ['self-harm'],
  S12: ['sexual'],
  S13: [],
  S14: ['illicit'],
};

export interface LlamaGuardHost {
  /** Chat completions path relative to the host's base URL. */
  chatPath: string;
}

/** A verdict needs a handful of tokens; the cap only bounds a model that rambles. */
const MAX_VERDICT_TOKENS = 64;
const CALLS_IN_FLIGHT = 4;

const ChatCompletion = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
  usage: z.object({ prompt_tokens: z.number().int().nonnegative(), completion_tokens: z.number().int().nonnegative() }),
});

export function llamaGuardModeration(host: LlamaGuardHost = { chatPath: 'chat/completions' }): ModerationAdapter {
  return {
    async moderate(job, ctx) {
      const answers = await fanOut(job.inputs, CALLS_IN_FLIGHT, (input) => classify(input, host, ctx));
      const units = { input_tokens: 0, output_tokens: 0 };
      for (const answer of answers) {
        units.input_tokens += answer.inputTokens;
        units.output_tokens += answer.outputTokens;
      }
      return { result: { results: answers.map((a) => a.verdict) }, units };
    },
  };
}

async function classify(input: string, host: LlamaGuardHost, ctx: CallContext) {
  // Nothing to classify, and some hosts refuse an empty user turn.
  if (input.trim() === '') return { verdict: guardVerdict({ unsafe: false, codes: [] }), inputTokens: 0, outputTokens: 0 };
  const { data } = await callJson(
    {
      provider: ctx.provider,
      url: joinUrl(ctx.credentials.baseUrl, host.chatPath),
      headers: { ...bearerHeaders(ctx.credentials), 'content-type': 'application/json' },
      body: JSON.stringify({
        model: ctx.providerModelId,
        messages: [{ role: 'user', content: input }],
        temperature: 0,
        max_tokens: MAX_VERDICT_TOKENS,
      }),
      timeoutMs: ctx.timeoutMs,
      signal: ctx.signal,
    },
    ChatCompletion,
  );
  const content = data.choices[0]!.message.content ?? '';
  const parsed = parseGuardAnswer(content);
  if (!parsed) {
    throw new UpstreamError(ctx.provider, 'protocol', `${ctx.provider} answered something that is not a Llama Guard verdict: ${JSON.stringify(content.slice(0, 80))}`);
  }
  return { verdict: guardVerdict(parsed), inputTokens: data.usage.prompt_tokens, outputTokens: data.usage.completion_tokens };
}

/** Reads `safe`, `unsafe\nS1,S10` (and the same on one line); null for anything else. */
export function parseGuardAnswer(content: string): { unsafe: boolean; codes: string[] } | null {
  const match = /^\s*(safe|unsafe)\b([\s\S]*)$/i.exec(content);
  if (!match) return null;
  if (match[1]!.toLowerCase() === 'safe') return { unsafe: false, codes: [] };
  const codes = (match[2]!.match(/\bS\d{1,2}\b/gi) ?? []).map((code) => code.toUpperCase());
  return { unsafe: true, codes };
}

export function guardVerdict(answer: { unsafe: boolean; codes: string[] }): ModerationVerdict {
  const hit = new Set(answer.codes.flatMap((code) => LLAMA_GUARD_HAZARDS[code] ?? []));
  const categories = {} as Record<ModerationCategory, boolean>;
  const category_scores = {} as Record<ModerationCategory, number>;
  for (const name of MODERATION_CATEGORIES) {
    categories[name] = hit.has(name);
    category_scores[name] = hit.has(name) ? 1 : 0;
  }
  return { flagged: answer.unsafe, categories, category_scores };
}
