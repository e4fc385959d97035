// The dispatcher through the real app: acme/open-70b is sold by groq (cheapest), together and
// deepinfra (dearest), each a mock speaking its host's dialect; health runs on a fake clock.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fundedKey } from '../helpers/app';
import { chat, HOSTS, MODEL, startMarket, type Host, type Market, START_TIMEOUT_MS } from './market';

let market: Market;
let key: string;

beforeAll(async () => {
  market = await startMarket({ env: { UPSTREAM_TIMEOUT_MS: '1500' } });
  ({ key } = await fundedKey(market.app, '100'));
}, START_TIMEOUT_MS);

afterAll(async () => {
  await market?.close();
});

beforeEach(() => market.reset());

function calls(): Record<Host, number> {
  return Object.fromEntries(HOSTS.map((h) => [h, market.hosts[h].calls()])) as Record<Host, number>;
}

/** Upstream calls made since `before`, per host. */
function callsSince(before: Record<Host, number>): Record<Host, number> {
  const now = calls();
  return Object.fromEntries(HOSTS.map((h) => [h, now[h] - before[h]])) as Record<Host, number>;
}

async function providerHealth(id: string): Promise<any> {
  const body = (await (await fetch(`${market.app.url}/v1/providers`)).json()) as { data: { id: string; health: unknown }[] };
  return body.data.find((p) => p.id === id)!.health;
}

async function offeringHealth(provider: string): Promise<any> {
  const body = (await (await fetch(`${market.app.url}/v1/models/${MODEL}`)).json()) as { offerings: { provider: string; health: unknown }[] };
  return body.offerings.find((o) => o.provider === provider)!.health;
}

const fail503 = { kind: 'status', status: 503, message: 'overloaded, try later' } as const;

describe('choosing an offering', () => {
  it('sends the job to the cheapest offering and says who served it, at what cost, in how many attempts', async () => {
    const before = calls();
    const res = await chat(market, key, {});
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-provider')).toBe('groq');
    expect(res.headers.get('x-switchyard-model')).toBe(MODEL);
    expect(res.headers.get('x-switchyard-attempts')).toBe('1');
    // The mock reports 5 prompt and 3 completion tokens; groq sells at 1 and 2 micro-USD per token.
    expect(res.headers.get('x-switchyard-cost-usd')).toBe('0.000011');
    expect(res.body.usage.cost_usd).toBe('0.000011');
    expect(res.body.model).toBe(MODEL);
    expect(callsSince(before)).toEqual({ groq: 1, together: 0, deepinfra: 0 });
    // The host was asked for its own model id.
    expect(market.hosts.groq.mock.lastRequest!.json.model).toBe('acme-open-70b-versatile');
  });

  it('serves only from the providers in provider.only', async () => {
    const res = await chat(market, key, { provider: { only: ['deepinfra'] } });
    expect(res.headers.get('x-switchyard-provider')).toBe('deepinfra');
  });

  it('never uses a provider in provider.ignore', async () => {
    const res = await chat(market, key, { provider: { ignore: ['groq'] } });
    expect(res.headers.get('x-switchyard-provider')).toBe('together');
  });

  it('tries providers in provider.order first, then falls back to the rest by price', async () => {
    const pinned = await chat(market, key, { provider: { order: ['deepinfra', 'together'] } });
    expect(pinned.headers.get('x-switchyard-provider')).toBe('deepinfra');

    market.hosts.deepinfra.mock.failNext(fail503);
    market.hosts.together.mock.failNext(fail503);
    const fellBack = await chat(market, key, { provider: { order: ['deepinfra', 'together'] } });
    expect(fellBack.status).toBe(200);
    expect(fellBack.headers.get('x-switchyard-provider')).toBe('groq');
    expect(fellBack.headers.get('x-switchyard-attempts')).toBe('3');
  });

  it('leaves out offerings whose estimate is above provider.max_price, and says so when none is left', async () => {
    // With max_tokens 1000 the estimates are about $0.00201 (groq), $0.00302 (together), $0.00403 (deepinfra).
    const capped = await chat(market, key, { max_tokens: 1000, provider: { order: ['deepinfra'], max_price: 0.0035 } });
    expect(capped.status).toBe(200);
    expect(capped.headers.get('x-switchyard-provider')).toBe('groq');

    const noneLeft = await chat(market, key, { max_tokens: 1000, provider: { ignore: ['groq'], max_price: '0.0025' } });
    expect(noneLeft.status).toBe(422);
    expect(noneLeft.body.error.code).toBe('no_offering');
    expect(noneLeft.body.error.message).toMatch(/at most \$0\.0025.*cheapest estimate is \$0\.0030/);
  });

  it('picks the offering with the lowest median latency for sort=latency', async () => {
    market.hosts.groq.delayMs = 150;
    for (let i = 0; i < 3; i++) {
      expect((await chat(market, key, { provider: { only: ['groq'] } })).status).toBe(200);
      expect((await chat(market, key, { provider: { only: ['together'] } })).status).toBe(200);
    }
    const fastest = await chat(market, key, { provider: { sort: 'latency' } });
    expect(fastest.headers.get('x-switchyard-provider')).toBe('together');
    const cheapest = await chat(market, key, {});
    expect(cheapest.headers.get('x-switchyard-provider')).toBe('groq');
    expect((await offeringHealth('groq')).p50_latency_ms).toBeGreaterThanOrEqual(150);
  });

  it('leaves out providers that may train on data when data_collection is deny', async () => {
    const res = await chat(market, key, { provider: { ignore: ['groq'], data_collection: 'deny' } });
    expect(res.headers.get('x-switchyard-provider')).toBe('deepinfra');
  });

  it('rejects malformed routing preferences with 400 naming the field', async () => {
    const res = await chat(market, key, { provider: { sort: 'fastest' } });
    expect(res.status).toBe(400);
    expect(res.body.error.param).toBe('provider.sort');
    for (const max_price of [0.1234567, 1e-7, '-1', 'NaN', '0.0000001']) {
      const bad = await chat(market, key, { provider: { max_price } });
      expect(bad.status, String(max_price)).toBe(400);
      expect(bad.body.error.param).toBe('provider.max_price');
    }
  });
});

