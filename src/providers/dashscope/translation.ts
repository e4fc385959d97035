// Qwen-MT on Alibaba Cloud Model Studio: POST {base}/chat/completions with exactly one user message
// (the text) and translation_options {source_lang, target_lang, terms?}; a system message or a
// second turn is refused. A job's texts therefore go one request each, a few at a time. Qwen-MT is
// priced per token, so the metered units are the prompt and completion tokens Model Studio reports.
// A glossary becomes translation_options.terms (Qwen-MT's term intervention); formality is not a
// Qwen-MT option and, as with DeepL's prefer_* forms, the preference is dropped.
// https://www.alibabacloud.com/help/en/model-studio/machine-translation
import { z } from 'zod';
import { InvalidRequest } from '../../errors';
import type { TranslationJob } from '../../tasks/translation';
import { bearerHeaders, joinUrl } from '../shared/auth';
import { fanOut } from '../shared/fan-out';
import { callJson } from '../shared/upstream';
import type { CallContext, TranslationAdapter } from '../types';
import { toQwenMtLanguage } from './languages';

/** Qwen-MT's rate limits are per minute and low (60 RPM), so a long list goes a few texts at a time. */
const PARALLEL_TEXTS = 4;

const Completion = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string() }) })).min(1),
  usage: z.object({ prompt_tokens: z.number().int().nonnegative(), completion_tokens: z.number().int().nonnegative() }),
});

export const dashscopeTranslation: TranslationAdapter = {
  async translate(job, ctx) {
    const options = translationOptions(job);
    const answers = await fanOut(job.texts, PARALLEL_TEXTS, (text) => translateOne(text, options, ctx));
    return {
      result: { translations: answers.map((a) => ({ text: a.text, detected_source_lang: null })) },
      units: {
        input_tokens: answers.reduce((sum, a) => sum + a.inputTokens, 0),
        output_tokens: answers.reduce((sum, a) => sum + a.outputTokens, 0),
      },
    };
  },
};

function translationOptions(job: TranslationJob) {
  const target = toQwenMtLanguage(job.targetLang);
  if (!target) throw new InvalidRequest(`Qwen-MT cannot translate into ${job.targetLang}.`, 'target_lang');
  const source = job.sourceLang ? toQwenMtLanguage(job.sourceLang) : 'auto';
  if (!source) throw new InvalidRequest(`Qwen-MT cannot translate from ${job.sourceLang}.`, 'source_lang');
  const terms = Object.entries(job.glossary ?? {}).map(([from, to]) => ({ source: from, target: to }));
  return { source_lang: source, target_lang: target, ...(terms.length > 0 ? { terms } : {}) };
}

async function translateOne(text: string, options: ReturnType<typeof translationOptions>, ctx: CallContext) {
  const { data } = await callJson(
    {
      provider: ctx.provider,
      url: joinUrl(ctx.credentials.baseUrl, 'chat/completions'),
      headers: { ...bearerHeaders(ctx.credentials), 'content-type': 'application/json' },
      body: JSON.stringify({ model: ctx.providerModelId, messages: [{ role: 'user', content: text }], translation_options: options }),
      timeoutMs: ctx.timeoutMs,
      signal: ctx.signal,
    },
    Completion,
  );
  return { text: data.choices[0]!.message.content, inputTokens: data.usage.prompt_tokens, outputTokens: data.usage.completion_tokens };
}
