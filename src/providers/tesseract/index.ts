// The local OCR engine as a provider: keyless, with no base URL to reach (it runs in-process).
import type { z } from 'zod';
import type { OcrCapabilities } from '../../catalog/schema';
import type { ProviderAdapter } from '../types';
import { TesseractOcr, tesseractOcr, type TesseractOptions } from './ocr';

/** What the engine can take, for its catalog entry: images only, no PDF. */
export const TESSERACT_OCR_CAPABILITIES: z.infer<typeof OcrCapabilities> = {
  input_formats: ['png', 'jpeg', 'webp', 'gif', 'tiff'],
  max_pages: 50,
  max_file_mb: 25,
  layout: true,
  handwriting: false,
};

function providerFor(ocr: TesseractOcr): ProviderAdapter & { ocr: TesseractOcr } {
  return { id: 'tesseract', defaultBaseUrl: 'local', keyless: true, ocr, close: () => ocr.close() };
}

export const tesseractProvider = providerFor(tesseractOcr);

/** Another engine with its own pool (tests, or an embedding that wants other limits). */
export function createTesseractProvider(options: TesseractOptions): ProviderAdapter & { ocr: TesseractOcr } {
  return providerFor(new TesseractOcr(options));
}
