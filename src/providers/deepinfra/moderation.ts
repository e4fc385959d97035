// DeepInfra serves Llama Guard (meta-llama/Llama-Guard-4-12B, meta-llama/Llama-Guard-3-8B) on its
// OpenAI-compatible endpoint https://api.deepinfra.com/v1/openai/chat/completions, Bearer auth.
import { llamaGuardModeration } from '../shared/llama-guard';

export const deepinfraModeration = llamaGuardModeration({ chatPath: 'chat/completions' });
