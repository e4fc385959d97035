import type { MediaFile } from './media';

export const TRANSCRIPTION_FORMATS = ['json', 'text', 'verbose_json', 'srt', 'vtt'] as const;
export type TranscriptionFormat = (typeof TRANSCRIPTION_FORMATS)[number];

export interface TranscriptionRequest {
  file: MediaFile;
  /** Duration the edge read from the file's headers, in seconds. */
  durationSeconds: number;
  language?: string;
  prompt?: string;
  temperature?: number;
  /** Segment timestamps are always asked for when the provider has them; words only on request. */
  wordTimestamps: boolean;
  diarize: boolean;
}

export interface TranscriptSegment {
  id: number;
  start: number;
  end: number;
  text: string;
  speaker?: string;
}

export interface TranscriptWord {
  word: string;
  start: number;
  end: number;
  speaker?: string;
}

export interface TranscriptionResult {
  text: string;
  language: string | null;
  /** Seconds of audio, as the provider reported it. */
  duration: number | null;
  segments: TranscriptSegment[];
  words: TranscriptWord[];
}
