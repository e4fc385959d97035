// Streamed chat jobs: fallback is allowed only before the first byte reaches the client; a stream cut
// later ends with an error event, and only what was delivered is billed.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { estimateTextTokens } from '../../src/dispatch/tokens';
import { fundedKey, settledDb } from '../helpers/app';
import { chat, MODEL, sseData, startMarket, type Market, START_TIMEOUT_MS } from './market';

let market: Market;

beforeAll(async () => {
  market = await startMarket();
}, START_TIMEOUT_MS);

afterAll(async () => {
  await market?.close();
});

beforeEach(() => market.reset());

const STREAM = { stream: true, stream_options: { include_usage: true } };
/** estimatePromptTokens of one user message "hello there": 3 + 4 + 3 tokens. */
const PROMPT_TOKENS = 10;

async function events(accountId: string) {
  return (await settledDb(market.app)).selectFrom('usage_events').selectAll().where('account_id', '=', accountId).execute();
}

async function balance(accountId: string) {
  return (await settledDb(market.app)).selectFrom('accounts').select(['balance_micros', 'held_micros']).where('id', '=', accountId).executeTakeFirstOrThrow();
}

function parsed(text: string): any[] {
  return sseData(text).filter((d) => d !== '[DONE]').map((d) => JSON.parse(d));
}

describe('streamed chat', () => {
  it('streams chunks, then a usage chunk with the cost, then [DONE]', async () => {
    const { key, accountId } = await fundedKey(market.app, '1');
    const res = await chat(market, key, STREAM);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get('x-switchyard-provider')).toBe('groq');
    const data = sseData(res.body);
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = parsed(res.body);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('echo: hello there');
    expect(chunks.every((c) => c.model === MODEL)).toBe(true);
    const usage = chunks.at(-1);
    expect(usage.choices).toEqual([]);
    // The host reported 5 prompt and 3 completion tokens: 5 × 1 + 3 × 2 micro-USD at groq.
    expect(usage.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 3, total_tokens: 8, cost_usd: '0.000011' });
    const [event] = await events(accountId);
    expect(event).toMatchObject({ status: 'succeeded', provider: 'groq', cost_micros: 11 });
  });

  it('falls back to the next offering when the stream is cut before its first byte', async () => {
    market.hosts.groq.mock.failNext({ kind: 'cut', afterEvents: 0 });
    const { key } = await fundedKey(market.app, '1');
    const res = await chat(market, key, STREAM);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-provider')).toBe('together');
    expect(res.headers.get('x-switchyard-attempts')).toBe('2');
    const chunks = parsed(res.body);
    expect(chunks.some((c) => c.error)).toBe(false);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('echo: hello there');
  });

  it('ends a stream cut after its first byte with an error event and bills only what was delivered', async () => {
    market.hosts.groq.mock.failNext({ kind: 'cut', afterEvents: 2 });
    const { key, accountId } = await fundedKey(market.app, '1');
    const togetherBefore = market.hosts.together.calls();
    const res = await chat(market, key, STREAM);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-provider')).toBe('groq');
    expect(market.hosts.together.calls()).toBe(togetherBefore);
    const chunks = parsed(res.body);
    const delivered = chunks.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
    expect(delivered).toBe('echo:');
    const error = chunks.find((c) => c.error);
    expect(error.error.message).toMatch(/^The stream failed after it began: /);
    expect(sseData(res.body).at(-1)).toBe('[DONE]');

    // Billed: the prompt as estimated, and the delivered text as output, at groq's 1 and 2 micro-USD.
    const expected = PROMPT_TOKENS * 1 + (await estimateTextTokens(delivered)) * 2;
    expect(chunks.at(-1).usage.cost_usd).toBe(`0.${String(expected).padStart(6, '0')}`);
    const [event] = await events(accountId);
    expect(event).toMatchObject({ status: 'partial', cost_micros: expected });
    expect(await balance(accountId)).toEqual({ balance_micros: 1_000_000 - expected, held_micros: 0 });
  });

  it('bills delivered tool-call arguments when a streamed tool call is cut', async () => {
    market.hosts.groq.mock.failNext({ kind: 'cut', afterEvents: 2 });
    const { key, accountId } = await fundedKey(market.app, '1');
    const res = await chat(market, key, {
      ...STREAM,
      messages: [{ role: 'user', content: 'please call lookup_weather for Lisbon' }],
      tools: [{ type: 'function', function: { name: 'lookup_weather', parameters: { type: 'object', properties: { text: { type: 'string' } } } } }],
    });
    const chunks = parsed(res.body);
    const calls = chunks.flatMap((c) => c.choices?.[0]?.delta?.tool_calls ?? []);
    const deliveredText = calls.map((t: any) => (t.function?.name ?? '') + (t.function?.arguments ?? '')).join('');
    expect(deliveredText.startsWith('lookup_weather')).toBe(true);
    const [event] = await events(accountId);
    expect(event!.status).toBe('partial');
    expect(event!.units.output_tokens).toBe(await estimateTextTokens(deliveredText));
  });

  it('bills a client that disconnects mid-stream for what was delivered, and releases the hold', async () => {
    market.hosts.groq.paceMs = 150;
    const abandonedBefore = market.hosts.groq.abandoned;
    const { key, accountId } = await fundedKey(market.app, '1');
    const controller = new AbortController();
    const response = await fetch(`${market.app.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'one two three four five six seven eight nine ten' }], ...STREAM }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    let received = '';
    while (sseData(received).length < 2) received += new TextDecoder().decode((await reader.read()).value);
    controller.abort();

    let settled = await events(accountId);
    for (let i = 0; i < 100 && !settled.length; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      settled = await events(accountId);
    }
    expect(settled).toHaveLength(1);
    const event = settled[0]!;
    expect(event.status).toBe('partial');
    // The whole answer is 11 words; the client left after about two of them.
    expect(event.units.output_tokens).toBeGreaterThanOrEqual(1);
    expect(event.units.output_tokens).toBeLessThan(11);
    expect(event.cost_micros).toBe(event.units.input_tokens! * 1 + event.units.output_tokens! * 2);
    expect(await balance(accountId)).toEqual({ balance_micros: 1_000_000 - event.cost_micros, held_micros: 0 });
    // The host did nothing wrong: its health stays clean.
    expect(market.health.offeringView('groq:acme/open-70b')).toMatchObject({ consecutive_failures: 0, last_error: null });
    // And its stream was cut, not read to the end for nobody.
    expect(market.hosts.groq.abandoned).toBe(abandonedBefore + 1);
  });

  it('releases the hold and charges nothing when every offering fails before the stream starts', async () => {
    for (const h of ['groq', 'together', 'deepinfra'] as const) market.hosts[h].mock.failNext({ kind: 'status', status: 503, message: 'busy' });
    const { key, accountId } = await fundedKey(market.app, '1');
    const res = await chat(market, key, STREAM);
    expect(res.status).toBe(503);
    expect(res.body.error.attempts).toHaveLength(3);
    expect(await events(accountId)).toHaveLength(0);
    expect(await balance(accountId)).toEqual({ balance_micros: 1_000_000, held_micros: 0 });
  });
});
