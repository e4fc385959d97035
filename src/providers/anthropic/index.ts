import type { ProviderAdapter } from '../types';
import { ANTHROPIC_BASE_URL } from './api';
import { anthropicChat } from './chat';

export const anthropicProvider: ProviderAdapter = {
  id: 'anthropic',
  defaultBaseUrl: ANTHROPIC_BASE_URL,
  chat: anthropicChat,
};
