// Per-key rate limits: requests per minute, and tokens per minute for chat. Fixed one-minute windows,
// counted in memory on a single instance, or in Redis (REDIS_URL) so every replica shares one limit.
// Redis is an optimisation, not a dependency: while it does not answer within a short bound, each
// replica counts in its own memory (so limits still hold per replica) and goes back when it answers.
import type { ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import { RateLimited } from '../errors';
import type { Logger } from '../log';
import type { AuthenticatedKey } from './keys';

const WINDOW_MS = 60_000;

/** The longest a request waits for Redis before it is counted in memory instead. */
export const REDIS_TIMEOUT_MS = 250;
/** While Redis is away, how often it is asked again. */
export const REDIS_RETRY_MS = 1_000;
/** How long start-up waits for the first connection before it starts counting in memory. */
const REDIS_STARTUP_WAIT_MS = 2_000;

export interface Counter {
  /** Adds `amount` to the window's counter and returns the new total. */
  add(name: string, amount: number, windowStart: number): Promise<number>;
  close(): Promise<void>;
  /** For shared counters: whether they are counting in Redis now, and how often they fell back. */
  shared?(): SharedCounterState;
}

export interface SharedCounterState {
  redisAvailable: boolean;
  fallbacks: number;
}

export class MemoryCounter implements Counter {
  private readonly counts = new Map<string, { window: number; value: number }>();

  async add(name: string, amount: number, windowStart: number): Promise<number> {
    const entry = this.counts.get(name);
    if (!entry || entry.window !== windowStart) {
      if (this.counts.size > 100_000) this.counts.clear();
      this.counts.set(name, { window: windowStart, value: amount });
      return amount;
    }
    entry.value += amount;
    return entry.value;
  }

  async close(): Promise<void> {}
}

export class RedisCounter implements Counter {
  constructor(private readonly redis: Redis) {}

  async add(name: string, amount: number, windowStart: number): Promise<number> {
    const key = `switchyard:rl:${name}:${windowStart}`;
    const results = await this.redis.multi().incrby(key, amount).pexpire(key, WINDOW_MS * 2).exec();
    const [error, value] = results?.[0] ?? [new Error('no reply'), null];
    if (error) throw error;
    return Number(value);
  }

  async close(): Promise<void> {
    // quit() is refused while disconnected; disconnect() also stops the reconnection attempts.
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

export interface FallbackOptions {
  logger?: Logger;
  timeoutMs?: number;
  retryMs?: number;
}

/**
 * Counts in Redis, and in this process's memory while Redis does not answer within `timeoutMs`
 * (down, unreachable, or hung). Every count is also kept in memory: what this replica counted is a
 * lower bound of the shared count, so a window that Redis missed part of (an outage, a restart that
 * lost its data) still limits at least per replica. While Redis is away it is pinged every
 * `retryMs`, off the request path, and counts go back to it once it answers.
 */
export class FallbackCounter implements Counter {
  private readonly local = new MemoryCounter();
  private readonly remote: RedisCounter;
  private readonly timeoutMs: number;
  private readonly retryMs: number;
  private available = true;
  private downSince = 0;
  private fallbacks = 0;
  private probe: NodeJS.Timeout | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly options: FallbackOptions = {},
  ) {
    this.remote = new RedisCounter(redis);
    this.timeoutMs = options.timeoutMs ?? REDIS_TIMEOUT_MS;
    this.retryMs = options.retryMs ?? REDIS_RETRY_MS;
  }

  async add(name: string, amount: number, windowStart: number): Promise<number> {
    const local = await this.local.add(name, amount, windowStart);
    if (!this.available) return local;
    try {
      return Math.max(local, await withTimeout(this.remote.add(name, amount, windowStart), this.timeoutMs));
    } catch (error) {
      this.fallBack(error);
      return local;
    }
  }

  shared(): SharedCounterState {
    return { redisAvailable: this.available, fallbacks: this.fallbacks };
  }

  /** Resolves once Redis is ready, or after `waitMs` with counting in memory until it is. */
  async connected(waitMs: number): Promise<void> {
    if (this.redis.status === 'ready') return;
    const ready = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), waitMs);
      this.redis.once('ready', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!(await ready)) this.fallBack(new Error(`not ready within ${waitMs} ms`));
  }

  /** Logs no URL, key or count: only why, which never carries the counter names. */
  private fallBack(error: unknown): void {
    if (!this.available) return;
    this.available = false;
    this.downSince = Date.now();
    this.fallbacks++;
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    this.options.logger?.warn({ reason, timeoutMs: this.timeoutMs }, 'Redis did not answer: rate limits are counted in memory on this replica until it does');
    this.probe = setInterval(() => void this.ping(), this.retryMs);
    this.probe.unref();
  }

  private async ping(): Promise<void> {
    try {
      await withTimeout(this.redis.ping(), this.timeoutMs);
    } catch {
      return;
    }
    if (this.available) return;
    this.available = true;
    this.stopProbe();
    this.options.logger?.warn({ downForMs: Date.now() - this.downSince }, 'Redis answers again: rate limits are counted in Redis again');
  }

  private stopProbe(): void {
    if (this.probe) clearInterval(this.probe);
    this.probe = null;
  }

  async close(): Promise<void> {
    this.stopProbe();
    await this.remote.close();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  // The losing promise's rejection is still handled: a late Redis error must not go unhandled.
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class RateLimiter {
  constructor(
    private readonly counter: Counter,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts this request (and its estimated tokens) against the key's limits; throws 429 with
   * Retry-After when over, and sets the x-ratelimit-* headers either way.
   */
  async check(key: AuthenticatedKey, tokens: number, res: ServerResponse): Promise<void> {
    if (!key.rateLimitRpm && !key.rateLimitTpm) return;
    const now = this.now();
    const windowStart = now - (now % WINDOW_MS);
    const resetSeconds = Math.max(1, Math.ceil((windowStart + WINDOW_MS - now) / 1000));
    const headers: Record<string, string> = {};
    let over: string | null = null;
    if (key.rateLimitRpm) {
      const used = await this.counter.add(`${key.id}:rpm`, 1, windowStart);
      headers['x-ratelimit-limit-requests'] = String(key.rateLimitRpm);
      headers['x-ratelimit-remaining-requests'] = String(Math.max(0, key.rateLimitRpm - used));
      headers['x-ratelimit-reset-requests'] = `${resetSeconds}s`;
      if (used > key.rateLimitRpm) over = `${key.rateLimitRpm} requests per minute`;
    }
    if (key.rateLimitTpm && tokens > 0) {
      const used = await this.counter.add(`${key.id}:tpm`, tokens, windowStart);
      headers['x-ratelimit-limit-tokens'] = String(key.rateLimitTpm);
      headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, key.rateLimitTpm - used));
      headers['x-ratelimit-reset-tokens'] = `${resetSeconds}s`;
      if (used > key.rateLimitTpm) over ??= `${key.rateLimitTpm} tokens per minute`;
    }
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    if (over) throw new RateLimited(`Rate limit reached for this API key: ${over}. Try again in ${resetSeconds} s.`, resetSeconds, headers);
  }

  /** Null when counting in memory only (no REDIS_URL). */
  shared(): SharedCounterState | null {
    return this.counter.shared?.() ?? null;
  }

  close(): Promise<void> {
    return this.counter.close();
  }
}

export async function createRateLimiter(
  redisUrl: string | undefined,
  options: FallbackOptions & { now?: () => number; startupWaitMs?: number } = {},
): Promise<RateLimiter> {
  if (!redisUrl) return new RateLimiter(new MemoryCounter(), options.now);
  const { Redis } = await import('ioredis');
  const timeoutMs = options.timeoutMs ?? REDIS_TIMEOUT_MS;
  // A count is never queued for later nor retried: while Redis is not ready, commands fail at once
  // and the request is counted in memory; a hung server is bounded by the command timeout.
  const redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: timeoutMs, connectTimeout: 2_000 });
  // Connection errors are handled by the fallback (and logged once there); ioredis keeps reconnecting.
  redis.on('error', () => {});
  const counter = new FallbackCounter(redis, options);
  await counter.connected(options.startupWaitMs ?? REDIS_STARTUP_WAIT_MS);
  return new RateLimiter(counter, options.now);
}
