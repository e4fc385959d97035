// A job's cost before it runs, from the request alone: it ranks offerings and sizes the billing hold.
// The bill itself always uses the units the provider reports afterwards.
import type { Offering } from '../catalog/catalog';
import {
  audioInputTokens,
  contentSafetyRecords,
  GUARD_OUTPUT_TOKENS,
  GUARD_PROMPT_TOKENS,
  OCR_PAGE_INPUT_TOKENS,
  OCR_PAGE_OUTPUT_TOKENS,
  speechAudioTokens,
  tokensForCharacters,
  transcriptTokens,
  TRANSLATION_PROMPT_TOKENS,
} from '../catalog/conversions';
import { costMicros, UNITS, type Units } from '../catalog/price';
import type { Job } from './job';

/** Output budget assumed for a chat job that sets no max_tokens, when the model allows that many. */
export const DEFAULT_CHAT_OUTPUT_TOKENS = 4_096;

export interface Estimate {
  units: Units;
  /** What the provider would charge, micro-USD. */
  providerMicros: number;
  /** What the customer would pay: provider price × (1 + markup). */
  customerMicros: number;
}

export function estimateJob(offering: Offering, job: Job, markupPpm: bigint): Estimate {
  const units = pricedUnits(offering, allUnits(offering, job));
  return { units, providerMicros: costMicros(units, offering.pricing), customerMicros: costMicros(units, offering.pricing, markupPpm) };
}

/** The output tokens a chat job may use on this offering. */
export function chatOutputBudget(offering: Offering, job: Job): number {
  const limit = offering.limits.max_output_tokens ?? (offering.model.task === 'chat' ? offering.model.capabilities.max_output_tokens : undefined);
  const asked = job.measure.maxOutputTokens ?? DEFAULT_CHAT_OUTPUT_TOKENS;
  return limit ? Math.min(asked, limit) : asked;
}

function allUnits(offering: Offering, job: Job): Units {
  const m = job.measure;
  switch (job.task) {
    case 'chat':
      return { input_tokens: m.promptTokens ?? 0, output_tokens: chatOutputBudget(offering, job), requests: 1 };
    case 'ocr': {
      const pages = m.pages ?? 1;
      return { pages, requests: 1, input_tokens: pages * OCR_PAGE_INPUT_TOKENS, output_tokens: pages * OCR_PAGE_OUTPUT_TOKENS };
    }
    case 'transcription': {
      const seconds = m.audioSeconds ?? 0;
      return { audio_seconds: seconds, requests: 1, input_tokens: audioInputTokens(seconds), output_tokens: transcriptTokens(seconds) };
    }
    case 'speech': {
      const characters = m.characters ?? 0;
      return { characters, requests: 1, input_tokens: tokensForCharacters(characters), output_tokens: speechAudioTokens(characters) };
    }
    case 'translation': {
      const characters = m.characters ?? 0;
      const inputs = m.inputs ?? 1;
      return {
        characters,
        requests: inputs,
        input_tokens: tokensForCharacters(characters) + inputs * TRANSLATION_PROMPT_TOKENS,
        output_tokens: tokensForCharacters(characters) * 2,
      };
    }
    case 'moderation': {
      const lengths = m.inputCharacters ?? [m.characters ?? 0];
      const characters = lengths.reduce((a, b) => a + b, 0);
      return {
        requests: lengths.reduce((sum, n) => sum + contentSafetyRecords(n), 0),
        characters,
        input_tokens: tokensForCharacters(characters) + lengths.length * GUARD_PROMPT_TOKENS,
        output_tokens: lengths.length * GUARD_OUTPUT_TOKENS,
      };
    }
  }
}

function pricedUnits(offering: Offering, all: Units): Units {
  const units: Units = {};
  for (const unit of UNITS) {
    if (offering.pricing[unit] && all[unit] !== undefined) units[unit] = all[unit];
  }
  return units;
}
