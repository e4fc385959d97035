import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app';

describe('GET /openapi.json and /docs', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('describes every job endpoint with its request schema, generated from the route schemas', async () => {
    const res = await fetch(`${app.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, any>> };
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of ['/v1/chat/completions', '/v1/ocr', '/v1/audio/transcriptions', '/v1/audio/speech', '/v1/translations', '/v1/moderations']) {
      expect(doc.paths[path]?.post?.requestBody, path).toBeDefined();
    }
    const chat = doc.paths['/v1/chat/completions']!.post.requestBody.content['application/json'].schema;
    expect(chat.required).toContain('messages');
    expect(chat.properties.provider.properties.sort.enum).toEqual(['price', 'latency', 'throughput']);
    const speech = doc.paths['/v1/audio/speech']!.post.requestBody.content['application/json'].schema;
    expect(speech.properties.response_format.enum).toContain('opus');
    expect(doc.paths['/v1/models']!.get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['task', 'provider', 'q', 'sort', 'limit', 'cursor']));
  });

  it('renders a docs page without scripts', async () => {
    const res = await fetch(`${app.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('/v1/chat/completions');
    expect(html).not.toContain('<script');
  });
});
