// DeepL text translation: POST /v2/translate (JSON). Billing follows DeepL's own count: with
// show_billed_characters the answer says how many characters each text cost.
//
// Glossaries: DeepL applies only stored glossaries (by id), so a job's term pairs become a
// one-off v3 glossary that is created before the translation and deleted after it. DeepL does
// not bill glossary calls; they count toward the account's glossary quota only while they live.
import { z } from 'zod';
import { InvalidRequest, UpstreamError } from '../../errors';
import type { TranslationJob, TranslationResult } from '../../tasks/translation';
import { joinUrl } from '../shared/auth';
import { batchTexts, codePoints } from '../shared/translation';
import { callJson, callUpstream } from '../shared/upstream';
import type { CallContext, TranslationAdapter } from '../types';
import { DEEPL_LIMITS, deeplBaseUrl, deeplHeaders } from './api';
import { deeplGlossaryLang, deeplSourceLang, deeplTargetLang, fromDeeplLang } from './languages';

const TranslateResponse = z.object({
  translations: z.array(
    z.object({
      detected_source_language: z.string().min(1),
      text: z.string(),
      billed_characters: z.number().int().nonnegative().optional(),
    }),
  ),
});

const GlossaryCreated = z.object({ glossary_id: z.string().min(1) });

/** The prefer_* forms fall back to the default tone for targets without formality instead of failing. */
const FORMALITY = { more: 'prefer_more', less: 'prefer_less' } as const;

/** An offering's provider model id may pick DeepL's model type; anything else leaves DeepL's default. */
const MODEL_TYPES = new Set(['quality_optimized', 'prefer_quality_optimized', 'latency_optimized']);

export const deeplTranslation: TranslationAdapter = {
  async translate(job, ctx) {
    const glossaryId = hasGlossary(job) ? await createGlossary(job, ctx) : null;
    try {
      return await translateTexts(job, glossaryId, ctx);
    } finally {
      if (glossaryId) await deleteGlossary(glossaryId, ctx);
    }
  },
};

async function translateTexts(job: TranslationJob, glossaryId: string | null, ctx: CallContext) {
  const translations: TranslationResult['translations'] = [];
  let billed = 0;
  const batches = batchTexts(job.texts, {
    maxItems: DEEPL_LIMITS.maxTexts,
    maxSize: DEEPL_LIMITS.maxTextBytes,
    measure: (text) => Buffer.byteLength(text, 'utf8'),
  });
  for (const batch of batches) {
    const body = {
      text: batch,
      target_lang: deeplTargetLang(job.targetLang),
      ...(job.sourceLang ? { source_lang: deeplSourceLang(job.sourceLang) } : {}),
      ...(job.formality && job.formality !== 'default' ? { formality: FORMALITY[job.formality] } : {}),
      ...(glossaryId ? { glossary_id: glossaryId } : {}),
      ...(MODEL_TYPES.has(ctx.providerModelId) ? { model_type: ctx.providerModelId } : {}),
      show_billed_characters: true,
    };
    const { data } = await callJson(
      {
        provider: ctx.provider,
        url: joinUrl(deeplBaseUrl(ctx.credentials), 'v2/translate'),
        headers: { ...deeplHeaders(ctx.credentials), 'content-type': 'application/json' },
        body: JSON.stringify(body),
        timeoutMs: ctx.timeoutMs,
        signal: ctx.signal,
      },
      TranslateResponse,
    );
    if (data.translations.length !== batch.length) {
      throw new UpstreamError(ctx.provider, 'protocol', `${ctx.provider} returned ${data.translations.length} translations for ${batch.length} texts`);
    }
    data.translations.forEach((t, i) => {
      translations.push({ text: t.text, detected_source_lang: fromDeeplLang(t.detected_source_language) });
      billed += t.billed_characters ?? codePoints(batch[i]!);
    });
  }
  return { result: { translations }, units: { characters: billed } };
}

function hasGlossary(job: TranslationJob): job is TranslationJob & { glossary: Record<string, string> } {
  return job.glossary !== undefined && Object.keys(job.glossary).length > 0;
}

async function createGlossary(job: TranslationJob & { glossary: Record<string, string> }, ctx: CallContext): Promise<string> {
  if (!job.sourceLang) {
    throw new InvalidRequest('DeepL applies a glossary only when source_lang is given.', 'source_lang');
  }
  const entries = Object.entries(job.glossary).map(([source, target]) => {
    // Entries travel as TSV: a tab or line break inside a term would split it.
    if (/[\t\r\n]/.test(source + target)) throw new InvalidRequest('Glossary terms cannot contain tabs or line breaks.', 'glossary');
    return `${source.trim()}\t${target.trim()}`;
  });
  const dictionary = {
    source_lang: deeplGlossaryLang(job.sourceLang),
    target_lang: deeplGlossaryLang(job.targetLang),
    entries: entries.join('\n'),
    entries_format: 'tsv',
  };
  const { data } = await callJson(
    {
      provider: ctx.provider,
      url: joinUrl(deeplBaseUrl(ctx.credentials), 'v3/glossaries'),
      headers: { ...deeplHeaders(ctx.credentials), 'content-type': 'application/json' },
      body: JSON.stringify({ name: `switchyard ${ctx.requestId}`, dictionaries: [dictionary] }),
      timeoutMs: ctx.timeoutMs,
      signal: ctx.signal,
    },
    GlossaryCreated,
  );
  return data.glossary_id;
}

/**
 * Best effort, and deliberately without the job's abort signal: the translation has already
 * succeeded or failed on its own, and a glossary left behind only uses up the account's quota.
 */
async function deleteGlossary(glossaryId: string, ctx: CallContext): Promise<void> {
  try {
    const response = await callUpstream({
      provider: ctx.provider,
      method: 'DELETE',
      url: joinUrl(deeplBaseUrl(ctx.credentials), `v3/glossaries/${encodeURIComponent(glossaryId)}`),
      headers: deeplHeaders(ctx.credentials),
      timeoutMs: ctx.timeoutMs,
    });
    await response.body.dump();
  } catch {
    // Nothing to do: see above.
  }
}
