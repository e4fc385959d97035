// A normalized transcript rendered in each of OpenAI's response formats, whatever provider served
// it: json, text, verbose_json (OpenAI's shape, language by English name), diarized_json, and SubRip
// and WebVTT subtitles built from the segments. A provider without segments still gets subtitles:
// cues are cut from its word timings, or, with neither, one cue spans the whole audio.
import { whisperLanguageName } from '../providers/shared/whisper-languages';
import { TRANSCRIPTION_FORMATS, type TranscriptionResult } from '../tasks/transcription';

/** OpenAI's formats plus diarized_json, which its diarizing model answers. */
export const RESPONSE_FORMATS = [...TRANSCRIPTION_FORMATS, 'diarized_json'] as const;
export type ResponseFormat = (typeof RESPONSE_FORMATS)[number];

export interface Cue {
  start: number;
  end: number;
  text: string;
}

/** A cue cut from word timings ends at a sentence end, or before it grows longer than this. */
const CUE_MAX_SECONDS = 7;
const CUE_MAX_CHARACTERS = 84;

export function subtitleCues(result: TranscriptionResult, durationSeconds: number): Cue[] {
  const cues = result.segments.length
    ? result.segments.map((s) => ({ start: s.start, end: s.end, text: s.text }))
    : result.words.length
      ? cuesFromWords(result.words)
      : [{ start: 0, end: durationSeconds, text: result.text }];
  return cues.map((c) => ({ start: Math.max(0, c.start), end: Math.max(c.start, c.end), text: oneLine(c.text) })).filter((c) => c.text !== '');
}

function cuesFromWords(words: TranscriptionResult['words']): Cue[] {
  const cues: Cue[] = [];
  let current: Cue | null = null;
  for (const word of words) {
    // A word that would stretch the cue past the limits opens the next one.
    if (current && (word.end - current.start > CUE_MAX_SECONDS || current.text.length + 1 + word.word.length > CUE_MAX_CHARACTERS)) {
      cues.push(current);
      current = null;
    }
    if (current) {
      current.text += ` ${word.word}`;
      current.end = word.end;
    } else {
      current = { start: word.start, end: word.end, text: word.word };
    }
    if (/[.!?…]$/.test(word.word)) {
      cues.push(current);
      current = null;
    }
  }
  if (current) cues.push(current);
  return cues;
}

/** A blank line ends a cue in both formats, so cue text is kept on one line. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** HH:MM:SS,mmm (SubRip) or HH:MM:SS.mmm (WebVTT). */
export function subtitleTimestamp(seconds: number, separator: ',' | '.'): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const hh = String(Math.floor(ms / 3_600_000)).padStart(2, '0');
  const mm = String(Math.floor(ms / 60_000) % 60).padStart(2, '0');
  const ss = String(Math.floor(ms / 1000) % 60).padStart(2, '0');
  return `${hh}:${mm}:${ss}${separator}${String(ms % 1000).padStart(3, '0')}`;
}

export function formatSrt(cues: Cue[]): string {
  return cues.map((c, i) => `${i + 1}\n${subtitleTimestamp(c.start, ',')} --> ${subtitleTimestamp(c.end, ',')}\n${c.text}\n`).join('\n');
}

export function formatVtt(cues: Cue[]): string {
  // Cue text is HTML-like in WebVTT: "&", "<" and ">" (so also "-->") must be escaped.
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const body = cues.map((c) => `${subtitleTimestamp(c.start, '.')} --> ${subtitleTimestamp(c.end, '.')}\n${escape(c.text)}\n`).join('\n');
  return `WEBVTT\n\n${body}`;
}

export interface RenderContext {
  /** The duration the edge read from the file, used when the provider reported none. */
  durationSeconds: number;
  /** The language the client named, used when the provider reported none. */
  requestedLanguage?: string;
  /** Words are only in verbose_json, and only when the client asked for them. */
  includeWords: boolean;
  /** The usage object every JSON format carries (seconds or tokens, and the cost). */
  usage: Record<string, unknown>;
}

export interface RenderedTranscript {
  contentType: string;
  body: string | Record<string, unknown>;
}

const TEXT = 'text/plain; charset=utf-8';

export function renderTranscript(format: ResponseFormat, result: TranscriptionResult, context: RenderContext): RenderedTranscript {
  const duration = result.duration ?? context.durationSeconds;
  switch (format) {
    case 'text':
      return { contentType: TEXT, body: `${result.text}\n` };
    case 'srt':
      return { contentType: TEXT, body: formatSrt(subtitleCues(result, duration)) };
    case 'vtt':
      return { contentType: TEXT, body: formatVtt(subtitleCues(result, duration)) };
    case 'json':
      return { contentType: 'application/json', body: { text: result.text, usage: context.usage } };
    case 'verbose_json':
      return { contentType: 'application/json', body: verboseJson(result, duration, context) };
    case 'diarized_json':
      return { contentType: 'application/json', body: diarizedJson(result, duration, context) };
  }
}

/**
 * OpenAI's verbose_json. Segments carry what every provider knows (id, start, end, text, and the
 * speaker when there is one); Whisper's decoder statistics (tokens, avg_logprob …) are not made up
 * for providers that have none.
 */
function verboseJson(result: TranscriptionResult, duration: number, context: RenderContext): Record<string, unknown> {
  const code = result.language ?? context.requestedLanguage ?? null;
  return {
    task: 'transcribe',
    language: code ? (whisperLanguageName(code) ?? code) : 'unknown',
    duration,
    text: result.text,
    segments: result.segments.map((s) => ({ id: s.id, start: s.start, end: s.end, text: s.text, ...(s.speaker !== undefined ? { speaker: s.speaker } : {}) })),
    ...(context.includeWords ? { words: result.words.map((w) => ({ word: w.word, start: w.start, end: w.end, ...(w.speaker !== undefined ? { speaker: w.speaker } : {}) })) } : {}),
    usage: context.usage,
  };
}

/** OpenAI's diarized_json: segments with speaker labels ("A", "B" …). */
function diarizedJson(result: TranscriptionResult, duration: number, context: RenderContext): Record<string, unknown> {
  return {
    task: 'transcribe',
    duration,
    text: result.text,
    segments: result.segments.map((s) => ({
      type: 'transcript.text.segment',
      id: `seg_${s.id}`,
      start: s.start,
      end: s.end,
      text: s.text,
      speaker: s.speaker ?? 'A',
    })),
    usage: context.usage,
  };
}
