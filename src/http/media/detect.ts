// What a file really is, from its bytes: never from the declared content type or the name. Each
// inspector answers a checked MediaFile with what the job needs to know before dispatch (page count,
// size, duration), or throws a typed error: 415 for the wrong kind of file, 400 for one that cannot
// be read, 413 for one over a limit.
import { lazy, loadSharp } from '../../lazy';
import { InvalidRequest, PayloadTooLarge, UnsupportedMediaType } from '../../errors';
import type { MediaFile } from '../../tasks/media';
import { audioDuration } from './audio-duration';
import { countPdfPages } from './pdf-pages';

const loadFileType = lazy(() => import('file-type'));

interface Kind {
  format: string;
  mime: string;
}

/** file-type's extension → the format and MIME type adapters see. */
const IMAGE_KINDS: Record<string, Kind> = {
  png: { format: 'png', mime: 'image/png' },
  jpg: { format: 'jpeg', mime: 'image/jpeg' },
  webp: { format: 'webp', mime: 'image/webp' },
  tif: { format: 'tiff', mime: 'image/tiff' },
  gif: { format: 'gif', mime: 'image/gif' },
  pdf: { format: 'pdf', mime: 'application/pdf' },
};

// "mpeg" in OpenAI's list of formats means MPEG audio (mp3/mp2, "mpga"); an MPEG program stream has
// no duration music-metadata can read, so it is not accepted.
const AUDIO_KINDS: Record<string, Kind> = {
  mp3: { format: 'mp3', mime: 'audio/mpeg' },
  mp2: { format: 'mpga', mime: 'audio/mpeg' },
  mp1: { format: 'mpga', mime: 'audio/mpeg' },
  m4a: { format: 'm4a', mime: 'audio/mp4' },
  m4b: { format: 'm4a', mime: 'audio/mp4' },
  f4a: { format: 'm4a', mime: 'audio/mp4' },
  mp4: { format: 'mp4', mime: 'audio/mp4' },
  wav: { format: 'wav', mime: 'audio/wav' },
  webm: { format: 'webm', mime: 'audio/webm' },
  ogg: { format: 'ogg', mime: 'audio/ogg' },
  oga: { format: 'ogg', mime: 'audio/ogg' },
  opus: { format: 'ogg', mime: 'audio/ogg' },
  flac: { format: 'flac', mime: 'audio/flac' },
  aac: { format: 'aac', mime: 'audio/aac' },
};

export interface ImageLimits {
  /** Pixels of one image (or page); checked from the header before anything is decoded. */
  maxPixels?: number;
  /** Pages of a PDF or multi-page TIFF. */
  maxPages?: number;
  /** Time allowed to read the file: the PDF parse, or the image's trial decode. */
  timeoutMs?: number;
  /** The request field the file came from, named in errors. */
  param?: string;
}

export const IMAGE_LIMIT_DEFAULTS = { maxPixels: 40_000_000, maxPages: 1_000, timeoutMs: 10_000, param: 'file' } as const;

export interface InspectedImage {
  file: MediaFile;
  /** 1 for a single image; the pages of a PDF or TIFF. */
  pageCount: number;
  /** Pixels of the (first) image; absent for PDFs. */
  width?: number;
  height?: number;
}

/** For OCR: a PNG, JPEG, WebP, TIFF, GIF or PDF, checked to be readable and within the limits. */
export async function inspectImageOrPdf(bytes: Buffer, filename: string, limits: ImageLimits = {}): Promise<InspectedImage> {
  const { maxPixels, maxPages, timeoutMs, param } = { ...IMAGE_LIMIT_DEFAULTS, ...limits };
  const name = displayName(filename);
  if (bytes.length === 0) throw new InvalidRequest(`The file ${name} is empty.`, param);
  const detected = await (await loadFileType()).fileTypeFromBuffer(bytes);
  const kind = detected ? IMAGE_KINDS[detected.ext] : undefined;
  if (!detected || !kind) {
    throw new UnsupportedMediaType(
      `The file ${name} is not a PNG, JPEG, WebP, TIFF, GIF or PDF file (its bytes ${describe(detected)}); the type is read from the content, not the name.`,
      param,
    );
  }
  const file = mediaFile(bytes, filename, kind);
  if (kind.format === 'pdf') {
    return { file, pageCount: await countPdfPages(bytes, { maxPages, timeoutMs, param }) };
  }

  // The header alone gives the size: refuse an oversized image before decoding a single pixel.
  const sharp = await loadSharp();
  const metadata = await sharp(bytes, { limitInputPixels: false })
    .metadata()
    .catch((error: Error) => {
      throw new InvalidRequest(`The ${kind.format.toUpperCase()} file ${name} could not be read: ${error.message}.`, param);
    });
  const width = metadata.width ?? 0;
  const height = metadata.height ?? 0;
  if (width * height > maxPixels) {
    throw new PayloadTooLarge(
      `The image is ${megapixels(width * height)} megapixels (${width}×${height}); the limit is ${megapixels(maxPixels)} megapixels.`,
      param,
    );
  }
  // Animation frames are not pages; only a TIFF's pages are separate images to read.
  const pageCount = kind.format === 'tiff' ? Math.max(1, metadata.pages ?? 1) : 1;
  if (pageCount > maxPages) {
    throw new PayloadTooLarge(`The TIFF has ${pageCount} pages; the limit is ${maxPages}.`, param);
  }
  await trialDecode(bytes, { maxPixels, timeoutMs, param, name, format: kind.format });
  return { file, pageCount, width, height };
}

