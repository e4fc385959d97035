import type { ProviderAdapter } from '../types';
import { AZURE_TRANSLATOR_BASE_URL } from './api';
import { azureTranslatorTranslation } from './translation';

export const azureTranslatorProvider: ProviderAdapter = {
  id: 'azure-translator',
  defaultBaseUrl: AZURE_TRANSLATOR_BASE_URL,
  translation: azureTranslatorTranslation,
};
