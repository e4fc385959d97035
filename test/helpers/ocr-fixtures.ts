// Small real documents for the OCR tests, made on the fly: text rendered by sharp from an SVG,
// multi-page TIFFs joined by sharp, PDFs drawn with pdf-lib. No binary fixtures in the repository.
import { PDFDocument, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';
import { expect } from 'vitest';
import { UpstreamError, type UpstreamFailureKind } from '../../src/errors';
import type { CallContext } from '../../src/providers/types';
import type { MediaFile } from '../../src/tasks/media';
import type { OcrRequest } from '../../src/tasks/ocr';

export interface RenderOptions {
  width?: number;
  height?: number;
  fontSize?: number;
}

/** Large black text on white, one line per entry, as PNG bytes. */
export async function renderTextPng(lines: string[], options: RenderOptions = {}): Promise<Buffer> {
  const fontSize = options.fontSize ?? 56;
  const width = options.width ?? 1000;
  const height = options.height ?? Math.round(fontSize * 1.8 * (lines.length + 1));
  const text = lines
    .map((line, i) => `<text x="${fontSize}" y="${Math.round(fontSize * 1.8 * (i + 1))}" font-family="DejaVu Sans, Arial, sans-serif" font-size="${fontSize}" fill="black">${escapeXml(line)}</text>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/>${text}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** A multi-page TIFF, one rendered page per entry. */
export async function renderTextTiff(pages: string[][], options: RenderOptions = {}): Promise<Buffer> {
  const pngs = await Promise.all(pages.map((lines) => renderTextPng(lines, { height: 400, ...options })));
  return sharp(pngs, { join: { animated: true } }).tiff().toBuffer();
}

/** A US-letter PDF with one line of text per page. */
export async function renderTextPdf(pages: string[]): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (const line of pages) pdf.addPage([612, 792]).drawText(line, { x: 72, y: 700, size: 24, font });
  return Buffer.from(await pdf.save());
}

export function mediaFile(bytes: Buffer, format: 'png' | 'jpeg' | 'tiff' | 'pdf' | 'webp'): MediaFile {
  const mime = format === 'pdf' ? 'application/pdf' : `image/${format}`;
  return { bytes, mime, format, filename: `scan.${format}` };
}

export function ocrRequest(file: MediaFile, extra: Partial<OcrRequest> = {}): OcrRequest {
  return { file, pageCount: 1, ...extra };
}

export function callContext(provider: string, baseUrl: string, apiKey: string | null, extra: Partial<CallContext> = {}): CallContext {
  return {
    provider,
    providerModelId: 'default',
    credentials: { apiKey, baseUrl, extra: {} },
    timeoutMs: 5_000,
    signal: new AbortController().signal,
    requestId: 'req_test',
    ...extra,
  };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface ExpectedFailure {
  kind: UpstreamFailureKind;
  isRetryable: boolean;
  statusCode?: number | null;
  retryAfterMs?: number | null;
}

/** Awaits a call that must fail with an UpstreamError of this kind, and returns the error. */
export async function expectUpstreamError(call: Promise<unknown>, expected: ExpectedFailure): Promise<UpstreamError> {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'the call should have failed').toBeInstanceOf(UpstreamError);
  const upstream = error as UpstreamError;
  expect({ kind: upstream.kind, isRetryable: upstream.isRetryable, statusCode: upstream.statusCode, retryAfterMs: upstream.retryAfterMs }).toMatchObject(expected);
  return upstream;
}
