// The local OCR engine: tesseract.js (LSTM) with the language data of the installed
// `@tesseract.js-data/*` packages, no network and no key. Each page is prepared with sharp and read
// by a bounded worker pool; paragraphs become blocks with boxes in the original image's pixels and
// tesseract's confidence. Images only: PNG, JPEG, WebP, GIF (first frame) and every page of a TIFF.
import { availableParallelism } from 'node:os';
import type { Page } from 'tesseract.js';
import { UnsupportedMediaType, UpstreamError } from '../../errors';
import type { OcrBlock, OcrPage, OcrRequest, OcrResult } from '../../tasks/ocr';
import { ocrResult, requestedPages } from '../shared/ocr-result';
import type { CallContext, Metered, OcrAdapter } from '../types';
import { installedLanguages, linkLanguageFolder, removeLanguageFolder, tesseractLanguages, type InstalledLanguage } from './languages';
import { TesseractPool } from './pool';
import { preparePage } from './preprocess';

export interface TesseractOptions {
  /** Workers at most; default TESSERACT_WORKERS, else min(2, CPU cores). */
  workers?: number;
  /** Pages waiting for a worker before new jobs are refused as busy. */
  maxQueue?: number;
  jobsPerWorker?: number;
  idleMs?: number;
}

interface Engine {
  pool: TesseractPool;
  installed: InstalledLanguage[];
  langPath: string;
}

export class TesseractOcr implements OcrAdapter {
  private engine: Promise<Engine> | null = null;
  private pool: TesseractPool | null = null;

  constructor(private readonly options: TesseractOptions = {}) {}

  async ocr(request: OcrRequest, ctx: CallContext): Promise<Metered<OcrResult>> {
    if (request.file.mime === 'application/pdf') {
      throw new UnsupportedMediaType('The local tesseract engine reads images only (PNG, JPEG, WebP, GIF, TIFF), not PDF.', 'file');
    }
    const engine = await this.start(ctx);
    const langs = tesseractLanguages(request.languages, engine.installed);
    const indexes = request.file.mime === 'image/tiff' ? requestedPages(request.pages, request.pageCount) : [0];
    const pages: OcrPage[] = [];
    // Page by page: a long TIFF holds one prepared page in memory at a time.
    for (const index of indexes) pages.push(await this.readPage(engine, request, index, langs, ctx));
    return { result: ocrResult(pages), units: { pages: pages.length } };
  }

  /** Workers alive now: none before the first job and after close(). */
  get workerCount(): number {
    return this.pool?.workerCount ?? 0;
  }

  async close(): Promise<void> {
    const engine = this.engine;
    this.engine = null;
    this.pool = null;
    if (!engine) return;
    const { pool, langPath } = await engine;
    await pool.close();
    await removeLanguageFolder(langPath);
  }

  /** The pool and the language folder, made on the first job. */
  private start(ctx: CallContext): Promise<Engine> {
    this.engine ??= (async () => {
      const installed = installedLanguages();
      if (installed.length === 0) throw new UpstreamError(ctx.provider, 'http', 'no @tesseract.js-data language package is installed', 503);
      const langPath = await linkLanguageFolder(installed);
      const size = this.options.workers ?? positiveInt(ctx.credentials.extra.workers) ?? Math.min(2, availableParallelism());
      const pool = new TesseractPool({
        size,
        langPath,
        maxQueue: this.options.maxQueue ?? 64,
        jobsPerWorker: this.options.jobsPerWorker ?? 200,
        idleMs: this.options.idleMs ?? 60_000,
      });
      this.pool = pool;
      return { pool, installed, langPath };
    })();
    this.engine.catch(() => {
      this.engine = null;
    });
    return this.engine;
  }

  private async readPage(engine: Engine, request: OcrRequest, index: number, langs: string, ctx: CallContext): Promise<OcrPage> {
    let prepared;
    try {
      prepared = await preparePage(request.file.bytes, index);
    } catch (error) {
      throw new UnsupportedMediaType(`The ${request.file.format} file could not be decoded: ${(error as Error).message}`, 'file');
    }
    const bound = AbortSignal.any([ctx.signal, AbortSignal.timeout(ctx.timeoutMs)]);
    let data: Page;
    try {
      data = await engine.pool.recognize(prepared.png, langs, bound);
    } catch (error) {
      if (error instanceof UpstreamError) throw error;
      if (ctx.signal.aborted) throw new UpstreamError(ctx.provider, 'aborted', `${ctx.provider} job aborted`);
      if (bound.aborted) throw new UpstreamError(ctx.provider, 'timeout', `${ctx.provider} did not read page ${index + 1} within ${ctx.timeoutMs} ms`);
      throw new UpstreamError(ctx.provider, 'http', `${ctx.provider} failed to read page ${index + 1}: ${String(error)}`, 500);
    }
    return { index, text: data.text.trim(), blocks: toBlocks(data, prepared.scale) };
  }
}

/** tesseract's paragraphs, their boxes scaled back to the original image and confidence to 0..1. */
function toBlocks(data: Page, scale: number): OcrBlock[] {
  const blocks: OcrBlock[] = [];
  for (const block of data.blocks ?? []) {
    for (const paragraph of block.paragraphs) {
      const text = paragraph.text.trim();
      if (!text) continue;
      const { x0, y0, x1, y1 } = paragraph.bbox;
      blocks.push({
        text,
        confidence: Math.round(paragraph.confidence * 100) / 10_000,
        box: { x: px(x0 / scale), y: px(y0 / scale), width: px((x1 - x0) / scale), height: px((y1 - y0) / scale) },
      });
    }
  }
  return blocks;
}

function px(value: number): number {
  return Math.round(value * 100) / 100;
}

function positiveInt(value: string | undefined): number | undefined {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** The engine Switchyard runs, started on its first job. */
export const tesseractOcr = new TesseractOcr();
