// The DeepL mock: POST /v2/translate (JSON, or the form encoding deepl-node sends), v3 glossaries,
// GET /v2/usage. Auth is `Authorization: DeepL-Auth-Key <key>`, refused with 403 as DeepL does;
// errors are DeepL's {"message": "…"}.
import type http from 'node:http';
import { MockUpstream, type RecordedRequest, type Route, type RouteContext } from '../helpers/mock-upstream';
import { codePointLength, fakeDetect, fakeTranslate } from './fake-translator';

export const DEEPL_TEST_KEY = 'deepl-test-key';

export function deeplErrorBody(_status: number, message: string) {
  return { message };
}

const TARGETS = new Set(
  'AR BG CS DA DE EL EN EN-GB EN-US ES ES-419 ET FI FR HE HU ID IT JA KO LT LV NB NL PL PT PT-BR PT-PT RO RU SK SL SV TH TR UK VI ZH ZH-HANS ZH-HANT'.split(' '),
);
const SOURCES = new Set('AR BG CS DA DE EL EN ES ET FI FR HE HU ID IT JA KO LT LV NB NL PL PT RO RU SK SL SV TH TR UK VI ZH'.split(' '));
const FORMALITY_TARGETS = new Set('DE ES ES-419 FR IT JA NL PL PT-BR PT-PT RU'.split(' '));

interface Dictionary {
  sourceLang: string;
  targetLang: string;
  entries: Record<string, string>;
}

export interface DeeplMockState {
  glossaries: Map<string, { name: string; dictionaries: Dictionary[] }>;
  /** Characters billed so far, as GET /v2/usage reports them. */
  characterCount: number;
}

type Handler = (req: RecordedRequest, res: http.ServerResponse, ctx: RouteContext) => void;

export function deeplRoutes(state: DeeplMockState, apiKey: string): Route[] {
  const authorized = (handle: Handler): Route['handle'] => (req, res, ctx) => {
    if (req.headers.authorization !== `DeepL-Auth-Key ${apiKey}`) {
      return ctx.mock.sendJson(res, 403, { message: 'Authorization failure, check auth_key' });
    }
    handle(req, res, ctx);
  };
  return [
    { method: 'POST', path: /\/v2\/translate$/, handle: authorized((req, res, ctx) => translate(state, req, res, ctx)) },
    { method: 'POST', path: /\/v3\/glossaries$/, handle: authorized((req, res, ctx) => createGlossary(state, req, res, ctx)) },
    {
      method: 'DELETE',
      path: /\/v3\/glossaries\/[^/]+$/,
      handle: authorized((req, res, ctx) => {
        const id = decodeURIComponent(req.path.split('/').at(-1)!);
        if (!state.glossaries.delete(id)) return ctx.mock.sendJson(res, 404, { message: 'Glossary not found' });
        res.writeHead(204).end();
      }),
    },
    {
      method: 'GET',
      path: /\/v2\/usage$/,
      handle: authorized((_req, res, ctx) => ctx.mock.sendJson(res, 200, { character_count: state.characterCount, character_limit: 500_000 })),
    },
  ];
}

/** Reads JSON bodies and the form encoding (repeated `text` fields) alike. */
function params(req: RecordedRequest): { get(name: string): unknown; texts(): unknown } {
  if (req.json !== undefined) {
    const body = req.json as Record<string, unknown>;
    return { get: (name) => body[name], texts: () => body.text };
  }
  const form = new URLSearchParams(req.body.toString('utf8'));
  return { get: (name) => form.get(name) ?? undefined, texts: () => form.getAll('text') };
}

