// POST /v1/moderations as Mistral answers it: {model, input: string | string[]} → {id, model,
// results: [{categories, category_scores}], usage}. mistral-moderation-2411 (and -latest) score
// nine policy categories; mistral-moderation-2603 splits dangerous/criminal and adds jailbreaking.
// Scores come from a keyword table so tests know what gets flagged; tokens are ⌈characters / 4⌉.
import { randomBytes } from 'node:crypto';
import type { RecordedRequest, Route } from '../../helpers/mock-upstream';

const CATEGORIES_2411 = ['sexual', 'hate_and_discrimination', 'violence_and_threats', 'dangerous_and_criminal_content', 'selfharm', 'health', 'financial', 'law', 'pii'];
const CATEGORIES_2603 = ['sexual', 'hate_and_discrimination', 'violence_and_threats', 'dangerous', 'criminal', 'selfharm', 'health', 'financial', 'law', 'pii', 'jailbreaking'];

const MODELS: Record<string, { name: string; categories: string[] }> = {
  'mistral-moderation-latest': { name: 'mistral-moderation-2411', categories: CATEGORIES_2411 },
  'mistral-moderation-2411': { name: 'mistral-moderation-2411', categories: CATEGORIES_2411 },
  'mistral-moderation-2603': { name: 'mistral-moderation-2603', categories: CATEGORIES_2603 },
};

const KEYWORDS: Record<string, Record<string, number>> = {
  kill: { violence_and_threats: 0.95 },
  hate: { hate_and_discrimination: 0.88 },
  'hurt myself': { selfharm: 0.9 },
  nsfw: { sexual: 0.81 },
  steal: { dangerous_and_criminal_content: 0.74, criminal: 0.74 },
  bomb: { dangerous_and_criminal_content: 0.9, dangerous: 0.9 },
  '@': { pii: 0.86 },
  diagnose: { health: 0.79 },
};

function score(text: string, categories: string[]) {
  const scores: Record<string, number> = Object.fromEntries(categories.map((c) => [c, 0.0021]));
  const lower = text.toLowerCase();
  for (const [word, hits] of Object.entries(KEYWORDS)) {
    if (!lower.includes(word)) continue;
    for (const [c, s] of Object.entries(hits)) if (c in scores) scores[c] = Math.max(scores[c]!, s);
  }
  return { categories: Object.fromEntries(categories.map((c) => [c, scores[c]! >= 0.5])), category_scores: scores };
}

function moderate(req: RecordedRequest): { status: number; body: unknown } {
  const body = (req.json ?? {}) as { model?: unknown; input?: unknown };
  const error = (status: number, message: string, type: string, code: string) => ({ status, body: { object: 'error', message, type, param: null, code } });
  const model = typeof body.model === 'string' ? MODELS[body.model] : undefined;
  if (!model) return error(400, `Invalid model: ${String(body.model)}`, 'invalid_model', '1500');
  const inputs = typeof body.input === 'string' ? [body.input] : body.input;
  if (!Array.isArray(inputs) || inputs.length === 0 || inputs.some((i) => typeof i !== 'string')) {
    return error(422, 'Input should be a valid string or list of strings', 'invalid_request_error', '3000');
  }
  const tokens = (inputs as string[]).reduce((sum, text) => sum + Math.ceil([...text].length / 4), 0);
  return {
    status: 200,
    body: {
      id: randomBytes(16).toString('hex'),
      model: model.name,
      results: (inputs as string[]).map((text) => score(text, model.categories)),
      usage: { prompt_tokens: tokens, total_tokens: tokens, completion_tokens: 0 },
    },
  };
}

export const mistralModerationRoutes: Route[] = [
  {
    method: 'POST',
    path: /\/moderations$/,
    handle(req, res, { mock }) {
      const { status, body } = moderate(req);
      mock.sendJson(res, status, body);
    },
  },
];
