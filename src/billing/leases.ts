// Credit leases: the billing hot path without a database round trip per job.
//
// A job must never start unless its maximum cost is covered, and every job that ran must be charged
// exactly once. Doing both in the database for each job costs two commits per request. Instead each
// gateway process reserves credit in bulk: a lease is an ordinary hold (one row in `holds`, counted
// in the account's and the key's held totals, so every replica sees it) for a chunk of credit, and
// jobs of that key are held against it in memory. Settling a job charges it in memory at once and
// queues its usage event and ledger entry; the queue is written in one group-commit transaction
// every few milliseconds, together with the shrinking of the lease by what its jobs cost. Idle
// leases go back after a few seconds, and on shutdown after the last flush.
//
// What can go wrong, and what happens:
// - Credit runs short: a lease is taken only as large as the account and the key's budget allow; at
//   the edge it shrinks to the job's own hold, which is exactly the per-job check (402 when it fails).
// - The database goes away: jobs already admitted finish and their settlements wait in the queue
//   (retried until the database returns, never dropped); new jobs get 503 until a flush succeeds.
// - The process crashes: up to one flush interval of settled jobs is not written (they go unbilled,
//   never double-billed), and its leases are released by the hold sweeper when they expire.
import type { Kysely } from 'kysely';
import { isDatabaseUnavailable, retryWhileDatabaseUnavailable } from '../db/availability';
import { onePerDatabase } from '../db/per-database';
import type { Database } from '../db/schema';
import { PaymentRequired } from '../errors';
import { newId } from '../ids';
import type { AuthenticatedKey } from './keys';
import { LedgerBatch, type HoldRequest } from './ledger-batch';
import { preciseTimestamp, type Settlement } from './ledger';

export interface LeaseOptions {
  /** How long settled jobs wait before they are written (together with those that come after). */
  flushMs: number;
  /** A lease no job has used for this long is given back. */
  idleMs: number;
  /** A lease takes no new jobs after this long (its expiry stays far off while its jobs run). */
  maxAgeMs: number;
  /** Credit a lease reserves beyond the job that takes it: this many times the job's hold, at least `minChunkMicros`. */
  chunkJobs: number;
  minChunkMicros: number;
  now: () => number;
}

const DEFAULTS: LeaseOptions = { flushMs: 100, idleMs: 2_000, maxAgeMs: 60_000, chunkJobs: 32, minChunkMicros: 250_000, now: Date.now };

interface Lease {
  id: string;
  key: AuthenticatedKey;
  /** What the lease's row holds in the database once the queue is written. */
  reserved: number;
  /** What is left for new jobs: reserved minus the holds of its running jobs. */
  free: number;
  jobs: number;
  createdAt: number;
  lastUsedAt: number;
}

interface Running {
  lease: Lease;
  amountMicros: number;
}

type Queued = { kind: 'settle'; settlement: Settlement } | { kind: 'shrink'; leaseId: string; amountMicros: number } | { kind: 'release'; leaseId: string };

