// OpenAI moderations: POST /moderations with every input in one request. The answer already has
// our verdict shape; legacy text-moderation models leave out the `illicit` categories (or send
// null), which become false / 0 so every verdict carries all 13 categories. Moderation is free;
// the unit metered is one request per input.
import { z } from 'zod';
import { UpstreamError } from '../../errors';
import { MODERATION_CATEGORIES, type ModerationCategory, type ModerationVerdict } from '../../tasks/moderation';
import { joinUrl } from '../shared/auth';
import { callJson } from '../shared/upstream';
import type { ModerationAdapter } from '../types';
import { openaiHeaders } from './api';

const ModerationResponse = z.object({
  id: z.string(),
  model: z.string(),
  results: z.array(
    z.object({
      flagged: z.boolean(),
      categories: z.record(z.string(), z.boolean().nullable()),
      category_scores: z.record(z.string(), z.number()),
    }),
  ),
});
type OpenAIModeration = z.infer<typeof ModerationResponse>['results'][number];

export const openaiModeration: ModerationAdapter = {
  async moderate(job, ctx) {
    const { data } = await callJson(
      {
        provider: ctx.provider,
        url: joinUrl(ctx.credentials.baseUrl, 'moderations'),
        headers: { ...openaiHeaders(ctx.credentials), 'content-type': 'application/json' },
        body: JSON.stringify({ model: ctx.providerModelId, input: job.inputs }),
        timeoutMs: ctx.timeoutMs,
        signal: ctx.signal,
      },
      ModerationResponse,
    );
    if (data.results.length !== job.inputs.length) {
      throw new UpstreamError(ctx.provider, 'protocol', `${ctx.provider} returned ${data.results.length} results for ${job.inputs.length} inputs`);
    }
    return { result: { results: data.results.map(toVerdict) }, units: { requests: job.inputs.length } };
  },
};

function toVerdict(result: OpenAIModeration): ModerationVerdict {
  const categories = {} as Record<ModerationCategory, boolean>;
  const category_scores = {} as Record<ModerationCategory, number>;
  for (const name of MODERATION_CATEGORIES) {
    categories[name] = result.categories[name] === true;
    category_scores[name] = result.category_scores[name] ?? 0;
  }
  return { flagged: result.flagged, categories, category_scores };
}
