import { beforeAll, describe, expect, it } from 'vitest';
import type { Catalog } from '../../src/catalog/catalog';
import { loadCatalog } from '../../src/catalog/load';
import { compareModels, indexCatalog, listModels, parseModelQuery, type ModelListQuery } from '../../src/catalog/query';
import { InvalidRequest, NotFound } from '../../src/errors';

let small: Catalog;
let full: Catalog;

beforeAll(async () => {
  [small, full] = await Promise.all([loadCatalog('test/fixtures/catalog/small'), loadCatalog('catalog')]);
});

const ids = (catalog: Catalog, raw: Record<string, string>, latency?: (key: string) => number | null) =>
  listModels(catalog, parseModelQuery(raw, catalog), latency && ((o) => latency(o.key))).models.map((m) => m.id);

function invalid(raw: Record<string, string>): InvalidRequest {
  try {
    parseModelQuery(raw, small);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequest);
    return error as InvalidRequest;
  }
  throw new Error('expected an InvalidRequest');
}

describe('filters', () => {
  it('returns every model, sorted by id, when no filter is given', () => {
    expect(ids(small, {})).toEqual(['acme/chat-large', 'acme/chat-small', 'acme/guard', 'acme/ocr-one', 'acme/voice']);
  });

  it('filters by task', () => {
    expect(ids(small, { task: 'chat' })).toEqual(['acme/chat-large', 'acme/chat-small']);
    expect(ids(full, { task: 'ocr' })).toContain('tesseract-ocr/tesseract');
  });

  it('filters by provider', () => {
    expect(ids(small, { provider: 'together' })).toEqual(['acme/chat-large']);
    expect(ids(full, { provider: 'tesseract' })).toEqual(['tesseract-ocr/tesseract']);
  });

  it('searches id, name and description case-insensitively, every word', () => {
    expect(ids(small, { q: 'ZETA' })).toEqual(['acme/ocr-one']);
    expect(ids(small, { q: 'classification small' })).toEqual(['acme/chat-small']);
    expect(ids(small, { q: 'acme/voice' })).toEqual(['acme/voice']);
    expect(ids(full, { q: 'llama 3.3 70b', task: 'chat' })).toContain('meta-llama/llama-3.3-70b-instruct');
  });

  it('filters by language, matching a region tag to its base language and "*" to everything', () => {
    expect(ids(small, { language: 'de' })).toEqual(['acme/chat-large', 'acme/ocr-one']);
    expect(ids(small, { language: 'pt' })).toEqual(['acme/chat-small', 'acme/ocr-one']);
    expect(ids(small, { language: 'pt-BR', task: 'chat' })).toEqual(['acme/chat-small']);
  });

  it('keeps models whose cheapest sample job is within max_price', () => {
    // Sample jobs: chat-large 0.0019 (together), chat-small 0.0002, ocr-one 0 (tesseract), voice 0.016818, guard 0.00038.
    expect(ids(small, { max_price: '0.0019' })).toEqual(['acme/chat-large', 'acme/chat-small', 'acme/guard', 'acme/ocr-one']);
    expect(ids(small, { max_price: '0.0018' })).toEqual(['acme/chat-small', 'acme/guard', 'acme/ocr-one']);
    expect(ids(small, { max_price: '0' })).toEqual(['acme/ocr-one']);
  });

  it('keeps chat models with at least min_context tokens', () => {
    expect(ids(small, { min_context: '100000' })).toEqual(['acme/chat-large']);
    expect(ids(full, { min_context: '1000000' }).length).toBeGreaterThan(5);
  });

  it('filters by open weights', () => {
    expect(ids(small, { open_weights: 'true' })).toEqual(['acme/chat-large', 'acme/ocr-one']);
    expect(ids(small, { open_weights: 'false' })).toEqual(['acme/chat-small', 'acme/guard', 'acme/voice']);
  });

  it('names the parameter of every invalid value', () => {
    expect(invalid({ task: 'painting' }).param).toBe('task');
    expect(invalid({ provider: 'nobody' }).param).toBe('provider');
    expect(invalid({ language: 'English' }).param).toBe('language');
    expect(invalid({ max_price: '-1' }).param).toBe('max_price');
    expect(invalid({ max_price: '0.0000001' }).param).toBe('max_price');
    expect(invalid({ min_context: 'lots' }).param).toBe('min_context');
    expect(invalid({ open_weights: 'yes' }).param).toBe('open_weights');
    expect(invalid({ sort: 'random' }).param).toBe('sort');
    expect(invalid({ limit: '0' }).param).toBe('limit');
    expect(invalid({ limit: '1001' }).param).toBe('limit');
    expect(invalid({ q: 'x'.repeat(201) }).param).toBe('q');
  });
});

