// Azure AI Document Intelligence (v4.0 GA): https://learn.microsoft.com/rest/api/aiservices/document-models
// Every Azure resource has its own endpoint (https://<resource>.cognitiveservices.azure.com), so
// there is no default base URL: AZURE_DOCUMENT_INTELLIGENCE_BASE_URL names it.
import { joinUrl } from '../shared/auth';
import type { ProviderCredentials } from '../types';

export const AZURE_DOCUMENT_INTELLIGENCE_BASE_URL = '';
export const AZURE_DOCUMENT_INTELLIGENCE_API_VERSION = '2024-11-30';

export function azureDocumentIntelligenceHeaders(credentials: ProviderCredentials): Record<string, string> {
  return credentials.apiKey ? { 'ocp-apim-subscription-key': credentials.apiKey } : {};
}

/** `POST {endpoint}/documentintelligence/documentModels/{modelId}:analyze?api-version=…&…` */
export function analyzeUrl(credentials: ProviderCredentials, modelId: string, query: Record<string, string>): string {
  const params = new URLSearchParams({ 'api-version': AZURE_DOCUMENT_INTELLIGENCE_API_VERSION, ...query });
  return `${joinUrl(credentials.baseUrl, `documentintelligence/documentModels/${encodeURIComponent(modelId)}:analyze`)}?${params}`;
}
