import { z } from 'zod';
import { AudioOutputFormat } from '../catalog/schema';

export const SpeechRequest = z.object({
  model: z.string().min(1).default('auto'),
  input: z.string().min(1).max(100_000),
  voice: z.string().min(1).max(200),
  response_format: AudioOutputFormat.default('mp3'),
  speed: z.number().min(0.25).max(4).optional(),
  instructions: z.string().max(4096).optional(),
});
export type SpeechRequest = z.infer<typeof SpeechRequest>;

export const SPEECH_CONTENT_TYPES: Record<z.infer<typeof AudioOutputFormat>, string> = {
  mp3: 'audio/mpeg',
  opus: 'audio/ogg',
  aac: 'audio/aac',
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm',
};

export interface SpeechResult {
  audio: Buffer;
  contentType: string;
}