describe('sorting', () => {
  it('sorts by the cheapest sample job, cheapest first', () => {
    expect(ids(small, { sort: 'price' })).toEqual(['acme/ocr-one', 'acme/chat-small', 'acme/guard', 'acme/chat-large', 'acme/voice']);
  });

  it('sorts by name', () => {
    expect(ids(small, { sort: 'name' })).toEqual(['acme/chat-large', 'acme/chat-small', 'acme/guard', 'acme/voice', 'acme/ocr-one']);
  });

  it('sorts by context window, largest first, models without one last', () => {
    expect(ids(small, { sort: 'context' })).toEqual(['acme/chat-large', 'acme/chat-small', 'acme/guard', 'acme/ocr-one', 'acme/voice']);
  });

  it('sorts by the fastest offering\'s p50 latency, unknown latency last', () => {
    const p50: Record<string, number> = { 'groq:acme/chat-large': 900, 'together:acme/chat-large': 300, 'groq:acme/chat-small': 500, 'openai:acme/voice': 100 };
    expect(ids(small, { sort: 'latency' }, (key) => p50[key] ?? null)).toEqual([
      'acme/voice',
      'acme/chat-large',
      'acme/chat-small',
      'acme/guard',
      'acme/ocr-one',
    ]);
  });
});

describe('paging', () => {
  it('pages with limit and an opaque cursor until has_more is false', () => {
    const seen: string[] = [];
    let query: ModelListQuery = parseModelQuery({ limit: '2', sort: 'price' }, small);
    for (;;) {
      const page = listModels(small, query);
      seen.push(...page.models.map((m) => m.id));
      if (!page.has_more) {
        expect(page.next_cursor).toBeNull();
        break;
      }
      query = parseModelQuery({ limit: '2', sort: 'price', cursor: page.next_cursor! }, small);
    }
    expect(seen).toEqual(ids(small, { sort: 'price' }));
  });

  it('rejects a cursor it did not issue', () => {
    const query = parseModelQuery({ limit: '2', cursor: 'not-a-cursor' }, small);
    expect(() => listModels(small, query)).toThrow(InvalidRequest);
  });
});

describe('comparing', () => {
  it('aligns capability fields and estimates the cheapest offering\'s sample job for each model', () => {
    const result = compareModels(small, ['acme/chat-large', 'acme/ocr-one', 'acme/voice']);
    expect(result.capability_fields).toContain('context_length');
    expect(result.capability_fields).toContain('input_formats');
    const [chat, ocr, voice] = result.data;
    expect(chat!.capabilities.context_length).toBe(128000);
    expect(chat!.capabilities.input_formats).toBeNull();
    expect(ocr!.capabilities.context_length).toBeNull();
    // chat-large: groq 1000 × $1/M + 500 × $2/M = $0.002; together 1000 × $0.40/M + 500 × $3/M = $0.0019.
    expect(chat!.cheapest_offering).toEqual({
      provider: 'together',
      provider_model_id: 'acme/Chat-Large-Turbo',
      units: { input_tokens: 1000, output_tokens: 500 },
      estimated_cost_usd: '0.0019',
    });
    // ocr-one: tesseract 1 page × $0 beats deepinfra 1,600 × $0.27/M + 1,000 × $1.50/M = $0.001932.
    expect(ocr!.cheapest_offering).toMatchObject({ provider: 'tesseract', units: { pages: 1 }, estimated_cost_usd: '0.00' });
    // voice: 250 text tokens × $0.60/M + 1,389 audio tokens × $12/M = $0.00015 + $0.016668 = $0.016818.
    expect(voice!.cheapest_offering).toMatchObject({ units: { input_tokens: 250, output_tokens: 1389 }, estimated_cost_usd: '0.016818' });
  });

  it('prices the real catalog\'s cheapest Llama 3.3 70B and gpt-oss-120b sample jobs', () => {
    const [llama, oss] = compareModels(full, ['meta-llama/llama-3.3-70b-instruct', 'openai/gpt-oss-120b']).data;
    // DeepInfra: 1000 × $0.23/M + 500 × $0.40/M = $0.00043; 1000 × $0.05/M + 500 × $0.45/M = $0.000275.
    expect(llama!.cheapest_offering).toMatchObject({ provider: 'deepinfra', estimated_cost_usd: '0.00043' });
    expect(oss!.cheapest_offering).toMatchObject({ provider: 'deepinfra', estimated_cost_usd: '0.000275' });
  });

  it('answers 404 for an unknown model', () => {
    expect(() => compareModels(small, ['acme/chat-large', 'acme/nope'])).toThrow(NotFound);
  });
});

describe('speed', () => {
  it('filters and sorts the whole catalog in well under a millisecond', () => {
    indexCatalog(full);
    const query = parseModelQuery({ task: 'chat', sort: 'price', q: 'instruct', max_price: '0.01' }, full);
    for (let i = 0; i < 200; i++) listModels(full, query);
    const rounds = 2000;
    const started = performance.now();
    for (let i = 0; i < rounds; i++) listModels(full, query);
    const perQuery = (performance.now() - started) / rounds;
    expect(perQuery).toBeLessThan(0.5);
  });
});
