// Fuzzing the admin, billing and read endpoints: admin accounts, credits, keys (create and patch),
// Stripe checkout, and the query parameters of the model list and usage reads, with cases generated
// from the zod schemas the routes use. Every answer a 2xx or a clean 4xx; the books still balance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount, createKey } from '../../src/billing/keys';
import { fundedKey, TEST_ADMIN_TOKEN } from '../helpers/app';
import { expectBooksBalanced } from '../faults/books';
import { CASES, fuzz, routeSchema, SEED, startFuzzApp, tally, type FuzzApp } from './harness';
import { Fuzzer, jsonSchemaOf, prng, queryFrom, type Json } from './generate';

let fuzzApp: FuzzApp;
let account: { key: string; keyId: string; accountId: string };
let target: { accountId: string; keyId: string };
const setupJobs: { requestId: string; status: number }[] = [];

beforeAll(async () => {
  fuzzApp = await startFuzzApp();
  account = await fundedKey(fuzzApp.app, '10');
  // The account and key that admin cases credit and patch: never the one whose usage is read.
  const other = await createAccount(fuzzApp.app.database.db, 'fuzz target');
  const key = await createKey(fuzzApp.app.database.db, { account_id: other.id, name: 'fuzz target' });
  target = { accountId: other.id, keyId: key.row.id };
  // Some usage to read back.
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${fuzzApp.app.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${account.key}` },
      body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'usage' }] }),
    });
    expect(res.status).toBe(200);
    setupJobs.push({ requestId: res.headers.get('x-request-id')!, status: res.status });
    await res.text();
  }
}, 180_000);

afterAll(async () => {
  await fuzzApp?.close();
});

interface BodyEndpoint {
  method: 'post' | 'patch';
  /** As in OPERATIONS. */
  route: string;
  path: () => string;
  token: () => string;
  base: () => Record<string, Json>;
}

const BODY_ENDPOINTS: BodyEndpoint[] = [
  { method: 'post', route: '/v1/admin/accounts', path: () => '/v1/admin/accounts', token: () => TEST_ADMIN_TOKEN, base: () => ({ name: 'fuzzed account' }) },
  {
    method: 'post',
    route: '/v1/admin/accounts/{id}/credits',
    path: () => `/v1/admin/accounts/${target.accountId}/credits`,
    token: () => TEST_ADMIN_TOKEN,
    base: () => ({ amount_usd: '1.50', reason: 'fuzz', kind: 'grant' }),
  },
  { method: 'post', route: '/v1/admin/keys', path: () => '/v1/admin/keys', token: () => TEST_ADMIN_TOKEN, base: () => ({ account_id: target.accountId, name: 'fuzzed key' }) },
  {
    method: 'patch',
    route: '/v1/admin/keys/{id}',
    path: () => `/v1/admin/keys/${target.keyId}`,
    token: () => TEST_ADMIN_TOKEN,
    base: () => ({ name: 'renamed', rate_limit_rpm: 100 }),
  },
  {
    method: 'post',
    route: '/v1/billing/checkout',
    path: () => '/v1/billing/checkout',
    token: () => account.key,
    base: () => ({ amount_usd: '5', success_url: 'https://example.test/ok', cancel_url: 'https://example.test/no' }),
  },
];

const QUERY_ENDPOINTS: { route: string; token: () => string | undefined; base: Record<string, string> }[] = [
  { route: '/v1/models', token: () => undefined, base: { task: 'chat', limit: '5' } },
  { route: '/v1/usage', token: () => account.key, base: { group_by: 'model' } },
  { route: '/v1/usage/events', token: () => account.key, base: { limit: '2' } },
];

describe('admin and billing bodies under fuzz', () => {
  it.each(BODY_ENDPOINTS.map((e, i) => [`${e.method.toUpperCase()} ${e.route}`, i] as const))(`%s: ${CASES} cases, only 2xx or clean 4xx`, async (_name, index) => {
    const endpoint = BODY_ENDPOINTS[index]!;
    const schema = jsonSchemaOf(routeSchema(endpoint.method, endpoint.route, 'json'));
    const f = new Fuzzer(prng(SEED + 100 + index));
    const outcomes = await fuzz(fuzzApp.url, CASES, () => ({
      method: endpoint.method.toUpperCase(),
      path: endpoint.path(),
      token: endpoint.token(),
      body: JSON.stringify(f.body(schema, endpoint.base())),
    }));
    // The valid base still succeeds afterwards.
    const good = await fetch(`${fuzzApp.url}${endpoint.path()}`, {
      method: endpoint.method.toUpperCase(),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${endpoint.token()}` },
      body: JSON.stringify(endpoint.base()),
    });
    expect(good.status, await good.text()).toBeLessThan(300);
    console.info(`${endpoint.method.toUpperCase()} ${endpoint.route}: ${tally(outcomes)}`);
  }, 180_000);
});

describe('query parameters under fuzz', () => {
  it.each(QUERY_ENDPOINTS.map((e, i) => [e.route, i] as const))(`GET %s: ${CASES} cases, only 2xx or clean 4xx`, async (_name, index) => {
    const endpoint = QUERY_ENDPOINTS[index]!;
    const schema = jsonSchemaOf(routeSchema('get', endpoint.route, 'query'));
    const f = new Fuzzer(prng(SEED + 200 + index));
    const outcomes = await fuzz(fuzzApp.url, CASES, () => ({
      method: 'GET',
      path: `${endpoint.route}?${queryFrom(f, schema, endpoint.base)}`,
      token: endpoint.token(),
    }));
    expect(outcomes.some((o) => o.status === 200)).toBe(true);
    console.info(`GET ${endpoint.route}: ${tally(outcomes)}`);
  }, 180_000);
});

it('leaves both accounts with balanced books and no holds', async () => {
  await expectBooksBalanced(fuzzApp.app.database.db, target.accountId, []);
  await expectBooksBalanced(fuzzApp.app.database.db, account.accountId, setupJobs);
});
