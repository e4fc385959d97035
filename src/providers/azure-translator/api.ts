// Azure AI Translator v3: https://learn.microsoft.com/azure/ai-services/translator/text-translation/reference/v3/translate
// Key auth by header; regional and multi-service resources also need their region
// (AZURE_TRANSLATOR_REGION), the global single-service resource does not.
import type { ProviderCredentials } from '../types';

export const AZURE_TRANSLATOR_BASE_URL = 'https://api.cognitive.microsofttranslator.com';

export function azureTranslatorHeaders(credentials: ProviderCredentials): Record<string, string> {
  const headers: Record<string, string> = {};
  if (credentials.apiKey) headers['ocp-apim-subscription-key'] = credentials.apiKey;
  const region = credentials.extra.region;
  if (region) headers['ocp-apim-subscription-region'] = region;
  return headers;
}

/** Per-request limits of POST /translate: elements, and characters summed over all texts. */
export const AZURE_TRANSLATOR_LIMITS = { maxItems: 1_000, maxSize: 50_000 } as const;
