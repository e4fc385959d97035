// Turns the providers' page structures into Switchyard's OcrResult, so every OCR adapter measures
// boxes, joins pages and splits paragraphs the same way and a job reads alike whoever served it.
import type { Box, OcrBlock, OcrPage, OcrResult } from '../../tasks/ocr';

/**
 * A PDF page has no pixel size of its own, so boxes on PDF pages are given in PDF points: pixels
 * of the page rendered at 72 dpi. Providers that measure PDF pages in inches or in pixels of their
 * own rendering are scaled to this.
 */
export const PDF_DPI = 72;

/** Pages are separated by a blank line in the job's whole text. */
const PAGE_SEPARATOR = '\n\n';

export interface Point {
  x: number;
  y: number;
}

/** The upright box around a polygon, scaled (e.g. inches → points); null without a polygon. */
export function boxAround(points: Point[], scale = 1): Box | null {
  if (points.length === 0) return null;
  const xs = points.map((p) => p.x * scale);
  const ys = points.map((p) => p.y * scale);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x: round(x), y: round(y), width: round(Math.max(...xs) - x), height: round(Math.max(...ys) - y) };
}

/** `[x1, y1, x2, y2, …]`, the flat polygon form Azure uses, as points. */
export function pointsFromFlat(polygon: number[]): Point[] {
  const points: Point[] = [];
  for (let i = 0; i + 1 < polygon.length; i += 2) points.push({ x: polygon[i]!, y: polygon[i + 1]! });
  return points;
}

/** One block per paragraph (text separated by blank lines) for providers that return only text. */
export function paragraphBlocks(text: string): OcrBlock[] {
  return text
    .split(/\n[ \t]*\n+/)
    .map((paragraph) => paragraph.trim())
    .filter((paragraph) => paragraph.length > 0)
    .map((paragraph) => ({ text: paragraph, confidence: null, box: null }));
}

export function meanConfidence(values: number[]): number | null {
  if (values.length === 0) return null;
  return round(values.reduce((sum, v) => sum + v, 0) / values.length, 4);
}

/** The job's result from its pages, in page order. */
export function ocrResult(pages: OcrPage[]): OcrResult {
  const ordered = [...pages].sort((a, b) => a.index - b.index);
  return {
    text: ordered
      .map((page) => page.text)
      .filter((text) => text.length > 0)
      .join(PAGE_SEPARATOR),
    pages: ordered,
  };
}

/** The 0-based pages a job asks for: its `pages`, or every page the edge counted. */
export function requestedPages(pages: number[] | undefined, pageCount: number): number[] {
  if (pages && pages.length > 0) return [...new Set(pages)].sort((a, b) => a - b);
  return Array.from({ length: Math.max(1, pageCount) }, (_, i) => i);
}

function round(value: number, decimals = 2): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}
