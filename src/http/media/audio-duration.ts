// How long an audio file is, from what its headers state. music-metadata reads the container
// headers (and, with `duration: true`, counts MPEG audio frames when no Xing/VBRI header states a
// count, instead of guessing from the byte size). Raw AAC in ADTS has no length header at all, and
// music-metadata's count for it is unreliable, so its frame headers are walked here: each states its
// own length and sample rate, and carries 1024 samples per raw data block.
import { lazy } from '../../lazy';

const loadMusicMetadata = lazy(() => import('music-metadata'));

const ADTS_SAMPLE_RATES = [96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000, 11_025, 8_000, 7_350];
/** Tags (ID3v1 is 128 bytes) may follow the last frame; more than this unaccounted for is not ADTS. */
const ADTS_TRAILER_BYTES = 1024;

/** Seconds, or null when the headers do not say. `mimeType` is the one detected from the bytes. */
export async function audioDuration(bytes: Buffer, mimeType: string): Promise<number | null> {
  if (mimeType === 'audio/aac') return adtsDuration(bytes);
  // The detected MIME type picks the parser, so the client's file name plays no part.
  const { parseBuffer } = await loadMusicMetadata();
  const metadata = await parseBuffer(bytes, { mimeType, size: bytes.length }, { duration: true, skipCovers: true });
  return metadata.format.duration ?? null;
}

function adtsDuration(bytes: Buffer): number | null {
  let offset = 0;
  let seconds = 0;
  while (offset + 7 <= bytes.length) {
    const syncs = bytes[offset] === 0xff && ((bytes[offset + 1] ?? 0) & 0xf6) === 0xf0;
    if (!syncs) break;
    const rate = ADTS_SAMPLE_RATES[((bytes[offset + 2] ?? 0) >> 2) & 0x0f];
    const length = (((bytes[offset + 3] ?? 0) & 0x03) << 11) | ((bytes[offset + 4] ?? 0) << 3) | ((bytes[offset + 5] ?? 0) >> 5);
    if (!rate || length < 7) return null;
    seconds += (1024 * (((bytes[offset + 6] ?? 0) & 0x03) + 1)) / rate;
    offset += length;
  }
  if (offset === 0 || bytes.length - offset > ADTS_TRAILER_BYTES) return null;
  return seconds;
}
