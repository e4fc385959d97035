// A small market for dispatch and billing tests: the real app over HTTP with the fixture catalog
// (acme/open-70b sold by groq < together < deepinfra by price), one mock per host speaking that
// host's OpenAI dialect, and a HealthTracker on a fake clock so breaker cooldowns need no sleeps.
import type http from 'node:http';
import { loadCatalog } from '../../src/catalog/load';
import type { Catalog } from '../../src/catalog/catalog';
import { HealthTracker, type HealthOptions } from '../../src/dispatch/health';
import type { AppParts } from '../../src/app';
import { startTestApp, type TestApp } from '../helpers/app';
import { MockUpstream, type Route } from '../helpers/mock-upstream';
import { chatCompletionsRoute } from '../mocks/openai/chat';
import { HOST_DIALECTS, hostBaseUrl, hostTestKey } from '../mocks/openai-compatible';

export const HOSTS = ['groq', 'together', 'deepinfra'] as const;
export type Host = (typeof HOSTS)[number];

/** Starting the app (database, migrations, providers) can take a while on a busy machine. */
export const START_TIMEOUT_MS = 180_000;

export const MODEL = 'acme/open-70b';
export const FLAT_MODEL = 'acme/flat-8b';

/** Micro-USD per token of acme/open-70b at each host (the fixture's prices: $1/$2, $2/$3, $3/$4 per 1M). */
export const PRICE_MICROS: Record<Host, { input: number; output: number }> = {
  groq: { input: 1, output: 2 },
  together: { input: 2, output: 3 },
  deepinfra: { input: 3, output: 4 },
};

export class FakeClock {
  constructor(public ms = Date.UTC(2026, 10, 1)) {}
  now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A host's mock with knobs: answer after `delayMs`, or write each stream event `paceMs` apart. */
export interface HostMock {
  mock: MockUpstream;
  delayMs: number;
  paceMs: number;
  /** Responses the gateway closed before they were finished (a client that left cuts its upstream). */
  abandoned: number;
  /** Chat completion calls received so far. */
  calls(): number;
}

export interface Market {
  app: TestApp;
  hosts: Record<Host, HostMock>;
  clock: FakeClock;
  health: HealthTracker;
  /** Fresh health on a fresh clock, no queued faults, no delays: each test starts from a calm market. */
  reset(): void;
  close(): Promise<void>;
}

let fixture: Promise<Catalog> | null = null;
export function dispatchCatalog(): Promise<Catalog> {
  return (fixture ??= loadCatalog('test/fixtures/dispatch'));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startHost(host: Host): Promise<HostMock> {
  const dialect = HOST_DIALECTS[host];
  const chat = chatCompletionsRoute(dialect);
  const state: HostMock = {
    mock: undefined as unknown as MockUpstream,
    delayMs: 0,
    paceMs: 0,
    abandoned: 0,
    calls: () => state.mock.requests.filter((r) => r.path.endsWith('/chat/completions')).length,
  };
  const route: Route = {
    method: chat.method,
    path: chat.path,
    async handle(req, res, ctx) {
      res.once('close', () => {
        if (!res.writableFinished) state.abandoned++;
      });
      if (state.delayMs) await sleep(state.delayMs);
      if (state.paceMs) pace(res, state.paceMs);
      return chat.handle(req, res, ctx);
    },
  };
  state.mock = await MockUpstream.start({
    routes: [route],
    errorBody: dialect.error,
    authorize: (req) => req.headers.authorization === `Bearer ${hostTestKey(host)}`,
  });
  return state;
}

/** Delays every write after the headers, so a stream reaches the client one event at a time. */
function pace(res: http.ServerResponse, ms: number): void {
  const write = res.write.bind(res) as (chunk: unknown) => boolean;
  const end = res.end.bind(res) as (chunk?: unknown) => void;
  let chain = Promise.resolve();
  const later = (fn: () => void) => {
    chain = chain.then(() => sleep(ms)).then(() => {
      if (!res.destroyed) fn();
    });
  };
  res.write = ((chunk: unknown) => {
    later(() => write(chunk));
    return true;
  }) as typeof res.write;
  res.end = ((chunk?: unknown) => {
    later(() => end(chunk));
    return res;
  }) as typeof res.end;
}

export async function startMarket(
  options: { env?: Record<string, string>; health?: Partial<HealthOptions>; parts?: Partial<AppParts> } = {},
): Promise<Market> {
  const clock = new FakeClock();
  const newHealth = () => new HealthTracker({ failureThreshold: 3, cooldownMs: 30_000, ...options.health }, clock.now);
  const health = newHealth();
  const entries = await Promise.all(HOSTS.map(async (h) => [h, await startHost(h)] as const));
  const hosts = Object.fromEntries(entries) as Record<Host, HostMock>;
  const env: Record<string, string> = { ...options.env };
  for (const h of HOSTS) {
    const name = h.toUpperCase();
    env[`${name}_API_KEY`] = hostTestKey(h);
    env[`${name}_BASE_URL`] = hostBaseUrl(hosts[h].mock, h);
  }
  const app = await startTestApp({ env, catalog: await dispatchCatalog(), parts: { health, ...options.parts } });
  // startTestApp builds its dispatcher before merging the injected parts; route with the same
  // tracker that /v1/providers shows, so both see one health and one clock.
  app.parts.dispatcher.options.health = health;
  const market: Market = {
    app,
    hosts,
    clock,
    health,
    reset() {
      market.health = newHealth();
      app.parts.health = market.health;
      app.parts.dispatcher.options.health = market.health;
      for (const h of HOSTS) {
        hosts[h].mock.clearFaults();
        hosts[h].delayMs = 0;
        hosts[h].paceMs = 0;
      }
    },
    close: async () => {
      await app.close();
      await Promise.all(HOSTS.map((h) => hosts[h].mock.close()));
    },
  };
  return market;
}

/** Sends a chat job and returns status, headers and the parsed body. */
export async function chat(
  market: Market,
  key: string,
  body: Record<string, unknown>,
): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(`${market.app.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hello there' }], ...body }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Streams and CSV stay text.
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** The data payloads of an SSE body, [DONE] included. */
export function sseData(text: string): string[] {
  return text
    .split(/\n\n/)
    .map((block) => block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n'))
    .filter(Boolean);
}
