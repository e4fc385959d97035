import type { ProviderAdapter } from '../types';
import { ASSEMBLYAI_BASE_URL } from './api';
import { assemblyaiTranscription } from './transcription';

export const assemblyaiProvider: ProviderAdapter = {
  id: 'assemblyai',
  defaultBaseUrl: ASSEMBLYAI_BASE_URL,
  transcription: assemblyaiTranscription,
};
