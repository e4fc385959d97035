// The local engine reads real rendered text with no key and nothing fetched: the language data comes
// from the installed @tesseract.js-data packages. (Run under `unshare -rn` it passes without a network.)
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { UnsupportedMediaType } from '../../src/errors';
import { createTesseractProvider, tesseractProvider, TESSERACT_OCR_CAPABILITIES } from '../../src/providers/tesseract';
import { tesseractLanguages, installedLanguages } from '../../src/providers/tesseract/languages';
import { callContext, expectUpstreamError, mediaFile, ocrRequest, renderTextPdf, renderTextPng, renderTextTiff } from '../helpers/ocr-fixtures';

const engine = createTesseractProvider({ workers: 2 });
const ctx = (extra = {}) => callContext('tesseract', 'local', null, { timeoutMs: 60_000, ...extra });
afterAll(() => engine.close?.());

const words = (text: string) => text.toLowerCase().split(/\W+/u).filter(Boolean);

describe('the local tesseract engine', () => {
  it('is a keyless local provider that does not take PDFs', () => {
    expect(tesseractProvider).toMatchObject({ id: 'tesseract', keyless: true, defaultBaseUrl: 'local' });
    expect(TESSERACT_OCR_CAPABILITIES.input_formats).not.toContain('pdf');
  });

  it('reads rendered text with no key, with paragraph blocks, boxes in pixels and confidences', async () => {
    const png = await renderTextPng(['Switchyard reads invoices', 'Total amount 4711 EUR'], { width: 1200, fontSize: 56 });
    expect(engine.ocr.workerCount).toBe(0);

    const { result, units } = await engine.ocr.ocr(ocrRequest(mediaFile(png, 'png')), ctx());

    expect(words(result.text)).toEqual(['switchyard', 'reads', 'invoices', 'total', 'amount', '4711', 'eur']);
    expect(result.pages).toHaveLength(1);
    const [block] = result.pages[0]!.blocks;
    expect(block!.text).toContain('Switchyard reads invoices');
    expect(block!.confidence).toBeGreaterThan(0.8);
    expect(block!.confidence).toBeLessThanOrEqual(1);
    // The text starts 56 px from the left edge; the box is in the original image's pixels.
    expect(block!.box!.x).toBeGreaterThan(40);
    expect(block!.box!.x).toBeLessThan(80);
    expect(block!.box!.x + block!.box!.width).toBeLessThan(1200);
    expect(units).toEqual({ pages: 1 });
    expect(engine.ocr.workerCount).toBe(1);
  });

  it('enlarges a small scan before reading it and gives boxes back in its own pixels', async () => {
    const small = await renderTextPng(['Small print here'], { width: 300, height: 60, fontSize: 20 });
    const { result } = await engine.ocr.ocr(ocrRequest(mediaFile(small, 'png')), ctx());
    expect(words(result.text)).toEqual(['small', 'print', 'here']);
    const box = result.pages[0]!.blocks[0]!.box!;
    expect(box.x + box.width).toBeLessThanOrEqual(300);
    expect(box.y + box.height).toBeLessThanOrEqual(60);
  });

  it('turns a photo upright by its EXIF orientation', async () => {
    const png = await renderTextPng(['Sideways receipt'], { width: 900, height: 200 });
    // Stored turned a quarter to the left, with EXIF orientation 6 saying "turn right to view".
    const sideways = await sharp(png).rotate(-90).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer();
    const { result } = await engine.ocr.ocr(ocrRequest(mediaFile(sideways, 'jpeg')), ctx());
    expect(words(result.text)).toEqual(['sideways', 'receipt']);
  });

  it('reads German with the German data when the job hints it', async () => {
    expect(installedLanguages().map((l) => l.code)).toEqual(expect.arrayContaining(['eng', 'deu']));
    expect(tesseractLanguages(['de-AT', 'en', 'xx'], installedLanguages())).toBe('deu+eng');
    const png = await renderTextPng(['Grüße aus München'], { width: 1000 });
    const { result } = await engine.ocr.ocr(ocrRequest(mediaFile(png, 'png'), { languages: ['de'] }), ctx());
    expect(result.text).toBe('Grüße aus München');
  });

  it('reads the asked pages of a multi-page TIFF', async () => {
    const tiff = await renderTextTiff([['First page'], ['Second page'], ['Third page']], { width: 900 });
    const { result, units } = await engine.ocr.ocr(ocrRequest(mediaFile(tiff, 'tiff'), { pageCount: 3, pages: [0, 2] }), ctx());
    expect(result.pages.map((p) => [p.index, words(p.text)])).toEqual([
      [0, ['first', 'page']],
      [2, ['third', 'page']],
    ]);
    expect(units).toEqual({ pages: 2 });
  });

  it('refuses PDFs', async () => {
    const pdf = await renderTextPdf(['A PDF page']);
    await expect(engine.ocr.ocr(ocrRequest(mediaFile(pdf, 'pdf')), ctx())).rejects.toBeInstanceOf(UnsupportedMediaType);
  });

  it('gives up on a page that takes longer than the call timeout', async () => {
    const png = await renderTextPng(['Too slow'], { width: 2400, fontSize: 90 });
    await expectUpstreamError(engine.ocr.ocr(ocrRequest(mediaFile(png, 'png')), ctx({ timeoutMs: 5 })), { kind: 'timeout', isRetryable: true });
  });

  it('stops when the job is aborted', async () => {
    const png = await renderTextPng(['Never mind'], { width: 900 });
    await expectUpstreamError(engine.ocr.ocr(ocrRequest(mediaFile(png, 'png')), ctx({ signal: AbortSignal.abort() })), { kind: 'aborted', isRetryable: false });
  });
});

describe('the tesseract worker pool', () => {
  it('runs more pages than workers through a bounded pool, and ends its workers on close', async () => {
    const small = createTesseractProvider({ workers: 1 });
    const pngs = await Promise.all(['alpha', 'bravo', 'charlie'].map((w) => renderTextPng([w], { width: 800 })));
    const results = await Promise.all(pngs.map((png) => small.ocr.ocr(ocrRequest(mediaFile(png, 'png')), ctx())));
    expect(results.map((r) => words(r.result.text))).toEqual([['alpha'], ['bravo'], ['charlie']]);
    expect(small.ocr.workerCount).toBe(1);
    await small.close!();
    expect(small.ocr.workerCount).toBe(0);
  });

  it('answers busy (503, retryable) when the queue is full', async () => {
    const tiny = createTesseractProvider({ workers: 1, maxQueue: 0 });
    const png = await renderTextPng(['queue'], { width: 800 });
    const first = tiny.ocr.ocr(ocrRequest(mediaFile(png, 'png')), ctx());
    // The second arrives once the first holds the only worker (its slot exists from the moment it
    // is taken; starting the worker alone takes far longer than this check).
    await expect.poll(() => tiny.ocr.workerCount, { interval: 5 }).toBe(1);
    await expectUpstreamError(tiny.ocr.ocr(ocrRequest(mediaFile(png, 'png')), ctx()), { kind: 'http', statusCode: 503, isRetryable: true });
    expect(words((await first).result.text)).toEqual(['queue']);
    await tiny.close!();
  });
});
