// Together AI: OpenAI-compatible chat; OCR models and Llama Guard over the same chat endpoint.
import type { ProviderAdapter } from '../types';
import { togetherChat } from './chat';
import { togetherModeration } from './moderation';
import { togetherOcr } from './ocr';

export const togetherProvider: ProviderAdapter = {
  id: 'together',
  defaultBaseUrl: 'https://api.together.xyz/v1',
  chat: togetherChat,
  ocr: togetherOcr,
  moderation: togetherModeration,
};
