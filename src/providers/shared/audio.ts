// Measures shared by the audio adapters: billed characters and seconds, and the check of speech
// bytes. Speech endpoints answer 200 with a binary body that no zod schema can check; its first
// bytes can, so a provider that sends JSON, HTML or another codec than the one asked for fails
// loudly (kind 'protocol') instead of reaching the client as a broken file.
import { UpstreamError } from '../../errors';
import type { SpeechRequest } from '../../tasks/speech';

type AudioFormat = SpeechRequest['response_format'];

const ascii = (bytes: Buffer, start: number, text: string) => bytes.subarray(start, start + text.length).toString('latin1') === text;

const SIGNATURES: Record<AudioFormat, (bytes: Buffer) => boolean> = {
  // An ID3 tag, or the 11-bit MPEG frame sync of the first frame.
  mp3: (b) => ascii(b, 0, 'ID3') || (b[0] === 0xff && ((b[1] ?? 0) & 0xe0) === 0xe0),
  opus: (b) => ascii(b, 0, 'OggS'),
  // An ADTS frame (12-bit sync, layer 0) or an ADIF header.
  aac: (b) => (b[0] === 0xff && ((b[1] ?? 0) & 0xf6) === 0xf0) || ascii(b, 0, 'ADIF'),
  flac: (b) => ascii(b, 0, 'fLaC'),
  wav: (b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'WAVE'),
  // Headerless 16-bit samples: all that can be checked is whole samples.
  pcm: (b) => b.length % 2 === 0,
};

export function checkAudioBytes(provider: string, format: AudioFormat, bytes: Buffer): Buffer {
  if (bytes.length === 0) throw new UpstreamError(provider, 'protocol', `${provider} sent no audio`);
  if (!SIGNATURES[format](bytes)) {
    throw new UpstreamError(provider, 'protocol', `${provider} sent audio that is not ${format}`);
  }
  return bytes;
}

/** Characters as users and providers count them: code points, not UTF-16 units. */
export function countCharacters(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** Audio seconds keep milliseconds and no more. */
export function roundSeconds(value: number): number {
  return Math.round(value * 1000) / 1000;
}
