// Google Cloud's Vision (OCR), Text-to-Speech and Translation v2, with one API key.
import type { ProviderAdapter } from '../types';
import { GOOGLE_CLOUD_BASE_URL } from './api';
import { googleCloudOcr } from './ocr';
import { googleCloudSpeech } from './speech';
import { googleCloudTranslation } from './translation';

export const googleCloudProvider: ProviderAdapter = {
  id: 'google-cloud',
  defaultBaseUrl: GOOGLE_CLOUD_BASE_URL,
  ocr: googleCloudOcr,
  speech: googleCloudSpeech,
  translation: googleCloudTranslation,
};
