import type { ProviderAdapter } from '../types';
import { DEEPL_BASE_URL } from './api';
import { deeplTranslation } from './translation';

export const deeplProvider: ProviderAdapter = {
  id: 'deepl',
  defaultBaseUrl: DEEPL_BASE_URL,
  translation: deeplTranslation,
};
