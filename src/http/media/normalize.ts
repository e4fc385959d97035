// Image pre-processing for providers that need it: the EXIF orientation applied to the pixels (most
// OCR engines ignore the tag and would read a phone photo sideways), and a conversion to PNG or
// JPEG for providers that take nothing else. The pixel limit is set on every decode.
import type { FormatEnum } from 'sharp';
import { loadSharp } from '../../lazy';
import { InvalidRequest, PayloadTooLarge, UnsupportedMediaType } from '../../errors';
import type { MediaFile } from '../../tasks/media';
import { IMAGE_LIMIT_DEFAULTS, renamed } from './detect';

export interface NormalizeOptions {
  /** Re-encode to this format; absent keeps the format (re-encoded only if it had to be rotated). */
  to?: 'png' | 'jpeg';
  /** Page of a multi-page TIFF (0-based); other formats have one. */
  page?: number;
  maxPixels?: number;
  timeoutMs?: number;
  param?: string;
}

const MIME = { png: 'image/png', jpeg: 'image/jpeg' } as const;

/** Returns the file itself when nothing needs doing, so an upright PNG is never recompressed. */
export async function normalizeImage(file: MediaFile, options: NormalizeOptions = {}): Promise<MediaFile> {
  const maxPixels = options.maxPixels ?? IMAGE_LIMIT_DEFAULTS.maxPixels;
  const timeoutMs = options.timeoutMs ?? IMAGE_LIMIT_DEFAULTS.timeoutMs;
  const param = options.param ?? IMAGE_LIMIT_DEFAULTS.param;
  const page = options.page ?? 0;
  if (file.format === 'pdf') {
    throw new UnsupportedMediaType('A PDF cannot be converted to an image here; this provider needs an image.', param);
  }
  try {
    const sharp = await loadSharp();
    const input = () => sharp(file.bytes, { limitInputPixels: maxPixels, page });
    const { orientation } = await input().metadata();
    const upright = orientation === undefined || orientation === 1;
    const target = options.to ?? file.format;
    if (upright && page === 0 && target === file.format) return file;

    let pipeline = input().rotate().timeout({ seconds: Math.max(1, Math.ceil(timeoutMs / 1000)) });
    if (options.to === 'jpeg') pipeline = pipeline.flatten({ background: '#ffffff' }).jpeg({ quality: 92 });
    else if (options.to === 'png') pipeline = pipeline.png();
    else pipeline = pipeline.toFormat(file.format as keyof FormatEnum);
    const bytes = await pipeline.toBuffer();
    const format = options.to ?? file.format;
    const mime = options.to ? MIME[options.to] : file.mime;
    return { bytes, mime, format, filename: renamed(file.filename, format) };
  } catch (error) {
    const message = (error as Error).message;
    if (/pixel limit/i.test(message)) {
      throw new PayloadTooLarge(`The image has more than ${maxPixels} pixels, the limit.`, param);
    }
    throw new InvalidRequest(`The ${file.format.toUpperCase()} file could not be processed: ${message}.`, param);
  }
}
