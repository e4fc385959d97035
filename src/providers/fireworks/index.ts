// Fireworks AI: OpenAI-compatible chat; OCR models and Llama Guard over the same chat endpoint.
import type { ProviderAdapter } from '../types';
import { fireworksChat } from './chat';
import { fireworksModeration } from './moderation';
import { fireworksOcr } from './ocr';

export const fireworksProvider: ProviderAdapter = {
  id: 'fireworks',
  defaultBaseUrl: 'https://api.fireworks.ai/inference/v1',
  chat: fireworksChat,
  ocr: fireworksOcr,
  moderation: fireworksModeration,
};
