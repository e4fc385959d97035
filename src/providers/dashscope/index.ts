// Alibaba Cloud Model Studio (DashScope): Qwen-MT translation models over the OpenAI-compatible API.
import type { ProviderAdapter } from '../types';
import { DASHSCOPE_BASE_URL } from './api';
import { dashscopeTranslation } from './translation';

export const dashscopeProvider: ProviderAdapter = {
  id: 'dashscope',
  defaultBaseUrl: DASHSCOPE_BASE_URL,
  translation: dashscopeTranslation,
};
