// Azure AI Translator v3: POST {base}/translate?api-version=3.0&to=…[&from=…] with [{"Text": …}].
// Azure reports what it charges in the X-metered-usage header (characters, counted once per
// target language), so that header is the bill. Formality has no v3 equivalent: like DeepL's
// prefer_* forms, a tone preference that cannot be honoured is dropped rather than failing the job.
import { z } from 'zod';
import { UpstreamError } from '../../errors';
import type { TranslationResult } from '../../tasks/translation';
import { joinUrl } from '../shared/auth';
import { batchTexts, codePoints, formatTag, parseTag, rejectGlossary } from '../shared/translation';
import { callJson } from '../shared/upstream';
import type { CallContext, TranslationAdapter } from '../types';
import { AZURE_TRANSLATOR_LIMITS, azureTranslatorHeaders } from './api';

const TranslateResponse = z.array(
  z.object({
    detectedLanguage: z.object({ language: z.string().min(1), score: z.number() }).optional(),
    translations: z.array(z.object({ text: z.string(), to: z.string() })).min(1),
  }),
);

export const azureTranslatorTranslation: TranslationAdapter = {
  async translate(job, ctx) {
    // Azure's dynamic dictionary is inline markup that changes the text and its bill; not offered.
    rejectGlossary('Azure Translator', job.glossary);
    const translations: TranslationResult['translations'] = [];
    let characters = 0;
    for (const batch of batchTexts(job.texts, AZURE_TRANSLATOR_LIMITS)) {
      const query = new URLSearchParams({ 'api-version': '3.0', to: toAzureLang(job.targetLang), textType: 'plain' });
      if (job.sourceLang) query.set('from', toAzureLang(job.sourceLang));
      const { data, headers } = await callJson(
        {
          provider: ctx.provider,
          url: `${joinUrl(ctx.credentials.baseUrl, 'translate')}?${query}`,
          headers: { ...azureTranslatorHeaders(ctx.credentials), 'content-type': 'application/json' },
          body: JSON.stringify(batch.map((text) => ({ Text: text }))),
          timeoutMs: ctx.timeoutMs,
          signal: ctx.signal,
        },
        TranslateResponse,
      );
      if (data.length !== batch.length) {
        throw new UpstreamError(ctx.provider, 'protocol', `${ctx.provider} returned ${data.length} results for ${batch.length} texts`);
      }
      for (const item of data) {
        translations.push({ text: item.translations[0]!.text, detected_source_lang: item.detectedLanguage ? formatTag(item.detectedLanguage.language) : null });
      }
      characters += meteredCharacters(headers, batch, ctx);
    }
    return { result: { translations }, units: { characters } };
  },
};

function meteredCharacters(headers: Record<string, string>, batch: string[], ctx: CallContext): number {
  const metered = headers['x-metered-usage'];
  if (metered === undefined) return batch.reduce((sum, text) => sum + codePoints(text), 0);
  if (!/^\d+$/.test(metered.trim())) {
    throw new UpstreamError(ctx.provider, 'protocol', `${ctx.provider} sent an unreadable X-metered-usage header: ${metered.slice(0, 40)}`);
  }
  return Number(metered);
}

/**
 * Azure's codes are BCP 47 with its own choices: Chinese by script (zh-Hans / zh-Hant), "pt" is
 * Brazilian and "pt-pt" European, "fr-ca" is Canadian French, Serbian and Mongolian always name
 * their script. Other regional variants translate as the base language.
 */
export function toAzureLang(tag: string): string {
  const { language, script, region } = parseTag(tag);
  switch (language) {
    case 'zh':
      return script === 'Hant' || (script === null && region !== null && ['TW', 'HK', 'MO'].includes(region)) ? 'zh-Hant' : 'zh-Hans';
    case 'pt':
      return region === 'PT' ? 'pt-pt' : 'pt';
    case 'fr':
      return region === 'CA' ? 'fr-ca' : 'fr';
    case 'sr':
      return script === 'Latn' ? 'sr-Latn' : 'sr-Cyrl';
    case 'mn':
      return script === 'Mong' ? 'mn-Mong' : 'mn-Cyrl';
    default:
      return script ? `${language}-${script}` : language;
  }
}
