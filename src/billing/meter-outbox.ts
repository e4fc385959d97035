// Postpaid mode: settle() writes one meter_outbox row per usage event (in the same transaction as the
// charge), and this worker reports each to a Stripe billing meter. Delivery is at least once from
// here and exactly once at Stripe: the meter event's `identifier` is the request id, and Stripe
// refuses an identifier it has already seen, which counts as delivered.
//
// The meter's value is the job's customer cost in micro-USD (1 USD = 1,000,000), an integer, so a
// Stripe price of USD 0.000001 per unit (unit_amount_decimal "0.0001" cents) bills it exactly.
//
// Rows are claimed with a lease (next_attempt_at pushed ahead, FOR UPDATE SKIP LOCKED), so replicas
// share the table without sending the same row at once and a crashed worker's rows come back.
// This worker owns the retry policy: the Stripe client is told not to retry on its own.
import { createHash } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import Stripe from 'stripe';
import type { Database, MeterOutboxTable } from '../db/schema';
import type { Logger } from '../log';

/** Stripe takes meter events up to 35 days old; an older row can never be delivered. */
const STRIPE_MAX_EVENT_AGE_MS = 35 * 86_400_000 - 3_600_000;
/** Where an undeliverable row is parked; an operator can set next_attempt_at back to retry it. */
export const PARKED_UNTIL = new Date('9999-12-31T00:00:00Z');
const IDENTIFIER_MAX = 100;

export interface MeterOutboxOptions {
  db: Kysely<Database>;
  stripe: Stripe;
  /** The meter's event name (STRIPE_METER_EVENT_NAME). */
  eventName: string;
  logger: Logger;
  /** Pause between polls when the last batch was not full. */
  intervalMs?: number;
  batchSize?: number;
  /** Meter events in flight at once. */
  concurrency?: number;
  /** Backoff after the first failure; doubles per attempt up to maxDelayMs, with jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How long a claimed row stays invisible to other workers. */
  leaseMs?: number;
  requestTimeoutMs?: number;
  /** The most stop() spends flushing due rows. */
  drainTimeoutMs?: number;
  now?: () => number;
  random?: () => number;
}

export interface DrainReport {
  claimed: number;
  sent: number;
  failed: number;
  parked: number;
}

type OutboxRow = Selectable<MeterOutboxTable>;

/**
 * The wait before attempt `attempts + 1`: base × 2^(attempts−1), capped, then "equal jitter"
 * (between half and all of it) so rows that failed together do not retry together.
 */
export function retryDelayMs(attempts: number, baseDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(Math.max(attempts - 1, 0), 40));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

/** The request id, or its SHA-256 when a client-chosen id is longer than Stripe's 100 characters. */
export function meterIdentifier(requestId: string): string {
  return requestId.length <= IDENTIFIER_MAX ? requestId : `sha256:${createHash('sha256').update(requestId).digest('hex')}`;
}

export class MeterOutbox {
  private readonly o: Required<Omit<MeterOutboxOptions, 'db' | 'stripe' | 'eventName' | 'logger'>> & Pick<MeterOutboxOptions, 'db' | 'stripe' | 'eventName' | 'logger'>;
  private timer: NodeJS.Timeout | null = null;
  private tickInFlight: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;

  constructor(options: MeterOutboxOptions) {
    this.o = {
      intervalMs: 5_000,
      batchSize: 50,
      concurrency: 8,
      baseDelayMs: 5_000,
      maxDelayMs: 30 * 60_000,
      leaseMs: 2 * 60_000,
      requestTimeoutMs: 10_000,
      drainTimeoutMs: 10_000,
      now: Date.now,
      random: Math.random,
      ...options,
    };
  }

  start(): this {
    if (!this.timer && !this.stopping) this.schedule(0);
    return this;
  }

  /** Stops polling, waits for the batch in flight, then flushes what is due, within drainTimeoutMs. */
  stop(): Promise<void> {
    return (this.stopping ??= (async () => {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      await this.tickInFlight;
      const deadline = Date.now() + this.o.drainTimeoutMs;
      while (Date.now() < deadline) {
        const report = await this.drainOnce(deadline);
        if (report.claimed < this.o.batchSize) break;
      }
    })());
  }

