// The sample job of each task, used to compare offerings priced in different units: what one typical job
// costs at each offering's list price.
import type { Offering } from './catalog';
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
} from './conversions';
import { costMicros, UNITS, type Units } from './price';
import type { Task } from './schema';

export const SAMPLE_JOBS: Record<Task, string> = {
  chat: '1,000 input tokens and 500 output tokens',
  ocr: '1 page',
  transcription: '1 minute of audio',
  speech: '1,000 characters',
  translation: '1,000 characters',
  moderation: '1 request of 1,000 characters',
};

const SAMPLE_CHARACTERS = 1_000;
const SAMPLE_AUDIO_SECONDS = 60;

/**
 * The sample job in every unit a task's offerings may be metered in. Each offering is charged only for
 * the units it has a price for, so one table serves a page-priced and a token-priced OCR offering alike.
 */
const SAMPLE_UNITS: Record<Task, Units> = {
  chat: { input_tokens: 1_000, output_tokens: 500, requests: 1 },
  ocr: { pages: 1, requests: 1, input_tokens: OCR_PAGE_INPUT_TOKENS, output_tokens: OCR_PAGE_OUTPUT_TOKENS },
  transcription: {
    audio_seconds: SAMPLE_AUDIO_SECONDS,
    requests: 1,
    input_tokens: audioInputTokens(SAMPLE_AUDIO_SECONDS),
    output_tokens: transcriptTokens(SAMPLE_AUDIO_SECONDS),
  },
  speech: {
    characters: SAMPLE_CHARACTERS,
    requests: 1,
    input_tokens: tokensForCharacters(SAMPLE_CHARACTERS),
    output_tokens: speechAudioTokens(SAMPLE_CHARACTERS),
  },
  translation: {
    characters: SAMPLE_CHARACTERS,
    requests: 1,
    input_tokens: tokensForCharacters(SAMPLE_CHARACTERS) + TRANSLATION_PROMPT_TOKENS,
    output_tokens: tokensForCharacters(SAMPLE_CHARACTERS),
  },
  moderation: {
    requests: contentSafetyRecords(SAMPLE_CHARACTERS),
    characters: SAMPLE_CHARACTERS,
    input_tokens: tokensForCharacters(SAMPLE_CHARACTERS) + GUARD_PROMPT_TOKENS,
    output_tokens: GUARD_OUTPUT_TOKENS,
  },
};

/** The sample job expressed in the units this offering is priced in. */
export function sampleJobUnits(offering: Offering): Units {
  const all = SAMPLE_UNITS[offering.model.task];
  const units: Units = {};
  for (const unit of UNITS) {
    if (offering.pricing[unit] && all[unit] !== undefined) units[unit] = all[unit];
  }
  return units;
}

/** What the sample job costs at this offering's list price, in micro-USD (no markup). */
export function sampleJobCostMicros(offering: Offering): number {
  return costMicros(sampleJobUnits(offering), offering.pricing);
}
