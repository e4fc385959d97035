// LibreTranslate (https://github.com/LibreTranslate/LibreTranslate): POST {base}/translate with
// {q:[…], source:"auto"|code, target, format:"text", api_key?}. A self-hosted server bills
// nothing, so the metered characters are the source code points, measured here. Formality is
// not a LibreTranslate feature: like DeepL's prefer_* forms, the preference is dropped.
import { z } from 'zod';
import { UpstreamError } from '../../errors';
import { joinUrl } from '../shared/auth';
import { codePoints, formatTag, parseTag, rejectGlossary } from '../shared/translation';
import { callJson } from '../shared/upstream';
import type { TranslationAdapter } from '../types';

const Detected = z.object({ language: z.string().min(1), confidence: z.number() });

const TranslateResponse = z.object({
  translatedText: z.union([z.string(), z.array(z.string())]),
  // An object for a single text, a list (one per text) for a batch; only when source is "auto".
  detectedLanguage: z.union([Detected, z.array(Detected)]).optional(),
});

export const libretranslateTranslation: TranslationAdapter = {
  async translate(job, ctx) {
    rejectGlossary('LibreTranslate', job.glossary);
    const body = {
      q: job.texts,
      source: job.sourceLang ? toLibreLang(job.sourceLang) : 'auto',
      target: toLibreLang(job.targetLang),
      format: 'text',
      ...(ctx.credentials.apiKey ? { api_key: ctx.credentials.apiKey } : {}),
    };
    const { data } = await callJson(
      {
        provider: ctx.provider,
        url: joinUrl(ctx.credentials.baseUrl, 'translate'),
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        timeoutMs: ctx.timeoutMs,
        signal: ctx.signal,
      },
      TranslateResponse,
    );
    const texts = Array.isArray(data.translatedText) ? data.translatedText : [data.translatedText];
    if (texts.length !== job.texts.length) {
      throw new UpstreamError(ctx.provider, 'protocol', `${ctx.provider} returned ${texts.length} translations for ${job.texts.length} texts`);
    }
    const detected = data.detectedLanguage === undefined ? [] : Array.isArray(data.detectedLanguage) ? data.detectedLanguage : [data.detectedLanguage];
    const translations = texts.map((text, i) => {
      const language = detected[i]?.language ?? detected[0]?.language;
      return { text, detected_source_lang: language ? fromLibreLang(language) : null };
    });
    const characters = job.texts.reduce((sum, text) => sum + codePoints(text), 0);
    return { result: { translations }, units: { characters } };
  },
};

/**
 * LibreTranslate's own language codes, which every version understands: "pb" for Brazilian
 * Portuguese, "zt" for Traditional Chinese, "zh" for Simplified. Newer servers also accept
 * pt-BR / zh-Hans / zh-Hant, older ones only these. Other variants translate as the base language.
 */
export function toLibreLang(tag: string): string {
  const { language, script, region } = parseTag(tag);
  if (language === 'pt' && region === 'BR') return 'pb';
  if (language === 'zh') return script === 'Hant' || (script === null && region !== null && ['TW', 'HK', 'MO'].includes(region)) ? 'zt' : 'zh';
  return language;
}

/** Newer servers answer in BCP 47 already; older ones with their own codes. */
export function fromLibreLang(code: string): string {
  const own: Record<string, string> = { pb: 'pt-BR', zt: 'zh-Hant' };
  return own[code.toLowerCase()] ?? formatTag(code);
}
