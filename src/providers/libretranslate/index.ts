import type { ProviderAdapter } from '../types';
import { libretranslateTranslation } from './translation';

/**
 * Self-hosted, so there is no default host: the provider is routable only once
 * LIBRETRANSLATE_BASE_URL is set. An API key (LIBRETRANSLATE_API_KEY) is optional; servers run
 * with --api-keys ask for one.
 */
export const libretranslateProvider: ProviderAdapter = {
  id: 'libretranslate',
  defaultBaseUrl: '',
  keyless: true,
  translation: libretranslateTranslation,
};
