// Concurrent-job limits: at most `perKey` jobs of one API key in flight at once, and `total` on this
// replica, so one client cannot hold every connection, upstream slot and hold while others wait.
// Over a limit the job is refused at once with 429 and Retry-After, before its body is read or
// anything is held or charged. Counted in memory, per replica (the rate limits are the shared ones).
import type { ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AuthenticatedKey } from '../billing/keys';
import { RateLimited } from '../errors';
import { keyOf } from './auth';

export interface ConcurrencyLimits {
  perKey: number;
  total: number;
}

export class ConcurrencyLimiter {
  private readonly perKey = new Map<string, number>();
  private total = 0;

  constructor(readonly limits: ConcurrencyLimits) {}

  /** Jobs in flight now: for one key, or on this replica. */
  inFlight(keyId?: string): number {
    return keyId === undefined ? this.total : (this.perKey.get(keyId) ?? 0);
  }

  /**
   * Counts one job of `key` until `res` closes; over a limit, throws 429 and counts nothing.
   * Runs after the key is known, on every job route.
   */
  admit(key: AuthenticatedKey, res: ServerResponse): void {
    const mine = this.perKey.get(key.id) ?? 0;
    const headers = { 'x-concurrency-limit': String(this.limits.perKey) };
    if (mine >= this.limits.perKey) {
      throw new RateLimited(`This API key already has ${mine} jobs running, its limit; send the next one when one finishes.`, 1, headers);
    }
    if (this.total >= this.limits.total) {
      throw new RateLimited(`This server is running its limit of ${this.limits.total} jobs at once; try again in a moment.`, 1, headers);
    }
    this.perKey.set(key.id, mine + 1);
    this.total++;
    let released = false;
    // 'close' fires once the response is done or the client went away, whichever comes first.
    res.on('close', () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.perKey.get(key.id) ?? 1) - 1;
      if (left > 0) this.perKey.set(key.id, left);
      else this.perKey.delete(key.id);
    });
  }

  /** Runs after requireKey on the express job routes. */
  middleware(): RequestHandler {
    return (req: Request, res: Response, next: NextFunction) => {
      if (req.method !== 'POST') return next();
      this.admit(keyOf(res), res);
      next();
    };
  }
}