function translate(state: DeeplMockState, req: RecordedRequest, res: http.ServerResponse, ctx: RouteContext): void {
  const p = params(req);
  const bad = (message: string, status = 400) => ctx.mock.sendJson(res, status, { message });
  const texts = p.texts();
  if (!Array.isArray(texts) || texts.length === 0 || texts.some((t) => typeof t !== 'string')) return bad("Parameter 'text' not specified.");
  if (texts.length > 50) return bad('Too many texts (at most 50 per request).');
  const target = String(p.get('target_lang') ?? '').toUpperCase();
  if (!TARGETS.has(target)) return bad("Value for 'target_lang' not supported.");
  const sourceParam = p.get('source_lang');
  const source = sourceParam === undefined ? null : String(sourceParam).toUpperCase();
  if (source !== null && !SOURCES.has(source)) return bad("Value for 'source_lang' not supported.");
  const formality = p.get('formality');
  if ((formality === 'more' || formality === 'less') && !FORMALITY_TARGETS.has(target)) {
    return bad("'formality' is not supported for given 'target_lang'.");
  }
  let entries: Record<string, string> = {};
  const glossaryId = p.get('glossary_id');
  if (glossaryId !== undefined) {
    if (source === null) return bad("Use of a glossary requires the 'source_lang' parameter to be specified.");
    const glossary = state.glossaries.get(String(glossaryId));
    if (!glossary) return bad('Glossary not found', 404);
    const pair = glossary.dictionaries.find((d) => d.sourceLang === source.toLowerCase() && d.targetLang === target.split('-')[0]!.toLowerCase());
    if (!pair) return bad("The glossary does not contain a dictionary for the given 'source_lang' and 'target_lang'.");
    entries = pair.entries;
  }
  const showBilled = p.get('show_billed_characters');
  const modelType = p.get('model_type');
  const translations = (texts as string[]).map((text) => {
    const billed = codePointLength(text);
    state.characterCount += billed;
    return {
      detected_source_language: source ?? fakeDetect(text).toUpperCase(),
      text: fakeTranslate(text, target, entries),
      ...(showBilled === true || showBilled === '1' || showBilled === 'true' ? { billed_characters: billed } : {}),
      ...(typeof modelType === 'string' ? { model_type_used: modelType.replace(/^prefer_/, '') } : {}),
    };
  });
  ctx.mock.sendJson(res, 200, { translations });
}

/** v3 glossaries come as JSON or, from deepl-node, as form fields named `dictionaries[0].source_lang`. */
function glossaryBody(req: RecordedRequest): { name?: unknown; dictionaries?: unknown } | undefined {
  if (req.json !== undefined) return req.json as { name?: unknown; dictionaries?: unknown };
  const form = new URLSearchParams(req.body.toString('utf8'));
  const dictionaries: Record<string, string>[] = [];
  for (const [key, value] of form) {
    const match = /^dictionaries\[(\d+)\]\.(\w+)$/.exec(key);
    if (match) (dictionaries[Number(match[1])] ??= {})[match[2]!] = value;
  }
  return { name: form.get('name') ?? undefined, dictionaries };
}

function createGlossary(state: DeeplMockState, req: RecordedRequest, res: http.ServerResponse, ctx: RouteContext): void {
  const body = glossaryBody(req);
  const bad = (message: string) => ctx.mock.sendJson(res, 400, { message });
  if (!body || typeof body.name !== 'string' || !body.name) return bad("Parameter 'name' not specified.");
  if (!Array.isArray(body.dictionaries) || body.dictionaries.length === 0) return bad("Parameter 'dictionaries' not specified.");
  const dictionaries: Dictionary[] = [];
  for (const raw of body.dictionaries as Record<string, unknown>[]) {
    if (raw.entries_format !== 'tsv') return bad("Only 'tsv' entries are supported by this mock.");
    const sourceLang = String(raw.source_lang ?? '');
    const targetLang = String(raw.target_lang ?? '');
    if (!/^[a-z]{2}$/.test(sourceLang) || !/^[a-z]{2}$/.test(targetLang)) return bad('Unsupported glossary language pair.');
    const entries: Record<string, string> = {};
    for (const line of String(raw.entries ?? '').split('\n')) {
      const cells = line.split('\t');
      if (cells.length !== 2 || !cells[0] || !cells[1]) return bad(`Invalid glossary entry: ${JSON.stringify(line)}`);
      entries[cells[0]] = cells[1];
    }
    dictionaries.push({ sourceLang, targetLang, entries });
  }
  const id = `glossary-${state.glossaries.size + 1}-${Date.now().toString(36)}`;
  state.glossaries.set(id, { name: body.name, dictionaries });
  ctx.mock.sendJson(res, 201, {
    glossary_id: id,
    name: body.name,
    dictionaries: dictionaries.map((d) => ({ source_lang: d.sourceLang, target_lang: d.targetLang, entry_count: Object.keys(d.entries).length })),
    creation_time: new Date().toISOString(),
  });
}

export type DeeplMock = MockUpstream & { state: DeeplMockState };

export async function startDeeplMock(apiKey = DEEPL_TEST_KEY): Promise<DeeplMock> {
  const state: DeeplMockState = { glossaries: new Map(), characterCount: 0 };
  const mock = await MockUpstream.start({ routes: deeplRoutes(state, apiKey), errorBody: deeplErrorBody });
  return Object.assign(mock, { state });
}
