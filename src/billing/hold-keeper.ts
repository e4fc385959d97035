// A hold expires HOLD_TTL_MS after it was placed, so the sweeper can return what a crashed replica
// held. A job can run longer than that (a long chat stream): swept while it runs, its credit would be
// free for other jobs while it still spends it, and its settlement could take the balance below zero.
// While a job runs, its replica extends its hold well inside the TTL; once the job ends (or the
// replica dies) the hold expires as before. One timer per process extends every running hold in one
// statement.
import type { Kysely } from 'kysely';
import { onePerDatabase } from '../db/per-database';
import type { Database } from '../db/schema';
import { HOLD_TTL_MS } from './ledger';

/**
 * Pushes the expiry of these holds to a full TTL from `now`. Returns the request ids that still had a
 * hold; settled or released ones are gone.
 */
export async function extendHolds(db: Kysely<Database>, requestIds: string[], now = new Date()): Promise<string[]> {
  if (!requestIds.length) return [];
  const rows = await db
    .updateTable('holds')
    .set({ expires_at: new Date(now.getTime() + HOLD_TTL_MS) })
    .where('request_id', 'in', requestIds)
    .returning('request_id')
    .execute();
  return rows.map((r) => r.request_id);
}

/** Most request ids in one update. */
const MAX_IDS = 1_000;

export class HoldKeeper {
  /** Hold ids and how many running jobs keep each (several jobs can share a lease's hold). */
  private readonly running = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;

  /** One keeper per database: all the process's running holds share one timer. */
  static readonly for = onePerDatabase((db) => new HoldKeeper(db));

  /** A third of the TTL leaves two refreshes to miss (a database outage) before a hold expires. */
  everyMs = HOLD_TTL_MS / 3;
  /** The time a refresh extends from; tests shorten `everyMs` or drive `refresh` on a fake clock. */
  now: () => Date = () => new Date();

  constructor(private readonly db: Kysely<Database>) {}

  /** Keeps the job's hold from expiring until the returned function is called. */
  keep(requestId: string): () => void {
    this.running.set(requestId, (this.running.get(requestId) ?? 0) + 1);
    if (!this.timer) {
      this.timer = setInterval(() => void this.refresh(), this.everyMs);
      this.timer.unref();
    }
    let kept = true;
    return () => {
      if (!kept) return;
      kept = false;
      const count = (this.running.get(requestId) ?? 0) - 1;
      if (count > 0) this.running.set(requestId, count);
      else this.forget(requestId);
    };
  }

  /** The request ids being kept now. */
  keeping(): string[] {
    return [...this.running.keys()];
  }

  /** Extends every running hold now; a failure (the database away) waits for the next tick. */
  refresh(): Promise<void> {
    this.refreshing ??= this.extendAll().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  private async extendAll(): Promise<void> {
    const ids = [...this.running.keys()];
    for (let i = 0; i < ids.length; i += MAX_IDS) {
      const batch = ids.slice(i, i + MAX_IDS);
      const kept = await extendHolds(this.db, batch, this.now()).catch(() => null);
      if (!kept) continue;
      // A hold that is gone was settled or released: nothing is left to keep for that job.
      const still = new Set(kept);
      for (const id of batch) if (!still.has(id)) this.forget(id);
    }
  }

  private forget(requestId: string): void {
    this.running.delete(requestId);
    if (!this.running.size && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}
