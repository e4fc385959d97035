import { PDFDocument, PDFName } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { InvalidRequest, PayloadTooLarge, UnsupportedMediaType } from '../../../src/errors';
import { inspectImageOrPdf } from '../../../src/http/media/detect';
import { noiseImage, pdfWithPages, rawPdf, solidImage } from './samples';

describe('inspectImageOrPdf', () => {
  it.each([
    ['png', 'image/png', () => solidImage(40, 30).png().toBuffer()],
    ['jpeg', 'image/jpeg', () => solidImage(40, 30).jpeg().toBuffer()],
    ['webp', 'image/webp', () => solidImage(40, 30).webp().toBuffer()],
    ['tiff', 'image/tiff', () => solidImage(40, 30).tiff().toBuffer()],
    ['gif', 'image/gif', () => solidImage(40, 30).gif().toBuffer()],
  ])('recognises a %s by its bytes, whatever the file is called', async (format, mime, make) => {
    const inspected = await inspectImageOrPdf(await make(), 'scan.bin');
    expect(inspected.file).toMatchObject({ format, mime, filename: `scan.${format}` });
    expect(inspected).toMatchObject({ pageCount: 1, width: 40, height: 30 });
  });

  it('recognises a PDF by its bytes and counts its pages', async () => {
    const inspected = await inspectImageOrPdf(await pdfWithPages(3), 'document.png');
    expect(inspected.file).toMatchObject({ format: 'pdf', mime: 'application/pdf', filename: 'document.pdf' });
    expect(inspected.pageCount).toBe(3);
    expect(inspected.width).toBeUndefined();
  });

  it('counts the pages of a multi-page TIFF', async () => {
    const page = await solidImage(20, 20).png().toBuffer();
    const tiff = await import('sharp').then(({ default: sharp }) => sharp([page, page, page, page], { join: { animated: true } }).tiff().toBuffer());
    expect((await inspectImageOrPdf(tiff, 'pages.tiff')).pageCount).toBe(4);
    await expect(inspectImageOrPdf(tiff, 'pages.tiff', { maxPages: 3 })).rejects.toThrow(PayloadTooLarge);
  });

  it('refuses a text file named .png with 415 and says why', async () => {
    const error = await inspectImageOrPdf(Buffer.from('just some text, not an image\n'), 'photo.png').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedMediaType);
    expect((error as UnsupportedMediaType).message).toMatch(/"photo.png" is not a PNG, JPEG, WebP, TIFF, GIF or PDF file.*not the name/);
    expect((error as UnsupportedMediaType).param).toBe('file');
  });

  it('refuses audio sent as an image with 415 naming the field it came in', async () => {
    const { toneWav } = await import('../../helpers/audio');
    const error = await inspectImageOrPdf(toneWav(0.1), 'x.png', { param: 'image_url' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedMediaType);
    expect((error as UnsupportedMediaType).message).toContain('audio/wav');
    expect((error as UnsupportedMediaType).param).toBe('image_url');
  });

  it('refuses an empty file with 400', async () => {
    await expect(inspectImageOrPdf(Buffer.alloc(0), 'empty.png')).rejects.toThrow(InvalidRequest);
  });

  it('refuses a truncated PNG with 400 although its header is intact', async () => {
    const png = await noiseImage(300, 200).png().toBuffer();
    const error = await inspectImageOrPdf(png.subarray(0, Math.floor(png.length / 2)), 'cut.png').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequest);
    expect((error as InvalidRequest).message).toMatch(/corrupt or truncated/);
  });

  it('refuses a truncated JPEG with 400', async () => {
    const jpeg = await noiseImage(300, 200).jpeg().toBuffer();
    await expect(inspectImageOrPdf(jpeg.subarray(0, jpeg.length - 3000), 'cut.jpg')).rejects.toThrow(InvalidRequest);
  });

  it('refuses a PNG whose header is damaged with 400', async () => {
    const png = await solidImage(50, 50).png().toBuffer();
    const damaged = Buffer.from(png);
    damaged.writeUInt32BE(0x7fffffff, 16); // IHDR width, now disagreeing with the chunk's CRC
    await expect(inspectImageOrPdf(damaged, 'bad.png')).rejects.toThrow(InvalidRequest);
  });

  it('refuses a PNG that decodes to 100 megapixels with 413 from its header, quickly', async () => {
    const png = await solidImage(10_000, 10_000).png({ compressionLevel: 9 }).toBuffer();
    expect(png.length).toBeLessThan(2_000_000);
    const started = performance.now();
    const error = await inspectImageOrPdf(png, 'huge.png').catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(500);
    expect(error).toBeInstanceOf(PayloadTooLarge);
    expect((error as PayloadTooLarge).message).toBe('The image is 100 megapixels (10000×10000); the limit is 40 megapixels.');
  }, 60_000);

  it('takes the pixel limit as an option', async () => {
    const png = await solidImage(1000, 1000).png().toBuffer();
    await expect(inspectImageOrPdf(png, 'a.png', { maxPixels: 999_999 })).rejects.toThrow(/1 megapixels.*limit is 1 megapixels/);
    await expect(inspectImageOrPdf(png, 'a.png', { maxPixels: 1_000_000 })).resolves.toMatchObject({ width: 1000 });
  });
});

