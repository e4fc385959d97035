// Azure AI Content Safety: https://learn.microsoft.com/azure/ai-services/content-safety/ — every
// resource has its own endpoint (https://<name>.cognitiveservices.azure.com), so there is no
// default base URL: the provider is routable once AZURE_CONTENT_SAFETY_BASE_URL and _API_KEY are set.
import type { ProviderCredentials } from '../types';

export const AZURE_CONTENT_SAFETY_API_VERSION = '2024-09-01';

export function azureContentSafetyHeaders(credentials: ProviderCredentials): Record<string, string> {
  return credentials.apiKey ? { 'ocp-apim-subscription-key': credentials.apiKey } : {};
}
