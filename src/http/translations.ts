// POST /v1/translations — one text or a list, translated by the cheapest healthy offering that has
// the language pair and any formality or glossary asked for. Language tags are BCP 47, checked here;
// each adapter maps them to its provider's own codes.
import { formatUsd } from '../catalog/price';
import type { Job } from '../dispatch/job';
import { codePoints } from '../providers/shared/translation';
import { TranslationRequest, type TranslationJob } from '../tasks/translation';
import { jobFields } from './body';
import { sendJson } from './errors';
import { parsePreferences, runBufferedJob, type JobHandler, type JobServices } from './jobs';
import { canonicalLanguageTag } from './language-tags';
import { resolveModelId } from './model-ids';

export function translations(services: JobServices): JobHandler {
  return async (req, res) => {
    const { provider, ...fields } = jobFields(req);
    const request = TranslationRequest.parse({
      ...fields,
      ...('target_lang' in fields ? { target_lang: canonicalLanguageTag(fields.target_lang) } : {}),
      ...('source_lang' in fields ? { source_lang: canonicalLanguageTag(fields.source_lang) } : {}),
    });
    const texts = typeof request.text === 'string' ? [request.text] : request.text;
    const characters = texts.reduce((sum, text) => sum + codePoints(text), 0);
    const translation: TranslationJob = {
      texts,
      targetLang: request.target_lang,
      sourceLang: request.source_lang,
      formality: request.formality,
      glossary: request.glossary,
    };
    const job: Omit<Job, 'policy'> = {
      task: 'translation',
      model: resolveModelId(services.dispatcher.options.catalog, 'translation', request.model),
      needs: {
        sourceLang: request.source_lang,
        targetLang: request.target_lang,
        // "default" asks nothing of the offering; only more/less needs formality support.
        formality: request.formality !== undefined && request.formality !== 'default',
        glossary: request.glossary !== undefined && Object.keys(request.glossary).length > 0,
      },
      measure: { characters, inputs: texts.length },
      preferences: parsePreferences(provider),
    };

    const { result, charge, outcome } = await runBufferedJob(services, req, res, job, (_c, ctx, adapter) => adapter.translation!.translate(translation, ctx));
    sendJson(res, {
      translations: result.translations.map((t) => ({ text: t.text, detected_source_lang: t.detected_source_lang })),
      model: outcome.served.offering.model.id,
      usage: { characters: charge.units.characters ?? characters, cost_usd: formatUsd(charge.costMicros) },
    });
  };
}
