// Groq serves Whisper behind the OpenAI transcription API (base https://api.groq.com/openai/v1).
// Its answers carry no usage; Groq bills the audio's duration with a 10-second minimum per request.
import type { TranscriptionAdapter } from '../types';
import { openaiCompatibleTranscription } from '../shared/openai-transcription';

export const GROQ_MINIMUM_BILLED_SECONDS = 10;

export const groqTranscription: TranscriptionAdapter = openaiCompatibleTranscription({
  responseFormat: () => 'verbose_json',
  minimumBilledSeconds: GROQ_MINIMUM_BILLED_SECONDS,
});
