// OpenAI transcriptions: whisper-1 answers verbose_json (segments, words, duration; billed by the
// second), gpt-4o-transcribe and gpt-4o-mini-transcribe only json/text (billed by the token, read
// from `usage`), gpt-4o-transcribe-diarize diarized_json (segments with speakers).
import type { TranscriptionAdapter } from '../types';
import { openaiCompatibleTranscription } from '../shared/openai-transcription';

export const openaiTranscription: TranscriptionAdapter = openaiCompatibleTranscription({
  responseFormat: (model) => (model.startsWith('whisper') ? 'verbose_json' : model.includes('diarize') ? 'diarized_json' : 'json'),
});