/**
 * A truncated or corrupt image often has an intact header, so the pixels are decoded once, shrunk
 * on the way (bounded memory); libvips fails on the first damaged row.
 */
async function trialDecode(
  bytes: Buffer,
  at: { maxPixels: number; timeoutMs: number; param: string; name: string; format: string },
): Promise<void> {
  try {
    const sharp = await loadSharp();
    await sharp(bytes, { limitInputPixels: at.maxPixels, sequentialRead: true })
      .resize(64, 64, { fit: 'inside' })
      .timeout({ seconds: Math.max(1, Math.ceil(at.timeoutMs / 1000)) })
      .raw()
      .toBuffer();
  } catch (error) {
    throw new InvalidRequest(
      `The ${at.format.toUpperCase()} file ${at.name} is corrupt or truncated: ${(error as Error).message}.`,
      at.param,
    );
  }
}

export interface AudioLimits {
  maxDurationSeconds?: number;
  /** The request field the file came from, named in errors. */
  param?: string;
}

export const AUDIO_LIMIT_DEFAULTS = { maxDurationSeconds: 4 * 60 * 60, param: 'file' } as const;

export interface InspectedAudio {
  file: MediaFile;
  /** What the headers state (see audio-duration.ts), never an estimate from the byte size. */
  durationSeconds: number;
}

/** For transcription: an audio container recognised by its bytes, with a duration its headers state. */
export async function inspectAudio(bytes: Buffer, filename: string, limits: AudioLimits = {}): Promise<InspectedAudio> {
  const { maxDurationSeconds, param } = { ...AUDIO_LIMIT_DEFAULTS, ...limits };
  const name = displayName(filename);
  if (bytes.length === 0) throw new InvalidRequest(`The file ${name} is empty.`, param);
  const detected = await (await loadFileType()).fileTypeFromBuffer(bytes);
  const kind = detected ? AUDIO_KINDS[detected.ext] : undefined;
  if (!detected || !kind) {
    throw new UnsupportedMediaType(
      `The file ${name} is not audio in a supported format (mp3, mp4, m4a, wav, webm, ogg, opus, flac, aac; its bytes ${describe(detected)}); the type is read from the content, not the name.`,
      param,
    );
  }
  const durationSeconds = await audioDuration(bytes, detected.mime).catch(() => null);
  if (durationSeconds === null || !Number.isFinite(durationSeconds) || durationSeconds <= 0) {
    throw new InvalidRequest(`The duration of the ${kind.format} file ${name} cannot be read from its headers.`, param);
  }
  if (durationSeconds > maxDurationSeconds) {
    throw new PayloadTooLarge(
      `The audio is ${duration(durationSeconds)} long; the limit is ${duration(maxDurationSeconds)}.`,
      param,
    );
  }
  return { file: mediaFile(bytes, filename, kind), durationSeconds };
}

function mediaFile(bytes: Buffer, filename: string, kind: Kind): MediaFile {
  return { bytes, mime: kind.mime, format: kind.format, filename: renamed(filename, kind.format) };
}

/**
 * The client's name with the extension of what the bytes are: providers that read the format from
 * the name (OpenAI's transcription API does) then agree with the content. Paths and control
 * characters are dropped.
 */
export function renamed(filename: string, format: string): string {
  const base = filename.split(/[\\/]/).pop() ?? '';
  const stem = base
    .replace(/[\u0000-\u001f\u007f"]/g, '')
    .replace(/\.[^.]*$/, '')
    .slice(0, 100)
    .trim();
  return `${stem || 'upload'}.${format}`;
}

function displayName(filename: string): string {
  return JSON.stringify(filename.slice(0, 100) || 'upload');
}

function describe(detected: { ext: string; mime: string } | undefined): string {
  return detected ? `are ${detected.mime}` : 'match no known format';
}

function megapixels(pixels: number): string {
  return String(Math.round(pixels / 100_000) / 10);
}

function duration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds * 10) / 10} seconds`;
  return `${Math.round(seconds / 6) / 10} minutes`;
}
