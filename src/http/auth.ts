// Bearer authentication: API keys for jobs and account reads, the admin token for /v1/admin.
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { digestsEqual, sha256Hex } from '../billing/admin-token';
import type { AuthenticatedKey, KeyCache } from '../billing/keys';
import { Forbidden, Unauthorized } from '../errors';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      key?: AuthenticatedKey;
    }
  }
}

export function bearerToken(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

/** The request's API key; missing, unknown, revoked and expired ones are refused with 401. */
export async function authenticate(keys: KeyCache, req: IncomingMessage, now: () => number = Date.now): Promise<AuthenticatedKey> {
  const token = bearerToken(req);
  if (!token) throw new Unauthorized('Missing API key: send "Authorization: Bearer <key>".');
  const key = await keys.lookup(token);
  if (!key) throw new Unauthorized('Invalid API key.');
  if (key.revokedAt) throw new Unauthorized('This API key has been revoked.');
  if (key.expiresAt && key.expiresAt.getTime() <= now()) throw new Unauthorized('This API key has expired.');
  return key;
}

export function requireKey(keys: KeyCache, now: () => number = Date.now) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    res.locals.key = await authenticate(keys, req, now);
    next();
  };
}

/** Where a response keeps the request's key once it is authenticated. */
export interface KeyedResponse {
  locals: { key?: AuthenticatedKey };
}

export function keyOf(res: KeyedResponse): AuthenticatedKey {
  const key = res.locals.key;
  if (!key) throw new Unauthorized();
  return key;
}

/** Only the admin token opens /v1/admin; an API key there is a 403, nothing else a 401. */
export function requireAdmin(adminTokenHash: string, keys: KeyCache) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    const token = bearerToken(req);
    if (!token) throw new Unauthorized('Missing admin token.');
    if (digestsEqual(sha256Hex(token), adminTokenHash)) return next();
    if (await keys.lookup(token)) throw new Forbidden('API keys cannot use admin routes.');
    throw new Unauthorized('Invalid admin token.');
  };
}

export function requireTask(key: AuthenticatedKey, task: string): void {
  if (key.policy.allowedTasks && !key.policy.allowedTasks.includes(task)) {
    throw new Forbidden(`This API key may not run ${task} jobs.`);
  }
}
