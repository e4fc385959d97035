// Child processes of the benchmark: each server runs in its own process, so none shares an event
// loop with the load generator, and each one's memory can be read from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import net from 'node:net';

export interface Child {
  name: string;
  process: ChildProcess;
  /** The first IPC message, for children that announce themselves (the mock's ports). */
  ready: Promise<Record<string, unknown>>;
  /** Ends the child with SIGTERM (its graceful shutdown), SIGKILL after `graceMs`. Resolves with its exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface ChildOptions {
  name: string;
  /** Node flags before the script, e.g. ['--import', 'tsx'] or ['--cpu-prof']. */
  nodeArgs?: string[];
  script: string;
  args?: string[];
  env: Record<string, string>;
  /** stdout and stderr go to this file. */
  logFile: string;
  cwd?: string;
}

/** Children still running; whatever way the benchmark ends, none outlives it. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export function startChild(options: ChildOptions): Child {
  const out = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script, ...(options.args ?? [])], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', out, out, 'ipc'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    child.once('message', (message) => resolve(message as Record<string, unknown>));
    child.once('exit', (code) => reject(new Error(`${options.name} exited with ${code} before it was ready; see ${options.logFile}`)));
  });
  ready.catch(() => {});
  return {
    name: options.name,
    process: child,
    ready,
    async stop(graceMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** A port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 2xx, the child exits, or `timeoutMs` passes. */
export async function waitForHttp(url: string, child: Child, timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (child.process.exitCode !== null) throw new Error(`${child.name} exited with ${child.process.exitCode} while starting`);
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs} ms`);
}

/** Resident memory of a process in bytes, from /proc (Linux); null elsewhere or once it is gone. */
export function residentBytes(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number | null {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat; null elsewhere. */
export function cpuMs(pid: number): number | null {
  try {
    // Fields after the command name (which may hold spaces) start at state; utime and stime are the 12th and 13th of those.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** USER_HZ, 100 on every Linux that matters here. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Samples a process's RSS every `everyMs` while running; `peak()` is the largest sample so far. */
export class RssSampler {
  private max = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    everyMs = 100,
  ) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
    this.sample();
  }

  sample(): void {
    const rss = residentBytes(this.pid);
    if (rss !== null && rss > this.max) this.max = rss;
  }

  /** Largest sampled RSS in bytes since the last reset. */
  peak(): number {
    this.sample();
    return this.max;
  }

  reset(): void {
    this.max = 0;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
