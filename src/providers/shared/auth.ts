import type { ProviderCredentials } from '../types';

/** `Authorization: Bearer <key>`, the scheme of OpenAI and every OpenAI-compatible host. */
export function bearerHeaders(credentials: ProviderCredentials): Record<string, string> {
  return credentials.apiKey ? { authorization: `Bearer ${credentials.apiKey}` } : {};
}

/** Joins a base URL and a path without doubling or dropping the slash between them. */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
