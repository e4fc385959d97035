// Amazon Translate TranslateText: {Text, SourceLanguageCode ("auto" to detect), TargetLanguageCode,
// Settings:{Formality}} → {TranslatedText, SourceLanguageCode, TargetLanguageCode, AppliedSettings?}.
// One text per call, so a job's texts go out a few at a time. The answer carries no usage; Amazon
// bills the source characters sent, so those (code points) are metered.
//
// Errors come as {"__type": "…Exception", "message"}: TooManyRequestsException is 429 and the
// service's 5xx retry, UnsupportedLanguagePair / TextSizeLimitExceeded / InvalidRequest are 400s
// and do not. Formality is a preference: Amazon ignores it for targets without formal registers.
import { z } from 'zod';
import type { TranslationJob } from '../../tasks/translation';
import { fanOut } from '../shared/fan-out';
import { codePoints, formatTag, parseTag, rejectGlossary } from '../shared/translation';
import { callJson } from '../shared/upstream';
import type { CallContext, TranslationAdapter } from '../types';
import { awsSignedHeaders, awsTranslateUrl } from './api';

const TranslateTextResponse = z.object({
  TranslatedText: z.string(),
  SourceLanguageCode: z.string().min(1),
  TargetLanguageCode: z.string().min(1),
  AppliedSettings: z.object({ Formality: z.string().optional(), Profanity: z.string().optional() }).optional(),
});

const TARGET = 'AWSShineFrontendService_20170701.TranslateText';

/** Calls in flight per job: TranslateText's default quota is counted per second and account. */
const CONCURRENCY = 4;

const FORMALITY = { more: 'FORMAL', less: 'INFORMAL' } as const;

export const awsTranslateTranslation: TranslationAdapter = {
  async translate(job, ctx) {
    // Amazon applies only stored terminologies (ImportTerminology), not per-call term pairs.
    rejectGlossary('Amazon Translate', job.glossary);
    const translations = await fanOut(job.texts, CONCURRENCY, (text) => translateOne(text, job, ctx));
    const characters = job.texts.reduce((sum, text) => sum + codePoints(text), 0);
    return { result: { translations }, units: { characters } };
  },
};

async function translateOne(text: string, job: TranslationJob, ctx: CallContext) {
  const body = JSON.stringify({
    Text: text,
    SourceLanguageCode: job.sourceLang ? toAwsLang(job.sourceLang) : 'auto',
    TargetLanguageCode: toAwsLang(job.targetLang),
    ...(job.formality && job.formality !== 'default' ? { Settings: { Formality: FORMALITY[job.formality] } } : {}),
  });
  const { data } = await callJson(
    {
      provider: ctx.provider,
      url: awsTranslateUrl(ctx.credentials).toString(),
      headers: awsSignedHeaders(ctx.provider, ctx.credentials, TARGET, body),
      body,
      timeoutMs: ctx.timeoutMs,
      signal: ctx.signal,
    },
    TranslateTextResponse,
  );
  // Amazon names the source language even when it was given, so only a detected one is reported.
  return { text: data.TranslatedText, detected_source_lang: job.sourceLang ? null : fromAwsLang(data.SourceLanguageCode) };
}

/**
 * Amazon's codes are ISO 639-1 plus a few variants it translates into: zh (Simplified) / zh-TW,
 * pt (Brazilian) / pt-PT, fr / fr-CA, es / es-MX, fa / fa-AF (Dari); Filipino is "tl".
 * Other regional variants translate as the base language.
 */
export function toAwsLang(tag: string): string {
  const { language, script, region } = parseTag(tag);
  switch (language) {
    case 'zh':
      return script === 'Hant' || (script === null && region !== null && ['TW', 'HK', 'MO'].includes(region)) ? 'zh-TW' : 'zh';
    case 'pt':
      return region === 'PT' ? 'pt-PT' : 'pt';
    case 'fr':
      return region === 'CA' ? 'fr-CA' : 'fr';
    case 'es':
      return region === 'MX' ? 'es-MX' : 'es';
    case 'fa':
      return region === 'AF' ? 'fa-AF' : 'fa';
    case 'fil':
      return 'tl';
    default:
      return language;
  }
}

/** Amazon's detected language ("zh-TW", "en") as a BCP 47 tag ("zh-Hant", "en"). */
export function fromAwsLang(code: string): string {
  const own: Record<string, string> = { zh: 'zh-Hans', 'zh-tw': 'zh-Hant' };
  return own[code.toLowerCase()] ?? formatTag(code);
}
