import type { ProviderAdapter } from '../types';
import { ELEVENLABS_BASE_URL } from './api';
import { elevenlabsSpeech } from './speech';

export const elevenlabsProvider: ProviderAdapter = {
  id: 'elevenlabs',
  defaultBaseUrl: ELEVENLABS_BASE_URL,
  speech: elevenlabsSpeech,
};
