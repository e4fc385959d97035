import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { PayloadTooLarge, UnsupportedMediaType } from '../../../src/errors';
import { inspectImageOrPdf } from '../../../src/http/media/detect';
import { normalizeImage } from '../../../src/http/media/normalize';
import { pdfWithPages, solidImage } from './samples';

describe('normalizeImage', () => {
  it('turns a phone photo upright: the EXIF orientation is applied to the pixels', async () => {
    // Stored 40 wide and 20 high, tagged "rotate 90° clockwise to display" (orientation 6).
    const photo = await solidImage(40, 20).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const { file } = await inspectImageOrPdf(photo, 'IMG_0001.JPG');
    const upright = await normalizeImage(file);
    const metadata = await sharp(upright.bytes).metadata();
    expect({ width: metadata.width, height: metadata.height, orientation: metadata.orientation }).toEqual({ width: 20, height: 40, orientation: undefined });
    expect(upright).toMatchObject({ format: 'jpeg', mime: 'image/jpeg', filename: 'IMG_0001.jpeg' });
  });

  it('converts to PNG for providers that need it', async () => {
    const { file } = await inspectImageOrPdf(await solidImage(30, 30).webp().toBuffer(), 'a.webp');
    const png = await normalizeImage(file, { to: 'png' });
    expect(png).toMatchObject({ format: 'png', mime: 'image/png', filename: 'a.png' });
    expect((await sharp(png.bytes).metadata()).format).toBe('png');
  });

  it('converts to JPEG, flattening transparency onto white', async () => {
    const transparent = await sharp({ create: { width: 10, height: 10, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    const { file } = await inspectImageOrPdf(transparent, 'logo.png');
    const jpeg = await normalizeImage(file, { to: 'jpeg' });
    expect(jpeg).toMatchObject({ format: 'jpeg', mime: 'image/jpeg' });
    const { data } = await sharp(jpeg.bytes).raw().toBuffer({ resolveWithObject: true });
    expect(data[0]).toBeGreaterThan(245);
  });

  it('returns an upright image in the wanted format untouched', async () => {
    const { file } = await inspectImageOrPdf(await solidImage(30, 30).png().toBuffer(), 'a.png');
    expect(await normalizeImage(file)).toBe(file);
    expect(await normalizeImage(file, { to: 'png' })).toBe(file);
  });

  it('takes one page of a multi-page TIFF', async () => {
    const red = await solidImage(20, 20).png().toBuffer();
    const blue = await sharp({ create: { width: 20, height: 20, channels: 3, background: { r: 0, g: 0, b: 255 } } }).png().toBuffer();
    const tiff = await sharp([red, blue], { join: { animated: true } }).tiff().toBuffer();
    const { file } = await inspectImageOrPdf(tiff, 'scan.tiff');
    const second = await normalizeImage(file, { page: 1, to: 'png' });
    const { data } = await sharp(second.bytes).raw().toBuffer({ resolveWithObject: true });
    expect(data[0]).toBeLessThan(5);
    expect(data[2]).toBeGreaterThan(250);
  });

  it('enforces the pixel limit on every decode', async () => {
    const { file } = await inspectImageOrPdf(await solidImage(100, 100).png().toBuffer(), 'a.png');
    await expect(normalizeImage(file, { to: 'jpeg', maxPixels: 5_000 })).rejects.toThrow(PayloadTooLarge);
  });

  it('refuses to turn a PDF into an image with 415', async () => {
    const { file } = await inspectImageOrPdf(await pdfWithPages(1), 'a.pdf');
    await expect(normalizeImage(file, { to: 'png' })).rejects.toThrow(UnsupportedMediaType);
  });
});
