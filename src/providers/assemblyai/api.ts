// AssemblyAI: https://www.assemblyai.com/docs/api-reference — the raw key in `authorization`,
// no scheme. EU data residency is another base URL (https://api.eu.assemblyai.com).
import type { ProviderCredentials } from '../types';

export const ASSEMBLYAI_BASE_URL = 'https://api.assemblyai.com';

export function assemblyaiHeaders(credentials: ProviderCredentials): Record<string, string> {
  return credentials.apiKey ? { authorization: credentials.apiKey } : {};
}
