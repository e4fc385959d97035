// In-process measurements that need no server: the catalog's filter+sort (GET /v1/models) and the
// local OCR engine's throughput on a rendered page.
import path from 'node:path';
import sharp from 'sharp';
import { loadCatalog } from '../src/catalog/load';
import { indexCatalog, listModels, parseModelQuery } from '../src/catalog/query';
import { createTesseractProvider } from '../src/providers/tesseract/index';
import type { CallContext } from '../src/providers/types';

export interface CatalogResult {
  models: number;
  offerings: number;
  /** Building the per-catalog index once (start-up). */
  indexMs: number;
  queries: { query: Record<string, string>; matches: number; usPerCall: number }[];
}

/** Queries a client would send: everything, one task by price, text search, filters with a sort. */
const CATALOG_QUERIES: Record<string, string>[] = [
  {},
  { task: 'chat', sort: 'price' },
  { q: 'llama', sort: 'context' },
  { task: 'chat', max_price: '0.01', min_context: '32000', sort: 'price' },
  { task: 'translation', language: 'de', sort: 'name' },
  { sort: 'latency', limit: '20' },
];

export async function catalogBench(root: string, iterations = 5_000): Promise<CatalogResult> {
  const catalog = await loadCatalog(path.join(root, 'catalog'));
  let started = performance.now();
  indexCatalog(catalog);
  const indexMs = performance.now() - started;
  const latencyOf = () => 100;
  const queries = CATALOG_QUERIES.map((raw) => {
    const query = parseModelQuery(raw, catalog);
    let matches = 0;
    for (let i = 0; i < 200; i++) matches = listModels(catalog, query, latencyOf).models.length;
    started = performance.now();
    for (let i = 0; i < iterations; i++) listModels(catalog, query, latencyOf);
    return { query: raw, matches, usPerCall: ((performance.now() - started) * 1000) / iterations };
  });
  return { models: catalog.models.length, offerings: catalog.offerings.length, indexMs, queries };
}

export interface OcrBenchResult {
  workers: number;
  pages: number;
  pageSize: string;
  seconds: number;
  pagesPerSecond: number;
  /** Words of the rendered text that came back, as a share: a fast engine that reads nothing is no result. */
  wordsRecognized: number;
}

const PAGE_TEXT = [
  'Invoice 2026-1187',
  'Switchyard Logistics GmbH, Hafenstrasse 12, 20457 Hamburg',
  'Date: 27 November 2026     Due: 27 December 2026',
  'Item                         Qty     Unit price     Amount',
  'Freight handling             12      18.50          222.00',
  'Container storage            3       95.00          285.00',
  'Customs documentation        1       60.00          60.00',
  'Subtotal                                            567.00',
  'VAT 19 percent                                      107.73',
  'Total due                                           674.73',
  'Please transfer the amount to the account below within thirty days.',
  'Thank you for your business and the quick turnaround this quarter.',
];

/** A page of black text on white, about A5 at 150 dpi: what a scanned document looks like to the engine. */
async function renderPage(): Promise<Buffer> {
  const width = 1240;
  const lineHeight = 56;
  const height = lineHeight * (PAGE_TEXT.length + 2);
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const lines = PAGE_TEXT.map((line, i) => `<text x="60" y="${lineHeight * (i + 1.5)}" font-family="DejaVu Sans, Arial, sans-serif" font-size="28" xml:space="preserve" fill="black">${escape(line)}</text>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/>${lines}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

export async function ocrBench(pages = 12): Promise<OcrBenchResult> {
  const png = await renderPage();
  const { width, height } = await sharp(png).metadata();
  const workers = 2;
  const provider = createTesseractProvider({ workers, idleMs: 5_000 });
  const ctx: CallContext = {
    provider: 'tesseract',
    providerModelId: 'tesseract-ocr/tesseract-5',
    credentials: { apiKey: null, baseUrl: 'local', extra: {} },
    timeoutMs: 120_000,
    signal: new AbortController().signal,
    requestId: 'req_bench_ocr',
  };
  const request = { file: { bytes: png, mime: 'image/png', format: 'png', filename: 'page.png' }, pageCount: 1, languages: ['en'] };
  try {
    // Warm both workers: the first job of each loads the language model.
    await Promise.all(Array.from({ length: workers }, () => provider.ocr.ocr(request, ctx)));
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: pages }, () => provider.ocr.ocr(request, ctx)));
    const seconds = (performance.now() - started) / 1000;
    const expected = PAGE_TEXT.join(' ').split(/\s+/).filter((w) => w.length > 3);
    const text = results[0]!.result.text;
    const found = expected.filter((w) => text.includes(w)).length;
    return { workers, pages, pageSize: `${width}x${height}`, seconds, pagesPerSecond: pages / seconds, wordsRecognized: found / expected.length };
  } finally {
    await provider.close?.();
  }
}
