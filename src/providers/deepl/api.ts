// DeepL: https://developers.deepl.com/docs — `DeepL-Auth-Key` auth; Free keys (suffix ":fx") live on
// their own host and are refused by the Pro one, so the host follows the key unless DEEPL_BASE_URL
// points somewhere else on purpose (a proxy, a test's mock).
import type { ProviderCredentials } from '../types';

export const DEEPL_BASE_URL = 'https://api.deepl.com';
export const DEEPL_FREE_BASE_URL = 'https://api-free.deepl.com';

export function deeplBaseUrl(credentials: ProviderCredentials): string {
  const isDefault = credentials.baseUrl.replace(/\/+$/, '') === DEEPL_BASE_URL;
  return isDefault && credentials.apiKey?.endsWith(':fx') ? DEEPL_FREE_BASE_URL : credentials.baseUrl;
}

export function deeplHeaders(credentials: ProviderCredentials): Record<string, string> {
  return credentials.apiKey ? { authorization: `DeepL-Auth-Key ${credentials.apiKey}` } : {};
}

/** Per-request limits of POST /v2/translate. */
export const DEEPL_LIMITS = {
  /** Texts per request. */
  maxTexts: 50,
  /** The request body is capped at 128 KiB; leave room for the JSON around the texts. */
  maxTextBytes: 120 * 1024,
} as const;
