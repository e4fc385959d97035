// Mistral moderation: POST /v1/moderations with {model, input: [...]}. Mistral scores its own
// policy categories; MISTRAL_CATEGORIES below is the one place that says which OpenAI category
// each of them feeds. `flagged` is Mistral's own verdict (any of its categories set), so a text
// flagged only for a category with no OpenAI counterpart (pii, health, financial, law,
// jailbreaking) stays flagged: dropping a positive verdict would be the unsafe mistake.
// Billing is per token; the answer's `usage.prompt_tokens` is the bill.
import { z } from 'zod';
import { UpstreamError } from '../../errors';
import { MODERATION_CATEGORIES, type ModerationCategory, type ModerationVerdict } from '../../tasks/moderation';
import { joinUrl } from '../shared/auth';
import { callJson } from '../shared/upstream';
import { o200k } from '../../tokenizer/o200k';
import type { ModerationAdapter } from '../types';
import { mistralHeaders } from './api';

/**
 * Mistral category → OpenAI categories it counts toward (score and flag carried over; where
 * several Mistral categories feed one OpenAI category, the highest wins).
 *
 * | Mistral                                 | OpenAI                                |
 * |-----------------------------------------|---------------------------------------|
 * | sexual                                  | sexual                                |
 * | hate_and_discrimination                 | hate                                  |
 * | violence_and_threats                    | violence, harassment/threatening      |
 * | dangerous_and_criminal_content (2411)   | illicit                               |
 * | dangerous (2603)                        | illicit/violent                       |
 * | criminal (2603)                         | illicit                               |
 * | selfharm                                | self-harm                             |
 * | health, financial, law, pii, jailbreaking | — (flag the verdict only)           |
 */
export const MISTRAL_CATEGORIES: Readonly<Record<string, readonly ModerationCategory[]>> = {
  sexual: ['sexual'],
  hate_and_discrimination: ['hate'],
  violence_and_threats: ['violence', 'harassment/threatening'],
  dangerous_and_criminal_content: ['illicit'],
  dangerous: ['illicit/violent'],
  criminal: ['illicit'],
  selfharm: ['self-harm'],
  health: [],
  financial: [],
  law: [],
  pii: [],
  jailbreaking: [],
};

const ModerationResponse = z.object({
  id: z.string(),
  model: z.string(),
  results: z.array(
    z.object({
      categories: z.record(z.string(), z.boolean()),
      category_scores: z.record(z.string(), z.number()),
    }),
  ),
  usage: z.object({ prompt_tokens: z.number().int().nonnegative() }).optional(),
});
type MistralModeration = z.infer<typeof ModerationResponse>['results'][number];

export const mistralModeration: ModerationAdapter = {
  async moderate(job, ctx) {
    const { data } = await callJson(
      {
        provider: ctx.provider,
        url: joinUrl(ctx.credentials.baseUrl, 'moderations'),
        headers: { ...mistralHeaders(ctx.credentials), 'content-type': 'application/json' },
        body: JSON.stringify({ model: ctx.providerModelId, input: job.inputs }),
        timeoutMs: ctx.timeoutMs,
        signal: ctx.signal,
      },
      ModerationResponse,
    );
    if (data.results.length !== job.inputs.length) {
      throw new UpstreamError(ctx.provider, 'protocol', `${ctx.provider} returned ${data.results.length} results for ${job.inputs.length} inputs`);
    }
    // Without usage in the answer, an estimate with a GPT tokenizer is closer than nothing.
    const inputTokens = data.usage?.prompt_tokens ?? (await countInputs(job.inputs));
    return { result: { results: data.results.map(toVerdict) }, units: { input_tokens: inputTokens } };
  },
};

async function countInputs(inputs: string[]): Promise<number> {
  const tokenizer = await o200k();
  return inputs.reduce((sum, text) => sum + tokenizer.count(text), 0);
}

function toVerdict(result: MistralModeration): ModerationVerdict {
  const categories = Object.fromEntries(MODERATION_CATEGORIES.map((c) => [c, false])) as Record<ModerationCategory, boolean>;
  const category_scores = Object.fromEntries(MODERATION_CATEGORIES.map((c) => [c, 0])) as Record<ModerationCategory, number>;
  for (const [mistralName, score] of Object.entries(result.category_scores)) {
    for (const name of MISTRAL_CATEGORIES[mistralName] ?? []) category_scores[name] = Math.max(category_scores[name], score);
  }
  for (const [mistralName, flagged] of Object.entries(result.categories)) {
    for (const name of MISTRAL_CATEGORIES[mistralName] ?? []) categories[name] ||= flagged;
  }
  return { flagged: Object.values(result.categories).some(Boolean), categories, category_scores };
}
