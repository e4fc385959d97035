// Google Cloud Text-to-Speech: POST /v1/text:synthesize answers {"audioContent": base64}. No usage
// comes back; Google bills the input's characters by voice family, so characters it is.
import { z } from 'zod';
import { InvalidRequest } from '../../errors';
import { SPEECH_CONTENT_TYPES, type SpeechRequest } from '../../tasks/speech';
import type { SpeechAdapter } from '../types';
import { checkAudioBytes, countCharacters } from '../shared/audio';
import { callJson } from '../shared/upstream';
import { googleCloudHeaders, googleCloudUrl } from './api';

/**
 * Our formats as Google audio encodings. LINEAR16 comes wrapped in a WAV header; PCM is the same
 * samples bare, asked for at 24 kHz to match OpenAI's pcm. Google's AAC is M4A, not ADTS, and
 * it makes no FLAC.
 */
const ENCODINGS: Partial<Record<SpeechRequest['response_format'], { audioEncoding: string; sampleRateHertz?: number }>> = {
  mp3: { audioEncoding: 'MP3' },
  opus: { audioEncoding: 'OGG_OPUS' },
  wav: { audioEncoding: 'LINEAR16' },
  pcm: { audioEncoding: 'PCM', sampleRateHertz: 24_000 },
};

/** Voice names start with their language: en-US-Neural2-C, cmn-CN-Wavenet-A, en-US-Chirp3-HD-Charon. */
const VOICE_NAME = /^([a-z]{2,3}-[A-Z]{2})-[A-Za-z0-9-]+$/;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const SynthesizeResponse = z.object({ audioContent: z.string().regex(BASE64, 'not base64') });

export const googleCloudSpeech: SpeechAdapter = {
  async speak(request, ctx) {
    const encoding = ENCODINGS[request.response_format];
    if (!encoding) {
      throw new InvalidRequest(`Google Cloud Text-to-Speech cannot produce ${request.response_format} audio; use mp3, opus, wav or pcm.`, 'response_format');
    }
    const languageCode = VOICE_NAME.exec(request.voice)?.[1];
    if (!languageCode) {
      throw new InvalidRequest(`"${request.voice}" is not a Google voice name such as en-US-Neural2-C.`, 'voice');
    }
    const body = {
      input: { text: request.input },
      voice: { languageCode, name: request.voice },
      audioConfig: { ...encoding, ...(request.speed !== undefined ? { speakingRate: request.speed } : {}) },
    };
    const { data } = await callJson(
      {
        provider: ctx.provider,
        url: googleCloudUrl(ctx.credentials, 'texttospeech', '/v1/text:synthesize'),
        headers: { ...googleCloudHeaders(ctx.credentials), 'content-type': 'application/json' },
        body: JSON.stringify(body),
        timeoutMs: ctx.timeoutMs,
        signal: ctx.signal,
      },
      SynthesizeResponse,
    );
    const audio = checkAudioBytes(ctx.provider, request.response_format, Buffer.from(data.audioContent, 'base64'));
    return {
      result: { audio, contentType: SPEECH_CONTENT_TYPES[request.response_format] },
      units: { characters: countCharacters(request.input) },
    };
  },
};
