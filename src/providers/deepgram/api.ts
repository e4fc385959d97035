// Deepgram: https://developers.deepgram.com/reference — `Authorization: Token <key>` (the
// `Bearer` scheme is for short-lived JWTs only).
import type { ProviderCredentials } from '../types';

export const DEEPGRAM_BASE_URL = 'https://api.deepgram.com';

export function deepgramHeaders(credentials: ProviderCredentials): Record<string, string> {
  return credentials.apiKey ? { authorization: `Token ${credentials.apiKey}` } : {};
}
