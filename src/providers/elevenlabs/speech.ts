// ElevenLabs text to speech: POST /v1/text-to-speech/{voice_id}?output_format=… answers the audio.
// The bill is the `character-cost` response header (credits: one per character on most models,
// half on Flash/Turbo); without it, the input's characters.
import { InvalidRequest } from '../../errors';
import { SPEECH_CONTENT_TYPES, type SpeechRequest } from '../../tasks/speech';
import type { SpeechAdapter } from '../types';
import { checkAudioBytes, countCharacters } from '../shared/audio';
import { joinUrl } from '../shared/auth';
import { callBytes } from '../shared/upstream';
import { elevenlabsHeaders } from './api';

/**
 * Our formats as ElevenLabs `output_format` values. pcm is 24 kHz 16-bit mono, like OpenAI's;
 * 24 kHz WAV, unlike 44.1 kHz, needs no Pro plan. ElevenLabs makes no AAC or FLAC.
 */
const OUTPUT_FORMATS: Partial<Record<SpeechRequest['response_format'], string>> = {
  mp3: 'mp3_44100_128',
  opus: 'opus_48000_64',
  wav: 'wav_24000',
  pcm: 'pcm_24000',
};

/**
 * Premade voices by name, so `voice: "Rachel"` works as well as the id. Ids as GET /v1/voices
 * lists them (a public dump: gist.github.com/davehorton/05618fda0ab360f91240da3d2edf0ed5).
 * Anything else is taken as a voice id.
 */
const PREMADE_VOICES: Record<string, string> = {
  rachel: '21m00Tcm4TlvDq8ikWAM',
  domi: 'AZnzlk1XvdvUeBnXmlld',
  bella: 'EXAVITQu4vr4xnSDxMaL',
  clyde: '2EiwWnXFnvU5JabPnv8n',
};

/** ElevenLabs accepts voice_settings.speed from 0.7 to 1.2. */
const SPEED_RANGE = { min: 0.7, max: 1.2 };

export const elevenlabsSpeech: SpeechAdapter = {
  async speak(request, ctx) {
    const outputFormat = OUTPUT_FORMATS[request.response_format];
    if (!outputFormat) {
      throw new InvalidRequest(`ElevenLabs cannot produce ${request.response_format} audio; use mp3, opus, wav or pcm.`, 'response_format');
    }
    if (request.speed !== undefined && (request.speed < SPEED_RANGE.min || request.speed > SPEED_RANGE.max)) {
      throw new InvalidRequest(`ElevenLabs speaks at speeds from ${SPEED_RANGE.min} to ${SPEED_RANGE.max}.`, 'speed');
    }
    const voiceId = PREMADE_VOICES[request.voice.toLowerCase()] ?? request.voice;
    const body = {
      text: request.input,
      model_id: ctx.providerModelId,
      ...(request.speed !== undefined ? { voice_settings: { speed: request.speed } } : {}),
    };
    const { bytes, headers } = await callBytes({
      provider: ctx.provider,
      url: `${joinUrl(ctx.credentials.baseUrl, `v1/text-to-speech/${encodeURIComponent(voiceId)}`)}?output_format=${outputFormat}`,
      headers: { ...elevenlabsHeaders(ctx.credentials), 'content-type': 'application/json', accept: 'audio/*' },
      body: JSON.stringify(body),
      timeoutMs: ctx.timeoutMs,
      signal: ctx.signal,
    });
    const billed = billedCharacters(headers['character-cost'] ?? headers['x-character-cost']);
    return {
      result: { audio: checkAudioBytes(ctx.provider, request.response_format, bytes), contentType: SPEECH_CONTENT_TYPES[request.response_format] },
      units: { characters: billed ?? countCharacters(request.input) },
    };
  },
};

/** The header's count, whole (a half-credit model can bill an odd half); null when absent or not a number. */
function billedCharacters(header: string | undefined): number | null {
  if (header === undefined || !/^\d+(\.\d+)?$/.test(header.trim())) return null;
  return Math.ceil(Number(header));
}
