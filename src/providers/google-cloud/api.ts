// Google Cloud's REST APIs (Vision, Text-to-Speech, Translation) each live on their own host.
// The default base URL keeps a `{service}` placeholder; a GOOGLE_CLOUD_BASE_URL without one
// (a proxy, or a test's mock) serves every service from that one host.
import type { ProviderCredentials } from '../types';
import { joinUrl } from '../shared/auth';

export const GOOGLE_CLOUD_BASE_URL = 'https://{service}.googleapis.com';

export type GoogleCloudService = 'vision' | 'texttospeech' | 'translation';

export function googleCloudUrl(credentials: ProviderCredentials, service: GoogleCloudService, path: string): string {
  return joinUrl(credentials.baseUrl.replace('{service}', service), path);
}

/** API-key auth by header (the `?key=` query form would put the key in access logs). */
export function googleCloudHeaders(credentials: ProviderCredentials): Record<string, string> {
  return credentials.apiKey ? { 'x-goog-api-key': credentials.apiKey } : {};
}
