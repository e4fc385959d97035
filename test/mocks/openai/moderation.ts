// POST /moderations as OpenAI answers it: input as a string, a list of strings or a list of
// text/image parts; one result per input with `flagged`, all categories, their scores and
// `category_applied_input_types`. omni-moderation models score all 13 categories; the legacy
// text-moderation models leave the `illicit` pair out of the scores and send null for them.
// Scores come from a small keyword table, so tests know what gets flagged.
import { randomBytes } from 'node:crypto';
import type { RecordedRequest, Route } from '../../helpers/mock-upstream';

const CATEGORIES = [
  'harassment',
  'harassment/threatening',
  'hate',
  'hate/threatening',
  'illicit',
  'illicit/violent',
  'self-harm',
  'self-harm/intent',
  'self-harm/instructions',
  'sexual',
  'sexual/minors',
  'violence',
  'violence/graphic',
] as const;
type Category = (typeof CATEGORIES)[number];

const IMAGE_CATEGORIES = new Set<Category>(['self-harm', 'self-harm/intent', 'self-harm/instructions', 'sexual', 'violence', 'violence/graphic']);

/** Words that push a category's score up; anything else scores as harmless. */
const KEYWORDS: Record<string, Partial<Record<Category, number>>> = {
  kill: { violence: 0.93, 'harassment/threatening': 0.71, 'illicit/violent': 0.12 },
  hate: { hate: 0.87, harassment: 0.64 },
  'hurt myself': { 'self-harm': 0.91, 'self-harm/intent': 0.83 },
  nsfw: { sexual: 0.76 },
  steal: { illicit: 0.81 },
};

const MODELS: Record<string, string> = {
  'omni-moderation-latest': 'omni-moderation-2024-09-26',
  'omni-moderation-2024-09-26': 'omni-moderation-2024-09-26',
  'text-moderation-latest': 'text-moderation-007',
  'text-moderation-stable': 'text-moderation-007',
};

type Input = { kind: 'text'; text: string } | { kind: 'image' };

function inputsOf(input: unknown): Input[] | null {
  if (typeof input === 'string') return [{ kind: 'text', text: input }];
  if (!Array.isArray(input) || input.length === 0) return null;
  if (input.every((i) => typeof i === 'string')) return input.map((text: string) => ({ kind: 'text', text }));
  const parts: Input[] = [];
  for (const part of input as Record<string, unknown>[]) {
    if (part?.type === 'text' && typeof part.text === 'string') parts.push({ kind: 'text', text: part.text });
    else if (part?.type === 'image_url') parts.push({ kind: 'image' });
    else return null;
  }
  return parts;
}

function score(input: Input, omni: boolean) {
  const scores = Object.fromEntries(CATEGORIES.map((c) => [c, 0.000_12])) as Record<Category, number>;
  if (input.kind === 'text') {
    const lower = input.text.toLowerCase();
    for (const [word, hits] of Object.entries(KEYWORDS)) {
      if (lower.includes(word)) for (const [c, s] of Object.entries(hits)) scores[c as Category] = Math.max(scores[c as Category], s);
    }
  }
  const categories: Record<string, boolean | null> = {};
  const category_scores: Record<string, number> = {};
  const category_applied_input_types: Record<string, string[]> = {};
  for (const c of CATEGORIES) {
    const legacyGap = !omni && (c === 'illicit' || c === 'illicit/violent');
    categories[c] = legacyGap ? null : scores[c] >= 0.5;
    if (!legacyGap) category_scores[c] = scores[c];
    if (omni) category_applied_input_types[c] = input.kind === 'image' ? (IMAGE_CATEGORIES.has(c) ? ['image'] : []) : ['text'];
  }
  const flagged = Object.values(categories).some((v) => v === true);
  return { flagged, categories, category_scores, ...(omni ? { category_applied_input_types } : {}) };
}

function moderate(req: RecordedRequest): { status: number; body: unknown } {
  const body = (req.json ?? {}) as { input?: unknown; model?: unknown };
  const invalid = (status: number, message: string, code: string | null, param: string | null) => ({
    status,
    body: { error: { message, type: 'invalid_request_error', param, code } },
  });
  const requested = typeof body.model === 'string' ? body.model : 'omni-moderation-latest';
  const model = MODELS[requested];
  if (!model) return invalid(404, `The model \`${requested}\` does not exist or you do not have access to it.`, 'model_not_found', 'model');
  const inputs = inputsOf(body.input);
  if (!inputs) return invalid(400, "Invalid value for 'input'.", null, 'input');
  const omni = model.startsWith('omni');
  if (!omni && inputs.some((i) => i.kind === 'image')) return invalid(400, 'Image inputs are only supported by omni-moderation models.', null, 'input');
  return {
    status: 200,
    body: { id: `modr-${randomBytes(12).toString('hex')}`, model, results: inputs.map((i) => score(i, omni)) },
  };
}

export const openaiModerationRoutes: Route[] = [
  {
    method: 'POST',
    path: /\/moderations$/,
    handle(req, res, { mock }) {
      const { status, body } = moderate(req);
      mock.sendJson(res, status, body, { 'x-request-id': `req_${randomBytes(8).toString('hex')}` });
    },
  },
];
