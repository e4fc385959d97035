// OpenAI text to speech: POST /audio/speech answers the audio itself, with no usage. tts-1 and
// tts-1-hd are billed per input character. gpt-4o-mini-tts is billed per token, but its binary
// answer reports no tokens (only the SSE form does), so it is metered in characters too.
import { SPEECH_CONTENT_TYPES } from '../../tasks/speech';
import type { SpeechAdapter } from '../types';
import { checkAudioBytes, countCharacters } from '../shared/audio';
import { joinUrl } from '../shared/auth';
import { callBytes } from '../shared/upstream';
import { openaiHeaders } from './api';

/** The first TTS models take no `instructions`. */
const WITHOUT_INSTRUCTIONS = new Set(['tts-1', 'tts-1-hd']);

export const openaiSpeech: SpeechAdapter = {
  async speak(request, ctx) {
    const body = {
      model: ctx.providerModelId,
      input: request.input,
      voice: request.voice,
      response_format: request.response_format,
      ...(request.speed !== undefined ? { speed: request.speed } : {}),
      ...(request.instructions && !WITHOUT_INSTRUCTIONS.has(ctx.providerModelId) ? { instructions: request.instructions } : {}),
    };
    const { bytes } = await callBytes({
      provider: ctx.provider,
      url: joinUrl(ctx.credentials.baseUrl, 'audio/speech'),
      headers: { ...openaiHeaders(ctx.credentials), 'content-type': 'application/json' },
      body: JSON.stringify(body),
      timeoutMs: ctx.timeoutMs,
      signal: ctx.signal,
    });
    return {
      result: { audio: checkAudioBytes(ctx.provider, request.response_format, bytes), contentType: SPEECH_CONTENT_TYPES[request.response_format] },
      units: { characters: countCharacters(request.input) },
    };
  },
};
