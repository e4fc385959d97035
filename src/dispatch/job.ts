// A job as the dispatcher sees it: the task, the model asked for, what the job needs from an offering,
// how big it is (for the cost estimate), and who may serve it.
import { z } from 'zod';
import type { Task } from '../catalog/schema';

/** What the job asks of an offering beyond its task. Absent fields ask nothing. */
export interface JobNeeds {
  contextTokens?: number;
  tools?: boolean;
  vision?: boolean;
  jsonMode?: boolean;
  structuredOutput?: boolean;
  streaming?: boolean;
  /** An input format (png, pdf, mp3 …) the offering must accept. */
  inputFormat?: string;
  fileBytes?: number;
  pages?: number;
  durationSeconds?: number;
  /** Segment timings: subtitles (srt, vtt) and verbose_json are built from them. */
  timestamps?: boolean;
  wordTimestamps?: boolean;
  diarization?: boolean;
  voice?: string;
  outputFormat?: string;
  characters?: number;
  sourceLang?: string;
  targetLang?: string;
  formality?: boolean;
  glossary?: boolean;
}

/** How big the job is, in the quantities its cost depends on. */
export interface JobMeasure {
  promptTokens?: number;
  /** The most output tokens the job may produce (the client's cap, else the offering's). */
  maxOutputTokens?: number;
  pages?: number;
  audioSeconds?: number;
  characters?: number;
  /** Inputs in one request (moderation, translation). */
  inputs?: number;
  /** Characters of each input, for per-record metering. */
  inputCharacters?: number[];
}

const USD_PER_JOB = /^\d{1,9}(\.\d{1,6})?$/;

/** OpenRouter-style routing preferences, accepted on every job as `provider`. */
export const ProviderPreferences = z
  .object({
    order: z.array(z.string().min(1)).max(50).optional(),
    only: z.array(z.string().min(1)).max(50).optional(),
    ignore: z.array(z.string().min(1)).max(50).optional(),
    allow_fallbacks: z.boolean().default(true),
    sort: z.enum(['price', 'latency', 'throughput']).default('price'),
    /** USD per job, at most 6 decimals: a JSON number must print as such a decimal too (not 1e-7). */
    max_price: z
      .union([z.number(), z.string()])
      .refine((v) => USD_PER_JOB.test(String(v)), 'expected a non-negative USD amount with at most 6 decimals, like "0.01"')
      .optional(),
    data_collection: z.enum(['allow', 'deny']).default('allow'),
  })
  .strict();
export type ProviderPreferences = z.output<typeof ProviderPreferences>;

/** What an API key may use; null means no restriction. */
export interface KeyPolicy {
  allowedTasks: string[] | null;
  allowedModels: string[] | null;
  allowedProviders: string[] | null;
}

export const UNRESTRICTED: KeyPolicy = { allowedTasks: null, allowedModels: null, allowedProviders: null };

export interface Job {
  task: Task;
  /** A catalog id, or "auto" for every model of the task. */
  model: string;
  needs: JobNeeds;
  measure: JobMeasure;
  preferences: ProviderPreferences;
  policy: KeyPolicy;
}