describe('inspectImageOrPdf on PDFs', () => {
  let tenThousandPages: Promise<Buffer> | null = null;
  const longPdf = () => (tenThousandPages ??= pdfWithPages(10_000));

  it('refuses a PDF over the page limit with 413', async () => {
    const error = await inspectImageOrPdf(await pdfWithPages(3), 'a.pdf', { maxPages: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLarge);
    expect((error as PayloadTooLarge).message).toBe('The PDF has more than 2 pages; the limit is 2.');
  });

  it('refuses a PDF of 10,000 pages with 413 within seconds', async () => {
    const pdf = await longPdf();
    const started = performance.now();
    await expect(inspectImageOrPdf(pdf, 'long.pdf')).rejects.toThrow('The PDF has more than 1000 pages; the limit is 1000.');
    expect(performance.now() - started).toBeLessThan(5_000);
  }, 60_000);

  it('counts a page each time the page tree lists it, so a tiny PDF cannot hide 10,000 pages', async () => {
    const source = await PDFDocument.load(await pdfWithPages(1));
    const doc = await PDFDocument.create();
    const [page] = await doc.copyPages(source, [0]);
    for (let i = 0; i < 10_000; i++) doc.addPage(page!);
    const pdf = Buffer.from(await doc.save());
    expect(pdf.length).toBeLessThan(200_000);
    await expect(inspectImageOrPdf(pdf, 'tiny.pdf')).rejects.toThrow(PayloadTooLarge);
    await expect(inspectImageOrPdf(pdf, 'tiny.pdf', { maxPages: 10_000 })).resolves.toMatchObject({ pageCount: 10_000 });
  }, 60_000);

  it('refuses a PDF whose page tree loops back on itself with 400, without hanging', async () => {
    const pdf = rawPdf([
      '<< /Type /Catalog /Pages 2 0 R >>',
      '<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>',
      '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>',
    ]);
    const error = await inspectImageOrPdf(pdf, 'loop.pdf').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequest);
    expect((error as InvalidRequest).message).toMatch(/page tree is malformed/);
  });

  it('counts a page tree that shares nodes to list 2^40 pages as over the limit, quickly', async () => {
    // 40 levels, each node listing the next one twice: 2^40 paths to one page.
    const levels = Array.from({ length: 40 }, (_, i) => `<< /Type /Pages /Kids [${i + 3} 0 R ${i + 3} 0 R] /Count 1 >>`);
    const pdf = rawPdf(['<< /Type /Catalog /Pages 2 0 R >>', ...levels, '<< /Type /Page /MediaBox [0 0 100 100] >>']);
    const started = performance.now();
    await expect(inspectImageOrPdf(pdf, 'fan.pdf')).rejects.toThrow(PayloadTooLarge);
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('refuses a page tree that shares nodes to multiply the work without listing pages with 400, quickly', async () => {
    const levels = Array.from({ length: 40 }, (_, i) => `<< /Type /Pages /Kids [${i + 3} 0 R ${i + 3} 0 R] /Count 0 >>`);
    const pdf = rawPdf(['<< /Type /Catalog /Pages 2 0 R >>', ...levels, '<< /Type /Pages /Kids [] /Count 0 >>']);
    const started = performance.now();
    await expect(inspectImageOrPdf(pdf, 'fan.pdf')).rejects.toThrow('The PDF could not be read: its page tree is malformed.');
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('refuses a PDF without pages with 400', async () => {
    const pdf = rawPdf(['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [] /Count 0 >>']);
    await expect(inspectImageOrPdf(pdf, 'empty.pdf')).rejects.toThrow('The PDF could not be read: it has no pages.');
  });

  it('refuses bytes that start like a PDF but are not one with 400', async () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(5000, 0x41)]);
    const error = await inspectImageOrPdf(pdf, 'fake.pdf').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequest);
    expect((error as InvalidRequest).message).toMatch(/^The PDF could not be read/);
  });

  it('refuses a PDF that takes longer than the time allowed with 400', async () => {
    const pdf = await longPdf();
    const error = await inspectImageOrPdf(pdf, 'slow.pdf', { timeoutMs: 5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequest);
    expect((error as InvalidRequest).message).toMatch(/took longer than/);
    // The stopped worker is replaced: the next PDF is counted as usual.
    await expect(inspectImageOrPdf(await pdfWithPages(3), 'next.pdf')).resolves.toMatchObject({ pageCount: 3 });
  }, 60_000);

  it('reads the pages of an encrypted PDF without its password', async () => {
    const doc = await PDFDocument.load(await pdfWithPages(2));
    doc.catalog.set(PDFName.of('Dummy'), PDFName.of('x'));
    const bytes = Buffer.from(await doc.save({ useObjectStreams: false }));
    // pdf-lib cannot encrypt; an /Encrypt entry in the trailer is what makes readers ask for a password.
    const marked = Buffer.from(bytes.toString('latin1').replace('trailer\n<<', 'trailer\n<<\n/Encrypt << /Filter /Standard /V 1 /R 2 /O <00> /U <00> /P -4 >>'), 'latin1');
    expect(marked.toString('latin1')).toContain('/Encrypt');
    await expect(inspectImageOrPdf(marked, 'locked.pdf')).resolves.toMatchObject({ pageCount: 2 });
  });
});
