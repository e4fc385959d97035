import type { ProviderAdapter } from '../types';
import { GOOGLE_BASE_URL } from './api';
import { googleChat } from './chat';

export const googleProvider: ProviderAdapter = {
  id: 'google',
  defaultBaseUrl: GOOGLE_BASE_URL,
  chat: googleChat,
};
