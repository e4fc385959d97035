// OCR on Fireworks: open vision OCR models (olmOCR, DeepSeek-OCR …) through its OpenAI-compatible chat endpoint.
import { createVisionOcrAdapter } from '../shared/vision-ocr';
import type { OcrAdapter } from '../types';

export const fireworksOcr: OcrAdapter = createVisionOcrAdapter();