describe('falling back', () => {
  it('serves from the next offering in the same request when the cheapest returns 503', async () => {
    market.hosts.groq.mock.failNext(fail503);
    const before = calls();
    const res = await chat(market, key, {});
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-provider')).toBe('together');
    expect(res.headers.get('x-switchyard-attempts')).toBe('2');
    // Billed at together's price: 5 × 2 + 3 × 3 micro-USD.
    expect(res.headers.get('x-switchyard-cost-usd')).toBe('0.000019');
    expect(callsSince(before)).toEqual({ groq: 1, together: 1, deepinfra: 0 });
  });

  it("falls back when a host refuses Switchyard's own credentials, and never hands that 401 to the client", async () => {
    market.hosts.groq.mock.failNext({ kind: 'status', status: 401, message: 'Invalid API Key' });
    market.hosts.together.mock.failNext({ kind: 'status', status: 403, message: 'Your account is not active' });
    const res = await chat(market, key, {});
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-provider')).toBe('deepinfra');
    expect(res.headers.get('x-switchyard-attempts')).toBe('3');
    expect(await offeringHealth('groq')).toMatchObject({ consecutive_failures: 1, last_error: expect.stringContaining('401') });

    for (const h of HOSTS) market.hosts[h].mock.failNext({ kind: 'status', status: 403, message: 'Account suspended' });
    const allRefused = await chat(market, key, {});
    expect(allRefused.status).toBe(502);
    expect(allRefused.body.error.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([403, 403, 403]);
  });

  it('stops after the first failure when allow_fallbacks is false', async () => {
    market.hosts.groq.mock.failNext(fail503);
    const before = calls();
    const res = await chat(market, key, { provider: { allow_fallbacks: false } });
    expect(res.status).toBe(503);
    expect(res.body.error.attempts).toEqual([expect.objectContaining({ provider: 'groq', statusCode: 503 })]);
    expect(callsSince(before)).toEqual({ groq: 1, together: 0, deepinfra: 0 });
  });

  it('returns an upstream 400 as it is, without trying another offering or blaming the host', async () => {
    market.hosts.groq.mock.failNext({ kind: 'status', status: 400, message: "'temperature' : number must be at most 2" });
    const before = calls();
    const res = await chat(market, key, {});
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("'temperature' : number must be at most 2");
    expect(callsSince(before)).toEqual({ groq: 1, together: 0, deepinfra: 0 });
    const health = await offeringHealth('groq');
    expect(health.consecutive_failures).toBe(0);
    expect(health.breaker).toBe('closed');
  });

  it('answers 503 with every attempt and its reason when every offering is unavailable', async () => {
    for (const h of HOSTS) market.hosts[h].mock.failNext(fail503);
    const res = await chat(market, key, {});
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('upstream_unavailable');
    expect(res.body.error.attempts.map((a: { provider: string }) => a.provider)).toEqual(['groq', 'together', 'deepinfra']);
    for (const attempt of res.body.error.attempts) {
      expect(attempt.statusCode).toBe(503);
      expect(attempt.reason).toContain('overloaded, try later');
    }
  });

  it('answers 502 when every offering fails with a server error', async () => {
    for (const h of HOSTS) market.hosts[h].mock.failNext({ kind: 'status', status: 500, message: 'boom' });
    const res = await chat(market, key, {});
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('upstream_error');
    expect(res.body.error.attempts).toHaveLength(3);
  });

  it('answers 504 when every offering times out', async () => {
    for (const h of HOSTS) market.hosts[h].mock.failNext({ kind: 'hang' });
    const res = await chat(market, key, {});
    expect(res.status).toBe(504);
    expect(res.body.error.code).toBe('upstream_timeout');
    expect(res.body.error.attempts.map((a: { kind: string }) => a.kind)).toEqual(['timeout', 'timeout', 'timeout']);
  });

  it('falls back after a connection reset and after a malformed answer', async () => {
    market.hosts.groq.mock.failNext({ kind: 'reset' });
    market.hosts.together.mock.failNext({ kind: 'malformed' });
    const res = await chat(market, key, {});
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-provider')).toBe('deepinfra');
    expect(res.headers.get('x-switchyard-attempts')).toBe('3');
  });
});

describe('health: circuit breaker and cooldowns', () => {
  async function openGroqBreaker(): Promise<void> {
    market.hosts.groq.mock.failNext(fail503, 3);
    for (let i = 0; i < 3; i++) {
      const res = await chat(market, key, {});
      expect(res.headers.get('x-switchyard-provider')).toBe('together');
    }
  }

  it('opens the breaker after 3 failures, and the failing host receives no more traffic', async () => {
    await openGroqBreaker();
    const before = calls();
    for (let i = 0; i < 3; i++) {
      const res = await chat(market, key, {});
      expect(res.headers.get('x-switchyard-provider')).toBe('together');
      expect(res.headers.get('x-switchyard-attempts')).toBe('1');
    }
    expect(callsSince(before).groq).toBe(0);
    expect(await offeringHealth('groq')).toMatchObject({ status: 'down', breaker: 'open', consecutive_failures: 3 });
    expect(await providerHealth('groq')).toMatchObject({ status: 'down', breaker: 'open' });
    expect(await offeringHealth('together')).toMatchObject({ status: 'healthy', breaker: 'closed' });
  });

  it('lets one probe through after the cooldown and serves from the host again when it succeeds', async () => {
    await openGroqBreaker();
    market.clock.advance(29_999);
    expect((await chat(market, key, {})).headers.get('x-switchyard-provider')).toBe('together');
    market.clock.advance(1);
    const probe = await chat(market, key, {});
    expect(probe.headers.get('x-switchyard-provider')).toBe('groq');
    expect(await offeringHealth('groq')).toMatchObject({ breaker: 'closed', consecutive_failures: 0 });
    expect((await chat(market, key, {})).headers.get('x-switchyard-provider')).toBe('groq');
  });

  it('re-opens the breaker for another cooldown when the probe fails', async () => {
    await openGroqBreaker();
    market.clock.advance(30_000);
    market.hosts.groq.mock.failNext(fail503);
    const probe = await chat(market, key, {});
    expect(probe.headers.get('x-switchyard-provider')).toBe('together');
    expect(probe.headers.get('x-switchyard-attempts')).toBe('2');
    expect(await offeringHealth('groq')).toMatchObject({ status: 'down', breaker: 'open' });

    const before = calls();
    market.clock.advance(29_000);
    expect((await chat(market, key, {})).headers.get('x-switchyard-provider')).toBe('together');
    expect(callsSince(before).groq).toBe(0);
    market.clock.advance(1_000);
    expect((await chat(market, key, {})).headers.get('x-switchyard-provider')).toBe('groq');
  });

  it('a probe answered with a 400 goes back to the client and leaves the host usable', async () => {
    await openGroqBreaker();
    market.clock.advance(30_000);
    market.hosts.groq.mock.failNext({ kind: 'status', status: 400, message: 'bad request' });
    expect((await chat(market, key, {})).status).toBe(400);
    expect((await chat(market, key, {})).headers.get('x-switchyard-provider')).toBe('groq');
    expect(await providerHealth('groq')).toMatchObject({ breaker: 'closed' });
  });

  it('puts a host that answered 429 with Retry-After in cooldown for exactly that long', async () => {
    market.hosts.groq.mock.failNext({ kind: 'status', status: 429, message: 'Rate limit reached', headers: { 'retry-after': '20' } });
    const first = await chat(market, key, {});
    expect(first.headers.get('x-switchyard-provider')).toBe('together');
    const health = await offeringHealth('groq');
    expect(health.status).toBe('cooldown');
    expect(health.cooldown_until).toBe(new Date(market.clock.ms + 20_000).toISOString());
    // A rate limit is not a failure: the breaker stays closed.
    expect(health.breaker).toBe('closed');

    const before = calls();
    market.clock.advance(19_999);
    expect((await chat(market, key, {})).headers.get('x-switchyard-provider')).toBe('together');
    expect(callsSince(before).groq).toBe(0);
    market.clock.advance(1);
    expect((await chat(market, key, {})).headers.get('x-switchyard-provider')).toBe('groq');
  });

  it('counts timeouts as failures', async () => {
    market.hosts.groq.mock.failNext({ kind: 'hang' });
    const res = await chat(market, key, {});
    expect(res.headers.get('x-switchyard-provider')).toBe('together');
    expect(await offeringHealth('groq')).toMatchObject({ consecutive_failures: 1, status: 'degraded' });
  });

  it('shows each provider and offering with its health in the catalog', async () => {
    await chat(market, key, {});
    const providers = (await (await fetch(`${market.app.url}/v1/providers`)).json()) as { data: { id: string; enabled: boolean; health: any }[] };
    const groq = providers.data.find((p) => p.id === 'groq')!;
    expect(groq.enabled).toBe(true);
    expect(groq.health).toMatchObject({ status: 'healthy', breaker: 'closed', calls: 1 });
    const model = (await (await fetch(`${market.app.url}/v1/models/${MODEL}`)).json()) as { offerings: { provider: string; enabled: boolean; health: any }[] };
    expect(model.offerings.map((o) => o.provider).sort()).toEqual(['deepinfra', 'groq', 'together']);
    expect(model.offerings.find((o) => o.provider === 'groq')!.health).toMatchObject({ status: 'healthy', calls: 1 });
    expect(model.offerings.find((o) => o.provider === 'deepinfra')!.health).toMatchObject({ status: 'unknown', calls: 0 });
  });
});

describe('jobs no offering can serve', () => {
  it('answers 422 naming the context window when the prompt is larger than every offering takes', async () => {
    const before = calls();
    const res = await chat(market, key, { messages: [{ role: 'user', content: 'lorem ipsum dolor '.repeat(12_000) }] });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('no_offering');
    expect(res.body.error.message).toMatch(/token prompt \(context 32768\)/);
    expect(callsSince(before)).toEqual({ groq: 0, together: 0, deepinfra: 0 });
  });

  it('routes a prompt too long for the cheapest offering to the next one whose window fits', async () => {
    // About 10k tokens: over groq's 8,192 context, within the others' 32,768.
    const res = await chat(market, key, { max_tokens: 10, messages: [{ role: 'user', content: 'lorem ipsum dolor '.repeat(3_400) }] });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-provider')).toBe('together');
  });

  it('serves a long prompt that fits the window, judged by its real size rather than a crude bound', async () => {
    // About 25k o200k tokens in 120k characters of prose: bytes / 3 would have said 40k, over 32,768.
    const words = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'lazy', 'dog', 'while', 'seven', 'tall', 'trees', 'grow'];
    const prose = Array.from({ length: 24_000 }, (_, i) => words[(i * 7) % words.length]).join(' ');
    const res = await chat(market, key, { max_tokens: 10, messages: [{ role: 'user', content: prose }] });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-provider')).toBe('together');
  });

  it('answers 422 when no offering of the model has a feature the job asks for', async () => {
    const res = await chat(market, key, {
      model: 'acme/flat-8b',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }],
    });
    expect(res.status).toBe(422);
    expect(res.body.error.message).toContain('no offering supports tools');
  });

  it('answers 404 for a model that is not in the catalog', async () => {
    const res = await chat(market, key, { model: 'acme/nope' });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('model_not_found');
  });
});
