// Driving a target: autocannon for throughput and latency under load, and sequential streamed
// requests for time to first byte. Latencies are kept at sub-millisecond resolution from
// autocannon's per-response event (its own histogram rounds to whole milliseconds, too coarse for
// an overhead target of 1 ms).
import http from 'node:http';
import autocannon from 'autocannon';

export interface LoadRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface LoadResult {
  connections: number;
  durationS: number;
  /** 2xx responses per second. */
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

class Samples {
  private values = new Float64Array(1 << 16);
  length = 0;

  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }

  sorted(): Float64Array {
    return this.values.slice(0, this.length).sort();
  }
}

export async function runLoad(request: LoadRequest, connections: number, durationS: number): Promise<LoadResult> {
  const latencies = new Samples();
  let ok = 0;
  let non2xx = 0;
  const instance = autocannon({
    url: request.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...request.headers },
    body: request.body,
    connections,
    duration: durationS,
    timeout: 10,
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
    if (statusCode >= 200 && statusCode < 300) {
      ok++;
      latencies.push(responseTimeMs);
    } else non2xx++;
  });
  const result = await instance;
  const sorted = latencies.sorted();
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    connections,
    durationS: result.duration,
    rps: ok / result.duration,
    ok,
    non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    meanMs: sorted.length ? sum / sorted.length : Number.NaN,
  };
}

export interface TtfbResult {
  requests: number;
  /** Streams that completed, warm-up included. */
  ok: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
  /** What went wrong with the first failed stream, if one failed. */
  firstError: string | null;
}

/** Streamed requests one after another on one keep-alive connection: time until the first body byte. */
export async function streamTtfb(request: LoadRequest, count: number, warmup = 50): Promise<TtfbResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  let failures = 0;
  let ok = 0;
  let firstError: string | null = null;
  try {
    for (let i = 0; i < warmup + count; i++) {
      const measured = await oneStream(request, agent).catch((error: Error) => {
        firstError ??= error.message;
        return null;
      });
      if (measured !== null) ok++;
      if (i < warmup) continue;
      if (measured === null) failures++;
      else times.push(measured);
    }
  } finally {
    agent.destroy();
  }
  times.sort((a, b) => a - b);
  return { requests: count, ok, p50Ms: percentile(times, 0.5), p99Ms: percentile(times, 0.99), failures, firstError };
}

function oneStream(request: LoadRequest, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let first: number | null = null;
    let text = '';
    const req = http.request(request.url, { method: 'POST', agent, headers: { 'content-type': 'application/json', ...request.headers } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (part: string) => {
        first ??= Number(process.hrtime.bigint() - started) / 1e6;
        text += part;
      });
      res.on('end', () => {
        if (res.statusCode !== 200 || first === null || !text.includes('data: [DONE]')) reject(new Error(`stream answered ${res.statusCode}: ${text.slice(0, 200)}`));
        else resolve(first);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(request.body);
  });
}
