// ElevenLabs: https://elevenlabs.io/docs/api-reference — the key in `xi-api-key`.
import type { ProviderCredentials } from '../types';

export const ELEVENLABS_BASE_URL = 'https://api.elevenlabs.io';

export function elevenlabsHeaders(credentials: ProviderCredentials): Record<string, string> {
  return credentials.apiKey ? { 'xi-api-key': credentials.apiKey } : {};
}
