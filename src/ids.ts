// Prefixed ids in the manner of Stripe's (acct_…, key_…, req_…) and secrets in base62.
import { randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** CSPRNG bytes drawn 4 KiB at a time: one system call per hundred ids, not one per id. */
let pool = Buffer.alloc(0);
let used = 0;

function randomByte(): number {
  if (used === pool.length) {
    pool = randomBytes(4096);
    used = 0;
  }
  const byte = pool[used]!;
  // A key's secret is built from these bytes: none stays behind in the pool.
  pool[used++] = 0;
  return byte;
}

/** `length` uniformly random base62 characters (rejection sampling keeps it unbiased). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    const byte = randomByte();
    if (byte < 248) out += BASE62[byte % 62];
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
