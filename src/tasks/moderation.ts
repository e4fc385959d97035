import { z } from 'zod';
import { ModerationCategory } from '../catalog/schema';

const InputPart = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('image_url'), image_url: z.object({ url: z.string().min(1) }) }),
]);

export const ModerationRequest = z.object({
  model: z.string().min(1).default('auto'),
  input: z.union([z.string(), z.array(z.string()).min(1).max(64), z.array(InputPart).min(1).max(64)]),
});
export type ModerationRequest = z.infer<typeof ModerationRequest>;

export type ModerationCategory = z.infer<typeof ModerationCategory>;
export const MODERATION_CATEGORIES = ModerationCategory.options;

/** What adapters receive: one entry per input to classify. */
export interface ModerationJob {
  inputs: string[];
}

export interface ModerationVerdict {
  flagged: boolean;
  categories: Record<ModerationCategory, boolean>;
  category_scores: Record<ModerationCategory, number>;
}

export interface ModerationResult {
  results: ModerationVerdict[];
}

/** A verdict with every OpenAI category present: the ones a provider reports are filled in. */
export function verdict(scores: Partial<Record<ModerationCategory, number>>, threshold = 0.5): ModerationVerdict {
  const categories = {} as Record<ModerationCategory, boolean>;
  const category_scores = {} as Record<ModerationCategory, number>;
  for (const name of MODERATION_CATEGORIES) {
    const score = scores[name] ?? 0;
    category_scores[name] = score;
    categories[name] = score >= threshold;
  }
  return { flagged: Object.values(categories).some(Boolean), categories, category_scores };
}
