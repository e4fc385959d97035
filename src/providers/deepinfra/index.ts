// DeepInfra: OpenAI-compatible chat; OCR models and Llama Guard over the same chat endpoint.
import type { ProviderAdapter } from '../types';
import { deepinfraChat } from './chat';
import { deepinfraModeration } from './moderation';
import { deepinfraOcr } from './ocr';

export const deepinfraProvider: ProviderAdapter = {
  id: 'deepinfra',
  defaultBaseUrl: 'https://api.deepinfra.com/v1/openai',
  chat: deepinfraChat,
  ocr: deepinfraOcr,
  moderation: deepinfraModeration,
};
