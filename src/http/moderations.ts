// POST /v1/moderations — OpenAI's moderation request and response, so the official SDKs'
// moderations.create works unchanged, served by any moderation offering with its categories mapped
// onto OpenAI's. `model` may be a catalog id, "auto", or OpenAI's bare name ("omni-moderation-latest").
import type { Catalog } from '../catalog/catalog';
import { formatUsd } from '../catalog/price';
import type { Model } from '../catalog/schema';
import type { Job } from '../dispatch/job';
import { ApiError } from '../errors';
import { randomBase62 } from '../ids';
import { codePoints } from '../providers/shared/translation';
import { MODERATION_CATEGORIES, ModerationRequest, type ModerationCategory, type ModerationJob } from '../tasks/moderation';
import { jobFields } from './body';
import { sendJson } from './errors';
import { parsePreferences, runBufferedJob, type JobHandler, type JobServices } from './jobs';
import { resolveModelId } from './model-ids';

type InputType = 'text' | 'image';

export function moderations(services: JobServices): JobHandler {
  return async (req, res) => {
    const { provider, ...fields } = jobFields(req);
    const request = ModerationRequest.parse(fields);
    const preferences = parsePreferences(provider);
    const catalog = services.dispatcher.options.catalog;
    const model = resolveModelId(catalog, 'moderation', request.model);
    const inputs = textInputs(catalog, request.input, model);
    const lengths = inputs.map(codePoints);
    const characters = lengths.reduce((a, b) => a + b, 0);
    const moderation: ModerationJob = { inputs };
    const job: Omit<Job, 'policy'> = {
      task: 'moderation',
      model,
      needs: {},
      measure: { inputs: inputs.length, inputCharacters: lengths, characters },
      preferences,
    };

    const { result, charge, outcome } = await runBufferedJob(services, req, res, job, (_c, ctx, adapter) => adapter.moderation!.moderate(moderation, ctx));
    const served = outcome.served.offering.model;
    const applied = appliedInputTypes(served);
    sendJson(res, {
      id: `modr-${randomBase62(24)}`,
      model: served.id,
      results: result.results.map((verdict) => ({
        flagged: verdict.flagged,
        categories: verdict.categories,
        category_scores: verdict.category_scores,
        category_applied_input_types: applied,
      })),
      usage: { inputs: inputs.length, characters, cost_usd: formatUsd(charge.costMicros) },
    });
  };
}

/**
 * The texts to classify, one per result. A list of parts is one input, as at OpenAI; its text
 * parts are read together. Adapters classify text only, so an image part is refused up front with
 * the reason rather than dropped without a word.
 */
function textInputs(catalog: Catalog, input: ModerationRequest['input'], model: string): string[] {
  if (typeof input === 'string') return [input];
  const texts: string[] = [];
  let images = 0;
  for (const item of input) {
    if (typeof item === 'string') texts.push(item);
    else if (item.type === 'text') texts.push(item.text);
    else images += 1;
  }
  if (images > 0) throw imagesRefused(catalog, model);
  return input.every((item) => typeof item === 'string') ? texts : [texts.join('\n')];
}

function imagesRefused(catalog: Catalog, model: string): ApiError {
  const named = model === 'auto' ? undefined : catalog.modelsById.get(model.toLowerCase());
  const why =
    named && !named.input_modalities.includes('image')
      ? `the model "${named.id}" reads text only`
      : 'moderation jobs are sent to providers as text, so no offering here can classify images yet';
  return new ApiError('no_offering', `Image inputs cannot be moderated: ${why}. Send text inputs only.`, 'input');
}

/** Every category the model scores applies to the text; the ones it does not score apply to nothing. */
function appliedInputTypes(model: Model): Record<ModerationCategory, InputType[]> {
  const scored = new Set<string>(model.task === 'moderation' ? model.capabilities.categories : MODERATION_CATEGORIES);
  const applied = {} as Record<ModerationCategory, InputType[]>;
  for (const category of MODERATION_CATEGORIES) applied[category] = scored.has(category) ? ['text'] : [];
  return applied;
}
