import type { ProviderAdapter } from '../types';
import { OPENAI_BASE_URL } from './api';
import { openaiChat } from './chat';
import { openaiModeration } from './moderation';
import { openaiSpeech } from './speech';
import { openaiTranscription } from './transcription';

export const openaiProvider: ProviderAdapter = {
  id: 'openai',
  defaultBaseUrl: OPENAI_BASE_URL,
  chat: openaiChat,
  transcription: openaiTranscription,
  speech: openaiSpeech,
  moderation: openaiModeration,
};
