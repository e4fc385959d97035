// Fireworks serves Llama Guard (accounts/fireworks/models/llama-guard-3-8b) on
// https://api.fireworks.ai/inference/v1/chat/completions, Bearer auth.
import { llamaGuardModeration } from '../shared/llama-guard';

export const fireworksModeration = llamaGuardModeration({ chatPath: 'chat/completions' });
