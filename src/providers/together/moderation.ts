// Together serves Llama Guard (meta-llama/Llama-Guard-4-12B, meta-llama/Meta-Llama-Guard-3-8B) as
// chat models on https://api.together.xyz/v1/chat/completions, Bearer auth.
import { llamaGuardModeration } from '../shared/llama-guard';

export const togetherModeration = llamaGuardModeration({ chatPath: 'chat/completions' });
