// Conversion constants for offerings metered in a unit other than the task's natural one (an OCR model
// billed in tokens, speech billed in audio tokens, a 1,000-character moderation record …). The catalog's
// sample jobs and the dispatcher's pre-job estimates both use these, so an estimate and a catalog price
// never disagree. They are estimates: the bill always uses the units the provider reports afterwards.

/** English text averages about 4 characters per token in OpenAI-, Llama- and Qwen-style tokenizers. */
export const CHARS_PER_TOKEN = 4;

/**
 * One page image sent to a vision chat model for OCR: a Letter/A4 page rendered at ~1,300 px on its long
 * side is ~1,500 image tokens for Qwen2-VL-family models (28×28-pixel patches), plus ~100 prompt tokens.
 */
export const OCR_PAGE_INPUT_TOKENS = 1_600;
/** The text of a dense page (~500 words as Markdown) comes back as roughly 1,000 tokens. */
export const OCR_PAGE_OUTPUT_TOKENS = 1_000;

/** OpenAI's audio models encode input audio at one token per 100 ms. */
export const AUDIO_INPUT_TOKENS_PER_SECOND = 10;
/** Conversational speech runs ~150 words a minute, ~200 tokens of transcript. */
export const TRANSCRIPT_TOKENS_PER_MINUTE = 200;

/** Read-aloud speech runs ~150 words a minute, ~900 characters with spaces and punctuation. */
export const SPEECH_CHARS_PER_MINUTE = 900;
/**
 * Audio output tokens per minute of generated speech for OpenAI's token-billed TTS (gpt-4o-mini-tts):
 * OpenAI estimates $0.015 per minute at $12 per 1M audio output tokens, i.e. 1,250 tokens a minute.
 */
export const TTS_AUDIO_TOKENS_PER_MINUTE = 1_250;

/** Instruction wrapped around the text when a chat-style model translates it. */
export const TRANSLATION_PROMPT_TOKENS = 50;

/** Llama Guard's chat template (task, the hazard category list, output format) adds about 250 tokens. */
export const GUARD_PROMPT_TOKENS = 250;
/** A guard model answers "safe" or "unsafe\nS1,S10": a handful of tokens. */
export const GUARD_OUTPUT_TOKENS = 10;

/** Azure AI Content Safety bills text in records of up to 1,000 characters (a request's `requests` unit). */
export const CONTENT_SAFETY_CHARS_PER_RECORD = 1_000;

export function tokensForCharacters(characters: number): number {
  return Math.ceil(characters / CHARS_PER_TOKEN);
}

export function audioInputTokens(seconds: number): number {
  return Math.ceil(seconds * AUDIO_INPUT_TOKENS_PER_SECOND);
}

export function transcriptTokens(seconds: number): number {
  return Math.ceil((seconds / 60) * TRANSCRIPT_TOKENS_PER_MINUTE);
}

export function speechAudioTokens(characters: number): number {
  return Math.ceil((characters / SPEECH_CHARS_PER_MINUTE) * TTS_AUDIO_TOKENS_PER_MINUTE);
}

export function contentSafetyRecords(characters: number): number {
  return Math.max(1, Math.ceil(characters / CONTENT_SAFETY_CHARS_PER_RECORD));
}
