// An OpenAI-compatible host serving open OCR vision models (DeepInfra, Together, Fireworks) on
// /chat/completions: a user message with a text part and an image_url data-URL part, a chat
// completion back with the model's transcript and usage. Like the models themselves, olmOCR
// answers with a front matter block first and DeepSeek-OCR with the bare text. Image tokens are
// counted per 28 × 28 pixel patch, as Qwen2-VL-based models do.
import sharp from 'sharp';
import { MockUpstream, type RecordedRequest, type Route } from '../helpers/mock-upstream';

export const VISION_OCR_TEST_KEY = 'vision-ocr-test-key';

/** What the mock "reads" on every page. */
export const VISION_OCR_MOCK_TEXT = 'Hello Switchyard\n\nRead by a vision model.';

/** OpenAI's error body, which these hosts use too. */
export function visionOcrErrorBody(status: number, message: string) {
  const type = status === 429 ? 'rate_limit_exceeded' : status === 401 ? 'invalid_api_key' : status >= 500 ? 'server_error' : 'invalid_request_error';
  return { error: { message, type, param: null, code: type } };
}

interface ImagePart {
  type: 'image_url';
  image_url: { url: string };
}

export const visionOcrRoutes: Route[] = [
  {
    method: 'POST',
    path: /\/chat\/completions$/,
    async handle(req, res, { mock }) {
      const body = req.json;
      const content = body?.messages?.[0]?.content;
      const image = Array.isArray(content) ? (content.find((p: { type?: string }) => p.type === 'image_url') as ImagePart | undefined) : undefined;
      const prompt = Array.isArray(content) ? content.find((p: { type?: string }) => p.type === 'text')?.text : undefined;
      const match = /^data:(image\/[a-z]+);base64,(.+)$/s.exec(image?.image_url?.url ?? '');
      if (typeof body?.model !== 'string' || !match || typeof prompt !== 'string') {
        return mock.sendJson(res, 400, visionOcrErrorBody(400, 'Expected a user message with a text part and an image_url data URL.'));
      }
      const size = await sharp(Buffer.from(match[2]!, 'base64'))
        .metadata()
        .catch(() => null);
      if (!size?.width || !size.height) return mock.sendJson(res, 400, visionOcrErrorBody(400, 'Could not decode the image.'));
      const transcript = /olmocr/i.test(body.model)
        ? `---\nprimary_language: en\nis_rotation_valid: True\nrotation_correction: 0\nis_table: False\nis_diagram: False\n---\n${VISION_OCR_MOCK_TEXT}`
        : VISION_OCR_MOCK_TEXT;
      const promptTokens = Math.ceil((size.width * size.height) / (28 * 28)) + Math.ceil(prompt.length / 4);
      const completionTokens = Math.ceil(transcript.length / 4);
      mock.sendJson(res, 200, {
        id: `chatcmpl-${req.body.length}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: transcript }, finish_reason: 'stop', logprobs: null }],
        usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
      });
    },
  },
];

export function startVisionOcrMock(apiKey = VISION_OCR_TEST_KEY): Promise<MockUpstream> {
  return MockUpstream.start({
    routes: visionOcrRoutes,
    errorBody: visionOcrErrorBody,
    authorize: (req: RecordedRequest) => req.headers.authorization === `Bearer ${apiKey}`,
  });
}
