// Fuzzing the job endpoints' JSON bodies (chat, speech, translations, moderations, OCR's JSON form)
// with cases generated from the zod schemas the routes validate with: every answer a 2xx or a clean
// 4xx, the server still serving, and every job billed exactly as it was answered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fundedKey } from '../helpers/app';
import { expectBooksBalanced } from '../faults/books';
import { CASES, fuzz, routeSchema, SEED, startFuzzApp, tally, type FuzzApp, type FuzzOutcome } from './harness';
import { Fuzzer, jsonSchemaOf, prng, type Json } from './generate';

let fuzzApp: FuzzApp;
let account: { key: string; accountId: string };
const jobs: FuzzOutcome[] = [];

beforeAll(async () => {
  fuzzApp = await startFuzzApp();
  account = await fundedKey(fuzzApp.app, '1000');
}, 180_000);

afterAll(async () => {
  await fuzzApp?.close();
});

const ENDPOINTS: { path: string; base: () => Record<string, Json> }[] = [
  { path: '/v1/chat/completions', base: () => ({ model: 'auto', messages: [{ role: 'user', content: 'hello there' }], max_tokens: 16 }) },
  { path: '/v1/audio/speech', base: () => ({ model: 'tts-1', input: 'hello there', voice: 'alloy' }) },
  { path: '/v1/translations', base: () => ({ text: ['Hello', 'world'], target_lang: 'de', source_lang: 'en' }) },
  { path: '/v1/moderations', base: () => ({ model: 'omni-moderation-latest', input: ['hello', 'there'] }) },
  { path: '/v1/ocr', base: () => ({ image_url: fuzzApp.imageUrl, language: ['en'] }) },
];

describe('job endpoints under fuzz', () => {
  it.each(ENDPOINTS.map((e, i) => [e.path, i] as const))(`POST %s: ${CASES} cases, only 2xx or clean 4xx`, async (path, index) => {
    const endpoint = ENDPOINTS[index]!;
    const schema = jsonSchemaOf(routeSchema('post', path, 'json'));
    const f = new Fuzzer(prng(SEED + index));
    const outcomes = await fuzz(fuzzApp.url, CASES, (i) => ({
      method: 'POST',
      path,
      token: account.key,
      // A few cases are not JSON at all.
      body: i % 97 === 5 ? '{"model": "auto", "messages": [' : JSON.stringify(f.body(schema, endpoint.base())),
    }));
    jobs.push(...outcomes);
    // The valid base itself must still succeed afterwards.
    const good = await fetch(`${fuzzApp.app.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${account.key}` },
      body: JSON.stringify(endpoint.base()),
    });
    expect(good.status, await good.clone().text()).toBe(200);
    jobs.push({ status: good.status, requestId: good.headers.get('x-request-id'), label: 'base' });
    await good.arrayBuffer();
    console.info(`${path}: ${tally(outcomes)}`);
  }, 180_000);

  it('billed exactly the jobs that succeeded, once each, and left no hold', async () => {
    const records = jobs.filter((j) => j.requestId).map((j) => ({ requestId: j.requestId!, status: j.status }));
    const books = await expectBooksBalanced(fuzzApp.app.database.db, account.accountId, records);
    expect(books.events.size).toBe(jobs.filter((j) => j.status === 200).length);
  });
});
