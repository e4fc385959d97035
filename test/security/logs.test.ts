// Secrets never reach the logs: a whole session — admin calls, keys created, listed, changed and
// revoked, jobs through several providers (one of which fails with an error that repeats its own API
// key), bad keys, a key in a query string, a Stripe checkout and signed webhook — run at LOG_LEVEL
// trace, then every line logged is searched for every key, token and provider secret used. The
// public catalog endpoints, which show provider health and last errors, are searched too.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postJson, startTestApp, TEST_ADMIN_TOKEN, type TestApp } from '../helpers/app';
import type { MockUpstream } from '../helpers/mock-upstream';
import { startOpenAIMock } from '../mocks/openai/index';
import { hostBaseUrl, startOpenAICompatibleMock } from '../mocks/openai-compatible';
import { signWebhook, startStripeMock, STRIPE_TEST_KEY, STRIPE_TEST_WEBHOOK_SECRET, stripeEvent, type StripeMock } from '../mocks/stripe';

const OPENAI_SECRET = 'sk-proj-LOGSCAN0openai0secret0123456789';
const GROQ_SECRET = 'gsk_LOGSCAN0groq0secret0123456789abcdef';

let app: TestApp;
let openai: MockUpstream;
let groq: MockUpstream;
let stripe: StripeMock;
/** Every secret the session handled; none may be logged. */
const secrets: string[] = [TEST_ADMIN_TOKEN, OPENAI_SECRET, GROQ_SECRET, STRIPE_TEST_KEY, STRIPE_TEST_WEBHOOK_SECRET];

beforeAll(async () => {
  [openai, groq, stripe] = await Promise.all([startOpenAIMock(OPENAI_SECRET), startOpenAICompatibleMock('groq', GROQ_SECRET), startStripeMock()]);
  app = await startTestApp({
    env: {
      LOG_LEVEL: 'trace',
      OPENAI_API_KEY: OPENAI_SECRET,
      OPENAI_BASE_URL: `${openai.url}/v1`,
      GROQ_API_KEY: GROQ_SECRET,
      GROQ_BASE_URL: hostBaseUrl(groq, 'groq'),
      STRIPE_SECRET_KEY: STRIPE_TEST_KEY,
      STRIPE_WEBHOOK_SECRET: STRIPE_TEST_WEBHOOK_SECRET,
      STRIPE_API_BASE: stripe.url,
    },
  });
}, 180_000);

afterAll(async () => {
  await app?.close();
  await Promise.all([openai?.close(), groq?.close(), stripe?.close()]);
});

async function admin(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return res.json();
}

function redactionCheck(text: string, where: string): void {
  for (const secret of secrets) {
    expect(text.includes(secret), `${where} contains ${secret.slice(0, 10)}…`).toBe(false);
  }
}

it('logs no key, token or provider secret during a full session', async () => {
  // Admin: an account, credit, keys shown once, listed, read, changed, one revoked.
  const account = await admin('POST', '/v1/admin/accounts', { name: 'log scan' });
  await admin('POST', `/v1/admin/accounts/${account.id}/credits`, { amount_usd: '10', reason: 'scan' });
  const first = await admin('POST', '/v1/admin/keys', { account_id: account.id, name: 'first' });
  const second = await admin('POST', '/v1/admin/keys', { account_id: account.id, name: 'second' });
  for (const created of [first, second]) {
    secrets.push(created.key, created.key.slice(created.prefix.length));
  }
  await admin('GET', '/v1/admin/keys');
  await admin('GET', `/v1/admin/keys/${first.id}`);
  await admin('PATCH', `/v1/admin/keys/${first.id}`, { name: 'renamed' });
  await admin('DELETE', `/v1/admin/keys/${second.id}`);

  // Jobs through OpenAI and Groq, buffered and streamed, plus moderation and speech.
  const key = first.key as string;
  const chatBody = (only: string, extra: Record<string, unknown> = {}) => ({ model: 'auto', messages: [{ role: 'user', content: 'hello' }], provider: { only: [only] }, ...extra });
  for (const body of [chatBody('openai'), chatBody('groq'), chatBody('groq', { stream: true }), chatBody('openai', { stream: true })]) {
    const res = await postJson(app, '/v1/chat/completions', body, key);
    expect(res.status, await res.clone().text()).toBe(200);
    await res.text();
  }
  expect((await postJson(app, '/v1/moderations', { model: 'omni-moderation-latest', input: 'hello' }, key)).status).toBe(200);
  const speech = await postJson(app, '/v1/audio/speech', { model: 'tts-1', input: 'hello', voice: 'alloy' }, key);
  expect(speech.status).toBe(200);
  await speech.arrayBuffer();

  // A provider that refuses its key and repeats it in the error (some do), then answers again.
  groq.failNext({ kind: 'status', status: 401, message: `Invalid API Key: ${GROQ_SECRET}` });
  const refused = await postJson(app, '/v1/chat/completions', chatBody('groq'), key);
  redactionCheck(await refused.text(), 'the error sent to the client');
  groq.failNext({ kind: 'status', status: 500, message: `internal error for key ${GROQ_SECRET}` }, 3);
  for (let i = 0; i < 3; i++) redactionCheck(await (await postJson(app, '/v1/chat/completions', chatBody('groq'), key)).text(), 'a 502 sent to the client');
  groq.failNext({ kind: 'cut', afterEvents: 1 });
  redactionCheck(await (await postJson(app, '/v1/chat/completions', chatBody('groq', { stream: true }), key)).text(), 'a cut stream');

  // Bad and misplaced credentials.
  for (const wrong of [second.key, `${first.key}x`, TEST_ADMIN_TOKEN]) {
    const res = await fetch(`${app.url}/v1/balance`, { headers: { authorization: `Bearer ${wrong}` } });
    expect(res.status).toBe(401);
  }
  expect((await fetch(`${app.url}/v1/admin/keys`, { headers: { authorization: `Bearer ${first.key}` } })).status).toBe(403);
  await fetch(`${app.url}/v1/models?api_key=${first.key}&token=${TEST_ADMIN_TOKEN}`);
  await fetch(`${app.url}/v1/balance`, { headers: { authorization: `Bearer ${first.key}`, 'x-api-key': first.key, cookie: `session=${first.key}` } });

  // Stripe: a checkout session and its signed webhook.
  const checkout = await postJson(app, '/v1/billing/checkout', { amount_usd: '5', success_url: 'https://example.test/ok', cancel_url: 'https://example.test/no' }, key);
  expect(checkout.status).toBe(200);
  const session = (await checkout.json()) as { id: string };
  const payload = JSON.stringify(stripeEvent('checkout.session.completed', stripe.paidSession(session.id)));
  const signature = signWebhook(payload);
  secrets.push(signature.split('v1=')[1]!);
  const hook = await fetch(`${app.url}/v1/billing/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, body: payload });
  expect(hook.status).toBe(200);

  // The session was logged (so the scan means something), and no secret is in it.
  const text = app.log.text();
  expect(app.log.lines.length).toBeGreaterThan(20);
  expect(text).toContain('/v1/chat/completions');
  redactionCheck(text, 'the log');

  // Provider health, with its last error, is public: no secret there either.
  for (const path of ['/v1/providers', '/v1/models?provider=groq', '/metrics']) {
    redactionCheck(await (await fetch(`${app.url}${path}`)).text(), path);
  }
});
