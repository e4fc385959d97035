// Prepares a page for tesseract with sharp: upright by its EXIF orientation, transparency on white,
// greyscale, contrast stretched, small scans enlarged (tesseract reads best when letters are some
// 20–30 px high) and huge ones shrunk so a worker's memory stays bounded. Boxes tesseract finds on
// the prepared image are divided by `scale` to land back on the upright original.
import { loadSharp } from '../../lazy';

/** Scans narrower than this are enlarged towards it. */
const MIN_WIDTH = 1_000;
const MAX_UPSCALE = 4;
/** Largest image handed to a worker; tesseract's memory grows with it and is not given back. */
const MAX_PIXELS = 25_000_000;
/** Largest image decoded at all (a decompression bomb stops here). */
const MAX_INPUT_PIXELS = 100_000_000;

export interface PreparedPage {
  png: Buffer;
  /** Prepared pixels per original pixel. */
  scale: number;
}

export async function preparePage(bytes: Buffer, page: number): Promise<PreparedPage> {
  const sharp = await loadSharp();
  const open = () => sharp(bytes, { page, limitInputPixels: MAX_INPUT_PIXELS });
  const meta = await open().metadata();
  const rawWidth = meta.width ?? 0;
  const rawHeight = meta.pageHeight ?? meta.height ?? 0;
  if (rawWidth === 0 || rawHeight === 0) throw new Error('the image has no size');
  // EXIF orientations 5–8 turn the image a quarter, swapping its sides.
  const turned = (meta.orientation ?? 1) >= 5;
  const width = turned ? rawHeight : rawWidth;
  const height = turned ? rawWidth : rawHeight;

  let scale = width < MIN_WIDTH ? Math.min(MAX_UPSCALE, MIN_WIDTH / width) : 1;
  const pixels = width * height * scale * scale;
  if (pixels > MAX_PIXELS) scale *= Math.sqrt(MAX_PIXELS / pixels);

  let image = open().rotate().flatten({ background: '#ffffff' }).greyscale().normalize();
  if (scale !== 1) {
    image = image.resize(Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale)), { fit: 'fill', kernel: 'lanczos3' });
  }
  // tesseract takes the resolution from the file; prepared letters are sized like a 300 dpi scan.
  const png = await image.withMetadata({ density: 300 }).png({ compressionLevel: 1 }).toBuffer();
  return { png, scale };
}
