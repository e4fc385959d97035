import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Catalog, Offering } from '../../src/catalog/catalog';
import { loadCatalog } from '../../src/catalog/load';
import { errorMiddleware } from '../../src/http/errors';
import { modelsRouter, type CatalogStatus } from '../../src/http/models';
import { createLogger } from '../../src/log';

let catalog: Catalog;
let server: http.Server;
let base: string;

const ENABLED = new Set(['groq', 'deepinfra', 'tesseract']);
const status: CatalogStatus = {
  offering: (o: Offering) => ({
    enabled: ENABLED.has(o.provider),
    health: { state: o.provider === 'groq' ? 'open' : 'closed' },
    p50_latency_ms: o.provider === 'groq' ? 120 : null,
  }),
  provider: (id: string) => ({ enabled: ENABLED.has(id), health: { state: 'closed', id } }),
};

beforeAll(async () => {
  catalog = await loadCatalog('catalog');
  const app = express();
  app.set('query parser', 'simple');
  app.use('/v1', modelsRouter({ catalog, status }));
  app.use(errorMiddleware(createLogger('silent')));
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function get(path: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, body: await response.json() };
}

describe('GET /v1/models', () => {
  it('lists every model in the OpenAI list shape with the catalog fields', async () => {
    const { status: code, body } = await get('/models');
    expect(code).toBe(200);
    expect(body.object).toBe('list');
    expect(body.data).toHaveLength(catalog.models.length);
    expect(body).not.toHaveProperty('has_more');
    const oss = body.data.find((m: { id: string }) => m.id === 'openai/gpt-oss-120b');
    expect(oss).toMatchObject({
      object: 'model',
      created: Date.UTC(2025, 7, 5) / 1000,
      owned_by: 'openai',
      task: 'chat',
      open_weights: true,
      capabilities: { context_length: 131072 },
    });
    const groq = oss.offerings.find((o: { provider: string }) => o.provider === 'groq');
    expect(groq).toMatchObject({
      provider_model_id: 'openai/gpt-oss-120b',
      pricing: { input_tokens: '0.00000015', output_tokens: '0.0000006', cached_input_tokens: '0.000000075' },
      enabled: true,
      health: { state: 'open' },
      source: { url: 'https://console.groq.com/docs/models', basis: 'provider-page' },
    });
  });

  it('filters, sorts and pages with has_more and next_cursor', async () => {
    const first = await get('/models?task=chat&provider=groq&sort=price&limit=3');
    expect(first.body.data).toHaveLength(3);
    expect(first.body.has_more).toBe(true);
    const rest = await get(`/models?task=chat&provider=groq&sort=price&limit=1000&cursor=${first.body.next_cursor}`);
    expect(rest.body.has_more).toBe(false);
    expect(rest.body.next_cursor).toBeNull();
    const all = await get('/models?task=chat&provider=groq&sort=price');
    expect([...first.body.data, ...rest.body.data].map((m: { id: string }) => m.id)).toEqual(all.body.data.map((m: { id: string }) => m.id));
  });

  it('answers an invalid filter with a 400 in the OpenAI error shape naming the parameter', async () => {
    const { status: code, body } = await get('/models?min_context=huge');
    expect(code).toBe(400);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_request', param: 'min_context' });
  });

  it('works with the official OpenAI SDK', async () => {
    const client = new OpenAI({ apiKey: 'not-needed', baseURL: base, maxRetries: 0 });
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toHaveLength(catalog.models.length);
    const one = await client.models.retrieve('openai/whisper-1');
    expect(one).toMatchObject({ id: 'openai/whisper-1', object: 'model', owned_by: 'openai' });
  });
});

describe('GET /v1/models/{author}/{name}', () => {
  it('returns one model with every offering, its live health and whether it is enabled', async () => {
    const { status: code, body } = await get('/models/openai/gpt-oss-120b');
    expect(code).toBe(200);
    expect(body.offerings.map((o: { provider: string }) => o.provider).sort()).toEqual(['deepinfra', 'fireworks', 'groq', 'together']);
    expect(body.offerings.find((o: { provider: string }) => o.provider === 'together')).toMatchObject({ enabled: false, health: { state: 'closed' } });
  });

  it('answers 404 model_not_found for an unknown model', async () => {
    const { status: code, body } = await get('/models/acme/nothing');
    expect(code).toBe(404);
    expect(body.error).toMatchObject({ code: 'model_not_found' });
  });
});

describe('GET /v1/models/compare', () => {
  it('compares models side by side with each one\'s cheapest sample-job cost', async () => {
    const { status: code, body } = await get('/models/compare?ids=meta-llama/llama-3.3-70b-instruct,openai/gpt-oss-120b');
    expect(code).toBe(200);
    expect(body.data.map((m: { cheapest_offering: { estimated_cost_usd: string } }) => m.cheapest_offering.estimated_cost_usd)).toEqual(['0.00043', '0.000275']);
  });

  it('needs 2 to 6 known ids', async () => {
    expect((await get('/models/compare?ids=openai/whisper-1')).body.error.param).toBe('ids');
    expect((await get('/models/compare')).body.error.param).toBe('ids');
    const unknown = await get('/models/compare?ids=openai/whisper-1,acme/nothing');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('model_not_found');
  });
});

describe('GET /v1/providers', () => {
  it('lists every provider, enabled or not, with its tasks, offering count and health', async () => {
    const { body } = await get('/providers');
    expect(body.data).toHaveLength(catalog.providers.length);
    const tesseract = body.data.find((p: { id: string }) => p.id === 'tesseract');
    expect(tesseract).toMatchObject({ enabled: true, local: true, tasks: ['ocr'], offering_count: 1, health: { state: 'closed', id: 'tesseract' } });
    expect(body.data.find((p: { id: string }) => p.id === 'openai')).toMatchObject({ enabled: false });
  });
});
