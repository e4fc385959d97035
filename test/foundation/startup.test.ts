// The gateway as `npm start` runs it (built with `npm run build`, run from dist/): a real process, its
// own data folder, signals.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCommand } from '../../bench/start-command';

const ADMIN = 'startup-test-admin-token-0123456789';
/** What `npm start` runs once `npm run build` has written dist/: its last command. */
const GATEWAY = startCommand();
const GATEWAY_ARGS = [...GATEWAY.flags, GATEWAY.script];

interface Gateway {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

function startGateway(env: Record<string, string>): Promise<Gateway> {
  const child = spawn(process.execPath, GATEWAY_ARGS, {
    env: { ...GATEWAY.env, PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"port":(\d+)/.exec(output);
      if (match) resolve({ child, port: Number(match[1]), output: () => output, exited });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    exited.then((code) => reject(new Error(`gateway exited with ${code}: ${output}`)));
  });
}

async function waitFor(url: string, predicate: (res: Response) => boolean, timeoutMs: number): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (predicate(res)) return res;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${url}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the gateway process', () => {
  beforeAll(() => {
    execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'switchyard-start-'));
  const dbEnv: Record<string, string> = process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : { DATA_DIR: dataDir };
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('stops at once with one line naming a bad variable', async () => {
    const child = spawn(process.execPath, GATEWAY_ARGS, { env: { ...GATEWAY.env, PATH: process.env.PATH, PORT: 'abc' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('PORT="abc"');
  });

  it('answers /healthz soon after start, keeps its data across a restart, and drains in-flight requests on SIGTERM', async () => {
    const started = Date.now();
    const first = await startGateway({ ...dbEnv, ADMIN_TOKEN: ADMIN });
    const health = await waitFor(`http://127.0.0.1:${first.port}/healthz`, (r) => r.status === 200, 30_000);
    expect(await health.json()).toHaveProperty('status');
    const healthAfterMs = Date.now() - started;
    await waitFor(`http://127.0.0.1:${first.port}/readyz`, (r) => r.status === 200, 120_000);

    const created = await fetch(`http://127.0.0.1:${first.port}/v1/admin/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'survives restarts' }),
    });
    expect(created.status).toBe(201);
    const account = (await created.json()) as { id: string };

    // A request whose body is still arriving when SIGTERM lands must still get its answer.
    const inFlight = new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: first.port, method: 'POST', path: '/v1/admin/accounts', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.write('{"name": "in flight');
      setTimeout(() => {
        first.child.kill('SIGTERM');
        setTimeout(() => req.end('"}'), 300);
      }, 200);
    });
    expect(await inFlight).toBe(201);
    expect(await first.exited).toBe(0);

    const second = await startGateway({ ...dbEnv, ADMIN_TOKEN: ADMIN });
    await waitFor(`http://127.0.0.1:${second.port}/readyz`, (r) => r.status === 200, 60_000);
    const again = await fetch(`http://127.0.0.1:${second.port}/v1/admin/accounts/${account.id}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { name: string }).name).toBe('survives restarts');
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    console.info(`first start answered /healthz after ${healthAfterMs} ms`);
  }, 240_000);
});
