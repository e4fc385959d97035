import { describe, expect, it } from 'vitest';
import { InvalidRequest, PayloadTooLarge, UnsupportedMediaType } from '../../../src/errors';
import { decodeBase64 } from '../../../src/http/media/inline';
import { inspectAudioUrl, inspectBase64Image } from '../../../src/http/media/inputs';
import { toneWav } from '../../helpers/audio';
import { solidImage } from './samples';

describe('files inside a JSON body', () => {
  it('inspects base64 in the "image" field, plain or as a data: URL', async () => {
    const png = await solidImage(12, 8).png().toBuffer();
    const plain = await inspectBase64Image(png.toString('base64'), { param: 'image' });
    expect(plain).toMatchObject({ width: 12, height: 8, file: { format: 'png', filename: 'image.png' } });
    const dataUrl = await inspectBase64Image(`data:image/jpeg;base64,${png.toString('base64')}`, { param: 'image' });
    expect(dataUrl.file.mime).toBe('image/png');
  });

  it('names the field in its errors', async () => {
    const text = Buffer.from('plain words').toString('base64');
    const error = await inspectBase64Image(text, { param: 'image' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedMediaType);
    expect((error as UnsupportedMediaType).param).toBe('image');
  });

  it('refuses base64 over the size cap with 413 before decoding it', async () => {
    await expect(inspectBase64Image('QUFB'.repeat(1000), { param: 'image', maxBytes: 2000 })).rejects.toThrow(PayloadTooLarge);
    expect(() => decodeBase64(' '.repeat(10_000), { param: 'image', maxBytes: 10 })).toThrow(PayloadTooLarge);
  });

  it('refuses text that is not base64 with 400', () => {
    expect(() => decodeBase64('not*base64', { param: 'image', maxBytes: 100 })).toThrow(InvalidRequest);
    expect(() => decodeBase64('', { param: 'image', maxBytes: 100 })).toThrow(/image is empty/);
  });

  it('accepts URL-safe base64 and line breaks', () => {
    const bytes = Buffer.from([0xfb, 0xff, 0xfe, 0x00, 0x01]);
    const urlSafe = bytes.toString('base64url');
    expect(decodeBase64(urlSafe, { param: 'image', maxBytes: 100 }).equals(bytes)).toBe(true);
    expect(decodeBase64(`${bytes.toString('base64').slice(0, 4)}\n${bytes.toString('base64').slice(4)}`, { param: 'image', maxBytes: 100 }).equals(bytes)).toBe(true);
  });

  it('inspects audio given as a data: URL in audio_url', async () => {
    const inspected = await inspectAudioUrl(`data:audio/mpeg;base64,${toneWav(1.5).toString('base64')}`, { param: 'audio_url' });
    expect(inspected).toMatchObject({ durationSeconds: 1.5, file: { format: 'wav', mime: 'audio/wav' } });
  });
});
