// Damaged files of every accepted kind: each must be accepted or refused with a typed 4xx error,
// never crash, never hang.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/errors';
import { inspectAudio, inspectImageOrPdf } from '../../../src/http/media/detect';
import { silentAac, silentFlac, silentMp3, silentOggOpus, toneWav } from '../../helpers/audio';
import { mp4Audio, noiseImage, pdfWithPages, webmAudio } from './samples';

/** A small deterministic PRNG, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Flipped bytes, a cut, or a run of garbage: past the first 16 bytes so the type is still recognised most of the time. */
function damaged(bytes: Buffer, next: () => number): Buffer {
  const copy = Buffer.from(bytes);
  const at = () => 16 + Math.floor(next() * Math.max(1, copy.length - 16));
  switch (Math.floor(next() * 3)) {
    case 0:
      for (let i = 0; i < 1 + next() * 20; i++) copy[at()] = Math.floor(next() * 256);
      return copy;
    case 1:
      return copy.subarray(0, at());
    default: {
      const start = at();
      copy.fill(Math.floor(next() * 256), start, Math.min(copy.length, start + 1 + Math.floor(next() * 512)));
      return copy;
    }
  }
}

async function expectTypedOutcome(run: () => Promise<unknown>): Promise<void> {
  const outcome = await run().then(
    () => 'accepted',
    (error: unknown) => error,
  );
  if (outcome !== 'accepted') {
    expect(outcome).toBeInstanceOf(ApiError);
    expect(['invalid_request', 'unsupported_media_type', 'payload_too_large']).toContain((outcome as ApiError).code);
  }
}

describe('damaged inputs', () => {
  it('answers 300 damaged images and PDFs with success or a typed 4xx error', async () => {
    const originals = [
      await noiseImage(64, 48).png().toBuffer(),
      await noiseImage(64, 48).jpeg().toBuffer(),
      await noiseImage(64, 48).webp().toBuffer(),
      await noiseImage(64, 48).tiff().toBuffer(),
      await noiseImage(64, 48).gif().toBuffer(),
      await pdfWithPages(3),
    ];
    const next = random(7);
    for (let i = 0; i < 300; i++) {
      const original = originals[i % originals.length]!;
      await expectTypedOutcome(() => inspectImageOrPdf(damaged(original, next), 'fuzz', { timeoutMs: 5_000 }));
    }
  }, 120_000);

  it('answers 300 damaged audio files with success or a typed 4xx error', async () => {
    const originals = [toneWav(0.5), silentMp3(1), silentFlac(1), silentOggOpus(1), silentAac(1), mp4Audio(1), webmAudio(1)];
    const next = random(11);
    for (let i = 0; i < 300; i++) {
      const original = originals[i % originals.length]!;
      await expectTypedOutcome(() => inspectAudio(damaged(original, next), 'fuzz'));
    }
  }, 120_000);
});