  /** Claims one batch of due rows and reports each to Stripe. */
  async drainOnce(deadline = Number.POSITIVE_INFINITY): Promise<DrainReport> {
    const rows = await this.claim();
    const report: DrainReport = { claimed: rows.length, sent: 0, failed: 0, parked: 0 };
    if (!rows.length) return report;
    const customers = await this.customersOf(rows);
    let next = 0;
    const worker = async () => {
      while (next < rows.length) {
        const row = rows[next++]!;
        if (Date.now() >= deadline) {
          await this.release(row); // out of time: due again at the next start, not after the lease
          continue;
        }
        report[await this.deliver(row, customers.get(row.account_id) ?? null, deadline)]++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.concurrency, rows.length) }, worker));
    return report;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.tickInFlight = this.tick().finally(() => (this.tickInFlight = null));
    }, delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    let full = false;
    try {
      full = (await this.drainOnce()).claimed === this.o.batchSize;
    } catch (error) {
      this.o.logger.error({ err: error }, 'meter outbox: drain failed');
    }
    if (!this.stopping) this.schedule(full ? 0 : this.o.intervalMs);
  }

  private async claim(): Promise<OutboxRow[]> {
    const now = new Date(this.o.now());
    return this.o.db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('meter_outbox')
        .selectAll()
        .where('sent_at', 'is', null)
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .limit(this.o.batchSize)
        .forUpdate()
        .skipLocked()
        .execute();
      if (rows.length) {
        await trx
          .updateTable('meter_outbox')
          .set({ next_attempt_at: new Date(now.getTime() + this.o.leaseMs) })
          .where('request_id', 'in', rows.map((r) => r.request_id))
          .execute();
      }
      return rows;
    });
  }

  private async customersOf(rows: OutboxRow[]): Promise<Map<string, string | null>> {
    const ids = [...new Set(rows.map((r) => r.account_id))];
    const accounts = await this.o.db.selectFrom('accounts').select(['id', 'stripe_customer_id']).where('id', 'in', ids).execute();
    return new Map(accounts.map((a) => [a.id, a.stripe_customer_id]));
  }

  private async deliver(row: OutboxRow, customerId: string | null, deadline: number): Promise<'sent' | 'failed' | 'parked'> {
    const now = this.o.now();
    if (now - new Date(row.occurred_at).getTime() > STRIPE_MAX_EVENT_AGE_MS) {
      await this.park(row, 'abandoned: older than the 35 days Stripe accepts meter events for');
      return 'parked';
    }
    if (!customerId) {
      await this.fail(row, `account ${row.account_id} has no stripe_customer_id; link a Stripe customer (a Checkout top-up does) to meter its usage`, null);
      return 'failed';
    }
    try {
      await this.o.stripe.billing.meterEvents.create(
        {
          event_name: this.o.eventName,
          payload: { stripe_customer_id: customerId, value: String(row.value_micros) },
          identifier: meterIdentifier(row.request_id),
          timestamp: Math.floor(new Date(row.occurred_at).getTime() / 1000),
        },
        { maxNetworkRetries: 0, timeout: Math.max(1, Math.min(this.o.requestTimeoutMs, deadline - Date.now())) },
      );
    } catch (error) {
      if (isDuplicateIdentifier(error)) {
        this.o.logger.info({ requestId: row.request_id }, 'meter outbox: Stripe already has this meter event');
      } else {
        await this.fail(row, describe(error), retryAfterMs(error));
        return 'failed';
      }
    }
    await this.o.db
      .updateTable('meter_outbox')
      .set({ sent_at: new Date(this.o.now()), last_error: null })
      .where('request_id', '=', row.request_id)
      .where('sent_at', 'is', null)
      .execute();
    return 'sent';
  }

  private async fail(row: OutboxRow, reason: string, retryAfter: number | null): Promise<void> {
    const attempts = row.attempts + 1;
    const backoff = retryDelayMs(attempts, this.o.baseDelayMs, this.o.maxDelayMs, this.o.random);
    const delay = retryAfter === null ? backoff : Math.max(backoff, Math.min(retryAfter, this.o.maxDelayMs));
    await this.o.db
      .updateTable('meter_outbox')
      .set({ attempts: sql`attempts + 1`, next_attempt_at: new Date(this.o.now() + delay), last_error: reason.slice(0, 500) })
      .where('request_id', '=', row.request_id)
      .execute();
    this.o.logger.warn({ requestId: row.request_id, attempts, retryInMs: delay, reason }, 'meter outbox: meter event not delivered');
  }

  private async park(row: OutboxRow, reason: string): Promise<void> {
    await this.o.db.updateTable('meter_outbox').set({ next_attempt_at: PARKED_UNTIL, last_error: reason }).where('request_id', '=', row.request_id).execute();
    this.o.logger.error({ requestId: row.request_id, occurredAt: row.occurred_at }, `meter outbox: ${reason}`);
  }

  private async release(row: OutboxRow): Promise<void> {
    await this.o.db.updateTable('meter_outbox').set({ next_attempt_at: new Date(this.o.now()) }).where('request_id', '=', row.request_id).where('sent_at', 'is', null).execute();
  }
}

/** Starts the worker; main.ts calls this when STRIPE_SECRET_KEY and STRIPE_METER_EVENT_NAME are set, and stop() on shutdown. */
export function startMeterOutbox(options: MeterOutboxOptions): MeterOutbox {
  return new MeterOutbox(options).start();
}

/** Stripe answers a repeated identifier with a 400 rather than the first event: it was delivered. */
function isDuplicateIdentifier(error: unknown): boolean {
  return (
    error instanceof Stripe.errors.StripeInvalidRequestError &&
    (error.code === 'resource_already_exists' || /already exists with identifier/i.test(error.message))
  );
}

function retryAfterMs(error: unknown): number | null {
  const header = error instanceof Stripe.errors.StripeError ? error.headers?.['retry-after'] : undefined;
  const seconds = header === undefined ? NaN : Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : null;
}

function describe(error: unknown): string {
  if (error instanceof Stripe.errors.StripeError) {
    return `Stripe ${error.statusCode ?? 'connection'} ${error.type}${error.code ? `/${error.code}` : ''}: ${error.message}`;
  }
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
