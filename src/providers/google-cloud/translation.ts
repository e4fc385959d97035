// Google Cloud Translation Basic (v2): POST /language/translate/v2 with {q:[…], target, source?,
// format}. The answer carries no usage; Google bills the source characters (code points) sent,
// once per target, so that is what is metered. Formality is not a v2 feature: like DeepL's
// prefer_* forms, a tone preference that cannot be honoured is dropped rather than failing the job.
import { z } from 'zod';
import { UpstreamError } from '../../errors';
import type { TranslationResult } from '../../tasks/translation';
import { batchTexts, codePoints, formatTag, parseTag, rejectGlossary } from '../shared/translation';
import { callJson } from '../shared/upstream';
import type { TranslationAdapter } from '../types';
import { googleCloudHeaders, googleCloudUrl } from './api';

const TranslateResponse = z.object({
  data: z.object({
    translations: z.array(
      z.object({
        translatedText: z.string(),
        detectedSourceLanguage: z.string().optional(),
        model: z.string().optional(),
      }),
    ),
  }),
});

/** Google takes at most 128 texts per request and advises keeping a request near 30k code points. */
const LIMITS = { maxItems: 128, maxSize: 30_000 };

/** v2 names its two translation models; any other provider model id leaves Google's default (nmt). */
const MODELS = new Set(['nmt', 'base']);

export const googleCloudTranslation: TranslationAdapter = {
  async translate(job, ctx) {
    // Glossaries exist only in v3 (Advanced) and need a stored resource per project.
    rejectGlossary('Google Cloud Translation (Basic)', job.glossary);
    const translations: TranslationResult['translations'] = [];
    for (const batch of batchTexts(job.texts, LIMITS)) {
      const body = {
        q: batch,
        target: toGoogleLang(job.targetLang),
        ...(job.sourceLang ? { source: toGoogleLang(job.sourceLang) } : {}),
        format: 'text',
        ...(MODELS.has(ctx.providerModelId) ? { model: ctx.providerModelId } : {}),
      };
      const { data } = await callJson(
        {
          provider: ctx.provider,
          url: googleCloudUrl(ctx.credentials, 'translation', '/language/translate/v2'),
          headers: { ...googleCloudHeaders(ctx.credentials), 'content-type': 'application/json' },
          body: JSON.stringify(body),
          timeoutMs: ctx.timeoutMs,
          signal: ctx.signal,
        },
        TranslateResponse,
      );
      const answered = data.data.translations;
      if (answered.length !== batch.length) {
        throw new UpstreamError(ctx.provider, 'protocol', `${ctx.provider} returned ${answered.length} translations for ${batch.length} texts`);
      }
      for (const t of answered) {
        translations.push({ text: t.translatedText, detected_source_lang: t.detectedSourceLanguage ? fromGoogleLang(t.detectedSourceLanguage) : null });
      }
    }
    const characters = job.texts.reduce((sum, text) => sum + codePoints(text), 0);
    return { result: { translations }, units: { characters } };
  },
};

/**
 * Google v2 codes are ISO 639-1 with a few regional exceptions: Chinese is zh-CN / zh-TW,
 * Portuguese "pt" is Brazilian and "pt-PT" European. Other variants translate as the base language.
 */
export function toGoogleLang(tag: string): string {
  const { language, script, region } = parseTag(tag);
  if (language === 'zh') return script === 'Hant' || (script === null && region !== null && ['TW', 'HK', 'MO'].includes(region)) ? 'zh-TW' : 'zh-CN';
  if (language === 'pt') return region === 'PT' ? 'pt-PT' : 'pt';
  return language;
}

/** Google's detected language ("zh-CN", "iw") as a BCP 47 tag ("zh-Hans", "he"). */
export function fromGoogleLang(code: string): string {
  const legacy: Record<string, string> = { 'zh-cn': 'zh-Hans', 'zh-tw': 'zh-Hant', iw: 'he', jw: 'jv' };
  return legacy[code.toLowerCase()] ?? formatTag(code);
}