export class CreditLeases {
  private readonly options: LeaseOptions;
  private readonly batch: LedgerBatch;
  private readonly leases = new Map<string, Lease[]>();
  private readonly running = new Map<string, Running>();
  /** Request ids settled in memory whose usage event is not written yet: a second settle is a no-op. */
  private readonly settling = new Set<string>();
  private readonly topUps = new Map<string, Promise<void>>();
  private queue: Queued[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  /** The last flush failed because the database is away: new jobs wait for it to come back. */
  private unavailable: unknown = null;
  private closed = false;

  /** One per database: every job of a process shares its leases and their LedgerBatch queue. */
  static readonly for = onePerDatabase((db) => new CreditLeases(db));

  constructor(
    private readonly db: Kysely<Database>,
    options: Partial<LeaseOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
    this.batch = new LedgerBatch(db, () => new Date(this.options.now()));
  }

  /** Reserves the job's maximum cost from a lease of its key, taking a new lease when none has room; 402 when credit cannot cover it. */
  async placeHold(hold: HoldRequest): Promise<void> {
    if (this.unavailable) throw this.unavailable;
    const { key, amountMicros } = hold;
    for (;;) {
      const lease = this.roomFor(key, amountMicros);
      if (lease) {
        lease.free -= amountMicros;
        lease.jobs++;
        lease.lastUsedAt = this.options.now();
        this.running.set(hold.requestId, { lease, amountMicros });
        return;
      }
      const pending = this.topUps.get(key.id);
      if (pending) {
        // Another job of this key is taking a lease: it may have room for this one too.
        await pending.catch(() => {});
        continue;
      }
      const topUp = this.takeLease(key, amountMicros);
      this.topUps.set(key.id, topUp);
      try {
        await topUp;
      } finally {
        this.topUps.delete(key.id);
      }
    }
  }

  /** Charges the job once: at once in memory, in the database with the next flush. */
  async settle(settlement: Settlement): Promise<{ charged: boolean }> {
    const job = this.running.get(settlement.requestId);
    if (!job) {
      if (this.settling.has(settlement.requestId)) return { charged: false };
      // Not held here (a job of an earlier process): the database's own once-only settle.
      return this.batch.settle(settlement);
    }
    this.running.delete(settlement.requestId);
    this.settling.add(settlement.requestId);
    const { lease, amountMicros } = job;
    lease.jobs--;
    // The charge comes out of the job's hold in the lease; a job that cost more than it held takes
    // the rest from the balance, as a hold per job would.
    const fromLease = Math.min(settlement.costMicros, amountMicros, lease.reserved);
    lease.reserved -= fromLease;
    lease.free += amountMicros - fromLease;
    this.enqueue({ kind: 'settle', settlement: { ...settlement, settledAt: settlement.settledAt ?? preciseTimestamp() } });
    if (fromLease > 0) this.enqueue({ kind: 'shrink', leaseId: lease.id, amountMicros: fromLease });
    return { charged: true };
  }

  /** A failed job costs nothing: its hold goes back to its lease. */
  async releaseHold(requestId: string): Promise<void> {
    const job = this.running.get(requestId);
    if (!job) return this.batch.releaseHold(requestId);
    this.running.delete(requestId);
    job.lease.jobs--;
    job.lease.free += job.amountMicros;
  }

  /** Resolves when everything settled so far is in the database. */
  async flush(): Promise<void> {
    // A write already under way may be an earlier try from before the database came back.
    if (this.flushing) await this.flushing.catch(() => {});
    while (this.queue.length) {
      await this.startFlush();
      if (this.unavailable) throw this.unavailable;
    }
  }

  /**
   * Makes the database tell the whole truth about an account: settled jobs written, and the credit
   * its leases hold for no running job given back. Account reads (balance, usage) call this first.
   */
  async reconcile(accountId?: string): Promise<void> {
    for (const [keyId, leases] of [...this.leases]) {
      for (const lease of [...leases]) {
        if (accountId !== undefined && lease.key.accountId !== accountId) continue;
        this.giveBack(keyId, lease);
      }
    }
    await this.flush();
  }

  /** Writes what is queued and gives every lease back (after the server stopped taking jobs). */
  async close(): Promise<void> {
    this.closed = true;
    await retryWhileDatabaseUnavailable(() => this.reconcile());
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** The hold a running job's credit is in: its lease's, or its own when it was not held here. */
  holdIdOf(requestId: string): string {
    return this.running.get(requestId)?.lease.id ?? requestId;
  }

  /** Jobs held in memory right now, and settled jobs not yet written: for metrics and tests. */
  get pending(): { running: number; queued: number; leases: number } {
    let leases = 0;
    for (const list of this.leases.values()) leases += list.length;
    return { running: this.running.size, queued: this.queue.length, leases };
  }

  private roomFor(key: AuthenticatedKey, amountMicros: number): Lease | undefined {
    const now = this.options.now();
    // The newest lease first: older ones drain and go back.
    const leases = this.leases.get(key.id);
    if (!leases) return undefined;
    for (let i = leases.length - 1; i >= 0; i--) {
      const lease = leases[i]!;
      if (lease.free >= amountMicros && now - lease.createdAt < this.options.maxAgeMs && sameTerms(lease.key, key)) return lease;
    }
    return undefined;
  }

  private async takeLease(key: AuthenticatedKey, amountMicros: number): Promise<void> {
    const chunk = Math.max(amountMicros * this.options.chunkJobs, this.options.minChunkMicros, amountMicros);
    try {
      await this.reserve(key, chunk);
    } catch (error) {
      if (!(error instanceof PaymentRequired) || chunk === amountMicros) throw error;
      // Not enough for a whole chunk: give back what this process holds idle for the account,
      // then reserve exactly this job's hold — the same check a hold per job makes.
      await this.reconcile(key.accountId);
      await this.reserve(key, amountMicros);
    }
  }

  private async reserve(key: AuthenticatedKey, amountMicros: number): Promise<void> {
    if (this.closed) throw new PaymentRequired('The gateway is shutting down.');
    const id = newId('lease', 24);
    await this.batch.placeHold({ requestId: id, key, amountMicros });
    const now = this.options.now();
    const lease: Lease = { id, key, reserved: amountMicros, free: amountMicros, jobs: 0, createdAt: now, lastUsedAt: now };
    const leases = this.leases.get(key.id);
    if (leases) leases.push(lease);
    else this.leases.set(key.id, [lease]);
    this.schedule();
  }

  /** Returns a lease's unused credit: the whole lease when no job runs on it, else what is free. */
  private giveBack(keyId: string, lease: Lease): void {
    if (lease.jobs === 0) {
      const leases = this.leases.get(keyId)!;
      leases.splice(leases.indexOf(lease), 1);
      if (!leases.length) this.leases.delete(keyId);
      this.enqueue({ kind: 'release', leaseId: lease.id });
    } else if (lease.free > 0) {
      const free = lease.free;
      lease.free = 0;
      lease.reserved -= free;
      this.enqueue({ kind: 'shrink', leaseId: lease.id, amountMicros: free });
    }
  }

  private enqueue(item: Queued): void {
    this.queue.push(item);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    const delay = this.queue.length ? this.options.flushMs : Math.min(this.options.idleMs, 1_000);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.tidy();
      void this.startFlush().catch(() => {});
    }, delay);
    this.timer.unref();
  }

