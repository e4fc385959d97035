// SIGTERM in the middle of load: the real gateway process (`node --import tsx src/main.ts`) serves
// concurrent chat jobs against a slow mock provider; SIGTERM lands while jobs are in flight. The
// process must drain and exit 0, and afterwards the database must account for every job that got an
// answer: each 200 billed once at its stated cost, nothing else billed, no hold left, none half-billed.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Agent } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/connect';
import { MockUpstream, type Route } from '../helpers/mock-upstream';
import { MODEL } from '../dispatch/market';
import { chatCompletionsRoute } from '../mocks/openai/chat';
import { HOST_DIALECTS, hostBaseUrl, hostTestKey } from '../mocks/openai-compatible';
import { expectBooksBalanced } from './books';
import { sendChat, type ChatResult } from './client';

const ADMIN = 'sigterm-test-admin-token-0123456789';
const WORKERS = 16;

let groq: MockUpstream;
const dataDir = mkdtempSync(path.join(tmpdir(), 'switchyard-sigterm-'));
const schema = `t_sigterm_${Math.random().toString(36).slice(2, 10)}`;

beforeAll(async () => {
  const chat = chatCompletionsRoute(HOST_DIALECTS.groq);
  // Each answer takes a while, so SIGTERM always finds jobs in flight.
  const slow: Route = { ...chat, handle: async (req, res, ctx) => (await new Promise((r) => setTimeout(r, 150)), chat.handle(req, res, ctx)) };
  groq = await MockUpstream.start({ routes: [slow], errorBody: HOST_DIALECTS.groq.error });
  if (process.env.DATABASE_URL) {
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    await client.query(`create schema ${schema}`);
    await client.end();
  }
});

afterAll(async () => {
  await groq?.close();
  rmSync(dataDir, { recursive: true, force: true });
  if (process.env.DATABASE_URL) {
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  }
});

/** The gateway's database: its own schema on PostgreSQL (search_path in the URL), else a PGlite folder. */
function databaseEnv(): Record<string, string> {
  const url = process.env.DATABASE_URL;
  if (!url) return { DATA_DIR: dataDir };
  const withSchema = new URL(url);
  withSchema.searchParams.set('options', `-c search_path=${schema}`);
  return { DATABASE_URL: withSchema.toString() };
}

function openGatewayDatabase(): Promise<DatabaseHandle> {
  const url = process.env.DATABASE_URL;
  return url ? openDatabase({ url, schema }) : openDatabase({ dataDir });
}

interface Gateway {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

function startGateway(env: Record<string, string>): Promise<Gateway> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"port":(\d+)/.exec(output);
      if (match) resolve({ child, port: Number(match[1]), output: () => output, exited });
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    exited.then((code) => reject(new Error(`gateway exited with ${code}: ${output}`)));
  });
}

async function waitReady(base: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ready = await fetch(`${base}/readyz`).then((r) => r.status === 200, () => false);
    if (ready) return;
    if (Date.now() > deadline) throw new Error('gateway never became ready');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function admin(base: string, route: string, body: unknown): Promise<any> {
  const res = await fetch(`${base}${route}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return res.json();
}

it('drains in-flight jobs on SIGTERM and leaves every answered job accounted for in the database', async () => {
  const gateway = await startGateway({
    ...databaseEnv(),
    ADMIN_TOKEN: ADMIN,
    CATALOG_DIR: 'test/fixtures/dispatch',
    GROQ_API_KEY: hostTestKey('groq'),
    GROQ_BASE_URL: hostBaseUrl(groq, 'groq'),
    SHUTDOWN_TIMEOUT_MS: '20000',
  });
  const base = `http://127.0.0.1:${gateway.port}`;
  await waitReady(base);
  const account = await admin(base, '/v1/admin/accounts', { name: 'sigterm' });
  await admin(base, `/v1/admin/accounts/${account.id}/credits`, { amount_usd: '5', reason: 'test' });
  const { key } = await admin(base, '/v1/admin/keys', { account_id: account.id, name: 'load' });

  const agent = new Agent({ connections: WORKERS });
  const jobs: ChatResult[] = [];
  let signalled = false;
  const worker = async () => {
    // Each worker keeps sending until the gateway stops answering it.
    for (let i = 0; i < 200; i++) {
      const result = await sendChat(base, key, { model: MODEL, messages: [{ role: 'user', content: 'hello there' }] }, { dispatcher: agent });
      jobs.push(result);
      if (result.status === null && signalled) return;
    }
  };
  const workers = Array.from({ length: WORKERS }, worker);
  // SIGTERM once the load is well under way, with every worker's job in flight at the mock.
  while (jobs.filter((j) => j.status === 200).length < 2 * WORKERS) await new Promise((r) => setTimeout(r, 20));
  signalled = true;
  const signalledAt = Date.now();
  gateway.child.kill('SIGTERM');
  const inFlightAtSignal = groq.requests.length;
  await Promise.all(workers);
  expect(await gateway.exited).toBe(0);
  // Drained, not cut off by SHUTDOWN_TIMEOUT_MS (20 s): keep-alive clients were told to close.
  const drainMs = Date.now() - signalledAt;
  expect(drainMs).toBeLessThan(15_000);
  await agent.close();

  const answered = jobs.filter((j) => j.status !== null);
  const succeeded = jobs.filter((j) => j.status === 200);
  // Every job in flight at the signal was drained to an answer, not cut off.
  expect(succeeded.length).toBeGreaterThanOrEqual(2 * WORKERS);
  for (const job of answered) expect([200, 503], `status ${job.status}`).toContain(job.status);
  expect(inFlightAtSignal).toBeGreaterThan(0);

  const database = await openGatewayDatabase();
  try {
    const books = await expectBooksBalanced(database.db, account.id, jobs);
    expect(books.events.size).toBe(succeeded.length);
  } finally {
    await database.close();
  }
  console.info(`SIGTERM under load: ${jobs.length} jobs sent, ${succeeded.length} succeeded, ${jobs.length - answered.length} refused after the signal, exit ${drainMs} ms after it`);
}, 240_000);
