import type { ProviderAdapter } from '../types';
import { AZURE_DOCUMENT_INTELLIGENCE_BASE_URL } from './api';
import { azureDocumentIntelligenceOcr } from './ocr';

export const azureDocumentIntelligenceProvider: ProviderAdapter = {
  id: 'azure-document-intelligence',
  defaultBaseUrl: AZURE_DOCUMENT_INTELLIGENCE_BASE_URL,
  ocr: azureDocumentIntelligenceOcr,
};
