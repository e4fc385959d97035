// Mistral: https://docs.mistral.ai/api — Bearer auth; chat is OpenAI-shaped, OCR has its own /v1/ocr.
export { bearerHeaders as mistralHeaders } from '../shared/auth';
export const MISTRAL_BASE_URL = 'https://api.mistral.ai/v1';
