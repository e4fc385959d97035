// Prefixed ids in the manner of Stripe's (acct_…, key_…, req_…) and secrets in base62.
import { randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `length` uniformly random base62 characters (rejection sampling keeps it unbiased). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export function newId(prefix: 'acct' | 'key' | 'req' | 'cs' | 'evt' | 'lease', length = 20): string {
  return `${prefix}_${randomBase62(length)}`;
}

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** The client's x-request-id when it is well-formed, else a fresh one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && CLIENT_REQUEST_ID.test(value) ? value : newId('req', 24);
}
