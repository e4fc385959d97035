// Telling a lost database from a bad query. A lost database (refused or dropped connections, the
// server shutting down, a pool that cannot connect) is a passing outage: the API answers 503 and the
// steps that must not be lost — settling a job that already ran — retry for a bounded time.

/** Node's socket errors that mean the server cannot be reached. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);

/**
 * SQLSTATEs of an unavailable server: class 08 (connection exception), 57P01–57P03 (admin or crash
 * shutdown, cannot connect now) and 53300 (too many connections).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/;

/** node-postgres and PGlite say these in words, without a code. */
const UNAVAILABLE_MESSAGES = [
  /connection terminated/i,
  /connection error and is not queryable/i,
  /client was closed and is not queryable/i,
  /timeout exceeded when trying to connect/i,
  /cannot use a pool after calling end/i,
  /pglite is closed/i,
];

export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 3) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
  if (UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(error.message))) return true;
  // Connecting to every address of a host fails as one AggregateError; a wrapped cause counts too.
  if (error instanceof AggregateError && error.errors.some((inner) => isDatabaseUnavailable(inner, depth + 1))) return true;
  return isDatabaseUnavailable((error as { cause?: unknown }).cause, depth + 1);
}

export interface RetryOptions {
  /** Give up once this much time has passed since the first try. */
  budgetMs?: number;
  /** First pause between tries; doubles up to `maxDelayMs`. */
  delayMs?: number;
  maxDelayMs?: number;
}

/** How long a finished job's settlement keeps trying through a database outage before the job fails. */
export const SETTLE_RETRY_BUDGET_MS = 10_000;

/**
 * Runs `work`, and again while it fails because the database is unavailable, until the budget is
 * spent. Only for idempotent work (a settlement keyed by request id, a hold release).
 */
export async function retryWhileDatabaseUnavailable<T>(work: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const budgetMs = options.budgetMs ?? SETTLE_RETRY_BUDGET_MS;
  const maxDelayMs = options.maxDelayMs ?? 1_000;
  let delayMs = options.delayMs ?? 50;
  const started = Date.now();
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (!isDatabaseUnavailable(error) || Date.now() - started + delayMs > budgetMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(maxDelayMs, delayMs * 2);
    }
  }
}

/**
 * SQLSTATE class 22 (data exception): a value the schemas let through but the database cannot take,
 * such as a NUL character in text or a number out of a column's range. The client's input, not a fault.
 */
export function isDataException(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}
