// Groq's transcriptions: OpenAI's route in Groq's dialect (Whisper models only; json, text and
// verbose_json; an `x_groq` id and no usage in the answer). Serve it under Groq's base path
// (`/openai/v1`) next to the chat routes of test/mocks/openai-compatible.ts.
import type { Route } from '../../helpers/mock-upstream';
import { transcriptionRoutes } from '../openai/transcription';

export const groqTranscriptionRoutes: Route[] = transcriptionRoutes('groq');
