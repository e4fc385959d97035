import type { ProviderAdapter } from '../types';
import { MISTRAL_BASE_URL } from './api';
import { mistralChat } from './chat';
import { mistralModeration } from './moderation';
import { mistralOcr } from './ocr';

export const mistralProvider: ProviderAdapter = {
  id: 'mistral',
  defaultBaseUrl: MISTRAL_BASE_URL,
  chat: mistralChat,
  ocr: mistralOcr,
  moderation: mistralModeration,
};
