import type { ProviderAdapter } from '../types';
import { deepseekChat } from './chat';

export const deepseekProvider: ProviderAdapter = {
  id: 'deepseek',
  defaultBaseUrl: 'https://api.deepseek.com',
  chat: deepseekChat,
};
