import { describe, expect, it } from 'vitest';
import { InvalidRequest, PayloadTooLarge, UnsupportedMediaType } from '../../../src/errors';
import { inspectAudio } from '../../../src/http/media/detect';
import { silentAac, silentFlac, silentMp3, silentOggOpus, toneWav, wavFile } from '../../helpers/audio';
import { mp4Audio, solidImage, webmAudio } from './samples';

describe('inspectAudio', () => {
  it('reads the duration of a WAV from its header', async () => {
    const inspected = await inspectAudio(toneWav(2.5), 'voice.wav');
    expect(inspected.durationSeconds).toBe(2.5);
    expect(inspected.file).toMatchObject({ format: 'wav', mime: 'audio/wav', filename: 'voice.wav' });
  });

  it('accepts a WAV named .mp3 as the WAV it is', async () => {
    const inspected = await inspectAudio(toneWav(2.5), 'voice.mp3');
    expect(inspected.file).toMatchObject({ format: 'wav', mime: 'audio/wav', filename: 'voice.wav' });
    expect(inspected.durationSeconds).toBe(2.5);
  });

  it.each([
    ['mp3', 'audio/mpeg', () => silentMp3(3), 3],
    ['flac', 'audio/flac', () => silentFlac(2), 2],
    ['ogg', 'audio/ogg', () => silentOggOpus(2), 2],
    ['aac', 'audio/aac', () => silentAac(2), 2],
    ['m4a', 'audio/mp4', () => mp4Audio(3), 3],
    ['mp4', 'audio/mp4', () => mp4Audio(3, 'isom'), 3],
    ['webm', 'audio/webm', () => webmAudio(3), 3],
  ])('recognises %s by its bytes and reads its duration', async (format, mime, make, seconds) => {
    const inspected = await inspectAudio(make(), 'recording');
    expect(inspected.file).toMatchObject({ format, mime, filename: `recording.${format}` });
    expect(inspected.durationSeconds).toBeGreaterThan(seconds - 0.7);
    expect(inspected.durationSeconds).toBeLessThan(seconds + 0.1);
  });

  it('counts the frames of raw AAC, which has no length header', async () => {
    // 47 frames of 1024 samples at 24 kHz.
    expect((await inspectAudio(silentAac(2), 'a.aac')).durationSeconds).toBeCloseTo((47 * 1024) / 24_000, 6);
  });

  it('refuses raw AAC followed by data that is not AAC with 400', async () => {
    const broken = Buffer.concat([silentAac(1), Buffer.alloc(4096, 0x11)]);
    await expect(inspectAudio(broken, 'a.aac')).rejects.toThrow(InvalidRequest);
  });

  it('refuses a PNG named .mp3 with 415', async () => {
    const png = await solidImage(10, 10).png().toBuffer();
    const error = await inspectAudio(png, 'song.mp3').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedMediaType);
    expect((error as UnsupportedMediaType).message).toMatch(/"song.mp3" is not audio in a supported format.*image\/png/);
    expect((error as UnsupportedMediaType).param).toBe('file');
  });

  it('refuses a text file named .wav with 415', async () => {
    await expect(inspectAudio(Buffer.from('RIFF? no, just words'), 'a.wav')).rejects.toThrow(UnsupportedMediaType);
  });

  it('refuses audio whose duration cannot be read with 400', async () => {
    const headerOnly = toneWav(1).subarray(0, 30);
    const error = await inspectAudio(headerOnly, 'cut.wav').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequest);
    expect((error as InvalidRequest).message).toBe('The duration of the wav file "cut.wav" cannot be read from its headers.');
  });

  it('refuses an MP4 without an audio track duration with 400', async () => {
    const noTrack = mp4Audio(3).subarray(0, 140);
    await expect(inspectAudio(noTrack, 'x.m4a')).rejects.toThrow(InvalidRequest);
  });

  it('takes the duration from the stated length of the samples, not from the size of the file', async () => {
    // Same byte count, different sample rates: 1 s at 32 kHz, 4 s at 8 kHz.
    const pcm = Buffer.alloc(64_000);
    expect((await inspectAudio(wavFile(pcm, 32_000), 'a.wav')).durationSeconds).toBe(1);
    expect((await inspectAudio(wavFile(pcm, 8_000), 'b.wav')).durationSeconds).toBe(4);
  });

  it('refuses audio over the duration limit with 413', async () => {
    const error = await inspectAudio(toneWav(2.5), 'long.wav', { maxDurationSeconds: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLarge);
    expect((error as PayloadTooLarge).message).toBe('The audio is 2.5 seconds long; the limit is 2 seconds.');
  });

  it('refuses a header that states more than 4 hours with 413 by default', async () => {
    const fiveHours = webmAudio(5 * 3600);
    const error = await inspectAudio(fiveHours, 'meeting.webm').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLarge);
    expect((error as PayloadTooLarge).message).toBe('The audio is 300 minutes long; the limit is 240 minutes.');
  });
});
