// OpenAI: https://platform.openai.com/docs/api-reference — Bearer auth, JSON everywhere but audio uploads.
export { bearerHeaders as openaiHeaders } from '../shared/auth';
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';
