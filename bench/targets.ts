// The servers under test, each in its own process on 127.0.0.1: the mock upstream, Switchyard as
// users run it (`npm start`: the bundle in dist/ from `npm run build`, with auth, routing, metering and billing on, with a funded key made through
// the admin API), and the Portkey AI gateway from its npm package.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { MOCK_API_KEY } from './fixtures';
import { freePort, startChild, waitForHttp, type Child } from './processes';
import { startCommand } from './start-command';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
const TSX = ['--import', 'tsx'];

/** Only what a server needs: no provider keys or database of the caller's shell leak in. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = { NODE_ENV: 'production' };
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG']) if (process.env[name]) env[name] = process.env[name]!;
  return env;
}

export interface Mock {
  child: Child;
  /** Base URL (ending in /v1) of the mock with each think time. */
  urls: Record<number, string>;
}

export async function startMock(thinkTimes: number[], logDir: string): Promise<Mock> {
  const child = startChild({ name: 'mock', nodeArgs: TSX, script: path.join(ROOT, 'bench/mock-openai.ts'), args: thinkTimes.map(String), env: baseEnv(), logFile: path.join(logDir, 'mock.log') });
  const { ports } = (await child.ready) as { ports: number[] };
  return { child, urls: Object.fromEntries(thinkTimes.map((t, i) => [t, `http://127.0.0.1:${ports[i]}/v1`])) };
}

export interface Gateway {
  child: Child;
  url: string;
  /** The funded API key. */
  key: string;
  accountId: string;
  database: DatabaseTarget;
}

export type DatabaseTarget = { engine: 'pglite'; dataDir: string } | { engine: 'postgres'; url: string; schema: string };

/** A database for one gateway run: a fresh PGlite folder, or a fresh schema on the PostgreSQL server. */
export async function freshDatabase(engine: 'pglite' | 'postgres', workDir: string, label: string): Promise<DatabaseTarget> {
  if (engine === 'pglite') {
    const dataDir = path.join(workDir, `data-${label}`);
    mkdirSync(dataDir, { recursive: true });
    return { engine, dataDir };
  }
  const url = process.env.DATABASE_URL!;
  const schema = `bench_${label.replace(/[^a-z0-9]/g, '_')}_${process.pid}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade; create schema ${schema}`);
  await client.end();
  return { engine, url, schema };
}

export async function dropDatabase(target: DatabaseTarget): Promise<void> {
  if (target.engine !== 'postgres') return;
  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  await client.query(`drop schema if exists ${target.schema} cascade`);
  await client.end();
}

/** The server's connection string, with the schema as its search path (libpq `options`). */
export function schemaUrl(target: Extract<DatabaseTarget, { engine: 'postgres' }>): string {
  const url = new URL(target.url);
  url.searchParams.set('options', `-c search_path=${target.schema}`);
  return url.toString();
}

/** `npm run build`, once before the gateways start: they run dist/main.js as `npm start` does. */
export function buildGateway(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
}

export async function startGateway(options: { upstream: string; database: DatabaseTarget; logFile: string; cpuProfDir?: string }): Promise<Gateway> {
  const port = await freePort();
  const env: Record<string, string> = {
    ...baseEnv(),
    PORT: String(port),
    HOST: '127.0.0.1',
    CATALOG_DIR: path.join(ROOT, 'catalog'),
    ADMIN_TOKEN,
    OPENAI_API_KEY: MOCK_API_KEY,
    OPENAI_BASE_URL: options.upstream,
    LOG_LEVEL: 'info',
  };
  if (options.database.engine === 'pglite') env.DATA_DIR = options.database.dataDir;
  else env.DATABASE_URL = schemaUrl(options.database);
  const profile = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [];
  const start = startCommand(ROOT);
  const child = startChild({ name: 'switchyard', nodeArgs: [...profile, ...start.flags], script: path.join(ROOT, start.script), env: { ...start.env, ...env }, logFile: options.logFile, cwd: ROOT });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/readyz`, child);
    const { key, accountId } = await fundedKey(url);
    return { child, url, key, accountId, database: options.database };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

async function admin<T>(url: string, route: string, body: unknown): Promise<T> {
  const response = await fetch(`${url}/v1/admin${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST /v1/admin${route} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** An account with enough credit for every request of the run, and a key for it: what a customer has. */
async function fundedKey(url: string): Promise<{ key: string; accountId: string }> {
  const account = await admin<{ id: string }>(url, '/accounts', { name: 'bench' });
  await admin(url, `/accounts/${account.id}/credits`, { amount_usd: '100000', kind: 'grant', reason: 'benchmark credit' });
  const { key } = await admin<{ key: string }>(url, '/keys', { account_id: account.id, name: 'bench key' });
  return { key, accountId: account.id };
}

/** The forward-only proxy (bench/bare-proxy.ts) in front of `upstream`: the floor under any gateway. */
export async function startBareProxy(upstream: string, logFile: string): Promise<{ child: Child; url: string }> {
  const child = startChild({ name: 'bare-proxy', nodeArgs: TSX, script: path.join(ROOT, 'bench/bare-proxy.ts'), args: [upstream], env: baseEnv(), logFile });
  const { port } = (await child.ready) as { port: number };
  return { child, url: `http://127.0.0.1:${port}` };
}

export interface Portkey {
  child: Child;
  url: string;
}

/** Portkey's own start script (its npm bin), bound to 127.0.0.1 by a preload since it has no host option. */
export async function startPortkey(logFile: string): Promise<Portkey> {
  const port = await freePort();
  const manifest = createRequire(import.meta.url).resolve('@portkey-ai/gateway/package.json');
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: string };
  const script = path.join(path.dirname(manifest), bin);
  const child = startChild({
    name: 'portkey',
    nodeArgs: ['--import', path.join(ROOT, 'bench/loopback-only.mjs')],
    script,
    args: [`--port=${port}`, '--headless'],
    env: baseEnv(),
    logFile,
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(url, child);
    return { child, url };
  } catch (error) {
    await child.stop();
    throw error;
  }
}
