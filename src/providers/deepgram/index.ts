import type { ProviderAdapter } from '../types';
import { DEEPGRAM_BASE_URL } from './api';
import { deepgramTranscription } from './transcription';

export const deepgramProvider: ProviderAdapter = {
  id: 'deepgram',
  defaultBaseUrl: DEEPGRAM_BASE_URL,
  transcription: deepgramTranscription,
};
