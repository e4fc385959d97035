// Groq serves Llama Guard 4 (meta-llama/llama-guard-4-12b) as a chat model on
// https://api.groq.com/openai/v1/chat/completions, Bearer auth.
import { llamaGuardModeration } from '../shared/llama-guard';

export const groqModeration = llamaGuardModeration({ chatPath: 'chat/completions' });
