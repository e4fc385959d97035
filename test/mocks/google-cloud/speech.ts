// Cloud Text-to-Speech v1 as the real service answers it: POST /v1/text:synthesize with
// {input:{text|ssml|markup}, voice:{languageCode, name}, audioConfig:{audioEncoding, speakingRate,
// sampleRateHertz}} → {"audioContent": base64}. LINEAR16 comes with a WAV header, PCM without;
// MP3 and OGG_OPUS are real streams. The 5,000-byte input limit and voice/language checks answer
// 400 in Google's envelope. Auth is checked by the composed mock in ./index.ts.
import type { RecordedRequest, Route } from '../../helpers/mock-upstream';
import { silentG711, silentMp3, silentOggOpus, tonePcm, wavFile } from '../../helpers/audio';

const MAX_INPUT_BYTES = 5000;
const VOICE = /^([a-z]{2,3}-[A-Z]{2})-(Standard|Wavenet|Neural2|News|Studio|Polyglot|Journey|Chirp-HD|Chirp3-HD)-[A-Za-z0-9]+$/;

function invalidArgument(message: string) {
  return { status: 400, body: { error: { code: 400, message, status: 'INVALID_ARGUMENT' } } };
}

const ENCODINGS: Record<string, (seconds: number, sampleRate: number) => Buffer> = {
  LINEAR16: (s, rate) => wavFile(tonePcm(s, rate), rate),
  PCM: (s, rate) => tonePcm(s, rate),
  MP3: (s) => silentMp3(s),
  OGG_OPUS: (s) => silentOggOpus(s),
  MULAW: (s) => silentG711(s, 'mulaw'),
  ALAW: (s) => silentG711(s, 'alaw'),
};

function synthesize(req: RecordedRequest): { status: number; body: unknown } {
  const body = (req.json ?? {}) as { input?: Record<string, unknown>; voice?: Record<string, unknown>; audioConfig?: Record<string, unknown> };
  const input = body.input ?? {};
  const text = [input.text, input.ssml, input.markup].find((v): v is string => typeof v === 'string');
  if (text === undefined) return invalidArgument('Either `input.text`, `input.ssml` or `input.markup` is required.');
  if (Buffer.byteLength(text) > MAX_INPUT_BYTES) {
    return invalidArgument(`Either \`input.text\` or \`input.ssml\` is longer than the limit of ${MAX_INPUT_BYTES} bytes. This limit is different from quotas.`);
  }
  const languageCode = typeof body.voice?.languageCode === 'string' ? body.voice.languageCode : '';
  if (!languageCode) return invalidArgument('Invalid voice selection: `voice.language_code` is required.');
  const name = typeof body.voice?.name === 'string' ? body.voice.name : null;
  if (name !== null) {
    const match = VOICE.exec(name);
    if (!match) return invalidArgument(`Voice '${name}' does not exist. Is it misspelled?`);
    if (match[1]!.toLowerCase() !== languageCode.toLowerCase()) {
      return invalidArgument(`Requested language code '${languageCode}' doesn't match the voice '${name}''s language code '${match[1]}'. Either remove language code or provide a voice that matches.`);
    }
  }
  const encoding = String(body.audioConfig?.audioEncoding ?? '');
  const render = ENCODINGS[encoding];
  if (!render) return invalidArgument(`Invalid value for audioConfig.audioEncoding: '${encoding}' (this mock serves ${Object.keys(ENCODINGS).join(', ')}).`);
  const rate = body.audioConfig?.speakingRate;
  if (rate !== undefined && (typeof rate !== 'number' || rate < 0.25 || rate > 4)) {
    return invalidArgument('audioConfig.speakingRate must be between 0.25 and 4.0.');
  }
  const sampleRate = typeof body.audioConfig?.sampleRateHertz === 'number' ? body.audioConfig.sampleRateHertz : 24_000;
  const seconds = Math.min(10, Math.max(0.5, text.length / 15));
  return { status: 200, body: { audioContent: render(seconds, sampleRate).toString('base64') } };
}

export const googleSpeechRoutes: Route[] = [
  {
    method: 'POST',
    path: /\/v1\/text:synthesize$/,
    handle(req, res, ctx) {
      const { status, body } = synthesize(req);
      ctx.mock.sendJson(res, status, body);
    },
  },
];
