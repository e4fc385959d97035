// Every provider Switchyard can route to. Adding a provider is adding its folder and one line here.
import { anthropicProvider } from './anthropic/index';
import { assemblyaiProvider } from './assemblyai/index';
import { awsTranslateProvider } from './aws-translate/index';
import { azureContentSafetyProvider } from './azure-content-safety/index';
import { azureDocumentIntelligenceProvider } from './azure-document-intelligence/index';
import { azureTranslatorProvider } from './azure-translator/index';
import { dashscopeProvider } from './dashscope/index';
import { deepgramProvider } from './deepgram/index';
import { deepinfraProvider } from './deepinfra/index';
import { deeplProvider } from './deepl/index';
import { deepseekProvider } from './deepseek/index';
import { elevenlabsProvider } from './elevenlabs/index';
import { fireworksProvider } from './fireworks/index';
import { googleCloudProvider } from './google-cloud/index';
import { googleProvider } from './google/index';
import { groqProvider } from './groq/index';
import { libretranslateProvider } from './libretranslate/index';
import { mistralProvider } from './mistral/index';
import { ollamaProvider } from './ollama/index';
import { openaiProvider } from './openai/index';
import { tesseractProvider } from './tesseract/index';
import { togetherProvider } from './together/index';
import type { ProviderAdapter } from './types';

export const ALL_PROVIDERS: ProviderAdapter[] = [
  openaiProvider,
  anthropicProvider,
  googleProvider,
  googleCloudProvider,
  mistralProvider,
  groqProvider,
  togetherProvider,
  fireworksProvider,
  deepinfraProvider,
  deepseekProvider,
  ollamaProvider,
  azureDocumentIntelligenceProvider,
  azureTranslatorProvider,
  azureContentSafetyProvider,
  deepgramProvider,
  assemblyaiProvider,
  elevenlabsProvider,
  deeplProvider,
  libretranslateProvider,
  awsTranslateProvider,
  dashscopeProvider,
  tesseractProvider,
];
