import { z } from 'zod';
import { LanguageTag } from '../catalog/schema';

const Lang = LanguageTag.refine((tag) => tag !== '*', 'expected a language tag, not "*"');

export const TranslationRequest = z.object({
  model: z.string().min(1).default('auto'),
  text: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(128)]),
  target_lang: Lang,
  source_lang: Lang.optional(),
  formality: z.enum(['default', 'more', 'less']).optional(),
  /** Term pairs to enforce, source → target. */
  glossary: z.record(z.string().min(1), z.string().min(1)).optional(),
});
export type TranslationRequest = z.infer<typeof TranslationRequest>;

/** What adapters receive: texts always as a list. */
export interface TranslationJob {
  texts: string[];
  targetLang: string;
  sourceLang?: string;
  formality?: 'default' | 'more' | 'less';
  glossary?: Record<string, string>;
}

export interface TranslationResult {
  translations: { text: string; detected_source_lang: string | null }[];
}