  /**
   * Idle and old leases go back. A lease stays while a job runs on it (a long stream's is kept from
   * expiring by HoldKeeper); one older than maxAgeMs takes no new job, so a lease the sweeper released
   * anyway (its replica lost the database for a whole TTL) never admits one.
   */
  private tidy(): void {
    const now = this.options.now();
    for (const [keyId, leases] of [...this.leases]) {
      for (const lease of [...leases]) {
        const old = now - lease.createdAt >= this.options.maxAgeMs;
        if (lease.jobs === 0 && (old || now - lease.lastUsedAt >= this.options.idleMs)) this.giveBack(keyId, lease);
      }
    }
  }

  private startFlush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = this.write().finally(() => {
      this.flushing = null;
      if (this.leases.size || this.queue.length) this.schedule();
    });
    return this.flushing;
  }

  private async write(): Promise<void> {
    const items = this.queue;
    this.queue = [];
    if (!items.length) return;
    // All in one turn, so LedgerBatch commits them together.
    const results = await Promise.allSettled(items.map((item) => this.apply(item)));
    const failed = items.filter((_, i) => results[i]!.status === 'rejected');
    const unavailable = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && isDatabaseUnavailable(r.reason));
    this.unavailable = unavailable ? unavailable.reason : null;
    // Nothing settled is dropped: what did not get written goes first in the next flush.
    if (failed.length) {
      this.queue = [...failed, ...this.queue];
      if (!unavailable) throw (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
    }
    for (const [i, item] of items.entries()) {
      if (item.kind === 'settle' && results[i]!.status === 'fulfilled') this.settling.delete(item.settlement.requestId);
    }
    if (unavailable) await new Promise((resolve) => setTimeout(resolve, 200).unref());
  }

  private apply(item: Queued): Promise<unknown> {
    if (item.kind === 'settle') return this.batch.settle(item.settlement);
    if (item.kind === 'shrink') return this.batch.shrinkHold(item.leaseId, item.amountMicros);
    return this.batch.releaseHold(item.leaseId);
  }
}

/** A key changed since its lease was taken (budget, revoked …) takes a new one under its new terms. */
function sameTerms(a: AuthenticatedKey, b: AuthenticatedKey): boolean {
  return a === b || (a.accountId === b.accountId && a.budgetMicros === b.budgetMicros && a.budgetPeriod === b.budgetPeriod);
}
