import type { ProviderAdapter } from '../types';
import { azureContentSafetyModeration } from './moderation';

export const azureContentSafetyProvider: ProviderAdapter = {
  id: 'azure-content-safety',
  defaultBaseUrl: '',
  moderation: azureContentSafetyModeration,
};
