// Fetching a file from a URL a client gave (image_url, audio_url) without letting the client use this
// server to reach what only it can reach. Every hop is checked before a packet is sent: the scheme
// must be http(s), the host is resolved here and every address it resolves to must be public
// (address.ts), and the connection is pinned to the addresses that were checked, so a DNS answer
// that changes between the check and the connect (rebinding) cannot redirect it. Redirects are
// followed by hand, each checked the same way. Size and total time are capped.
//
// Errors: a URL that is refused, unreachable, answers non-2xx or is too slow is the client's input
// that could not be used, so it is InvalidRequest (400) naming the field, like OpenAI's "Timeout
// while downloading image_url"; a body over the size cap is PayloadTooLarge (413).
import { lookup as dnsLookup } from 'node:dns/promises';
import net, { type LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';
import { Agent, request } from '../../providers/shared/undici';
import { ApiError, InvalidRequest, PayloadTooLarge } from '../../errors';
import { addressRefusal } from './address';
import { decodeDataUrl, isDataUrl } from './inline';

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to all its addresses. */
export type ResolveHost = (hostname: string) => Promise<ResolvedAddress[]>;

export interface RemoteFetchOptions {
  /** The request field the URL came from, named in every error ("image_url"). */
  param: string;
  /** Largest body accepted, in bytes (also the cap for data: URLs). */
  maxBytes?: number;
  /** The whole fetch: resolving, connecting, redirects and the body. */
  timeoutMs?: number;
  maxRedirects?: number;
  /** Tests only (config ALLOW_LOOPBACK_URLS): lets 127.0.0.0/8 and ::1 through, nothing else. */
  allowLoopback?: boolean;
  signal?: AbortSignal;
  /** Defaults to the system resolver (dns.lookup, all addresses); replaceable for tests. */
  resolve?: ResolveHost;
}

export const REMOTE_FETCH_DEFAULTS = { maxBytes: 25 * 1024 * 1024, timeoutMs: 15_000, maxRedirects: 3 } as const;

export interface RemoteFile {
  bytes: Buffer;
  /** The last path segment of the final URL ("scan.png"), or "download"; a name only, never trusted for the type. */
  filename: string;
}

type Settings = Required<Omit<RemoteFetchOptions, 'signal'>> & {
  signal: AbortSignal;
  /** Whether the signal fired because the deadline passed (rather than the caller cancelling). */
  timedOut: () => boolean;
};

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export async function fetchRemoteFile(url: string, options: RemoteFetchOptions): Promise<RemoteFile> {
  const maxBytes = options.maxBytes ?? REMOTE_FETCH_DEFAULTS.maxBytes;
  if (isDataUrl(url)) return { bytes: decodeDataUrl(url, { param: options.param, maxBytes }), filename: 'data' };

  // One controller for the whole fetch, disarmed when it ends: a signal that fired later would make
  // undici fail a body nobody reads any more.
  const timeoutMs = options.timeoutMs ?? REMOTE_FETCH_DEFAULTS.timeoutMs;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('deadline'));
  }, timeoutMs);
  const cancel = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', cancel, { once: true });
  if (options.signal?.aborted) cancel();
  const settings: Settings = {
    param: options.param,
    maxBytes,
    timeoutMs,
    maxRedirects: options.maxRedirects ?? REMOTE_FETCH_DEFAULTS.maxRedirects,
    allowLoopback: options.allowLoopback ?? false,
    resolve: options.resolve ?? resolveWithSystem,
    signal: controller.signal,
    timedOut: () => timedOut,
  };
  try {
    let target = checkedUrl(url, settings.param);
    for (let redirects = 0; ; redirects++) {
      const answer = await fetchOnce(target, settings);
      if ('bytes' in answer) return { bytes: answer.bytes, filename: filenameOf(target) };
      if (redirects >= settings.maxRedirects) {
        throw new InvalidRequest(`${settings.param}: the URL redirects more than ${settings.maxRedirects} times.`, settings.param);
      }
      target = checkedUrl(new URL(answer.location, target).href, settings.param);
    }
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', cancel);
  }
}

/** Parses the URL and refuses every scheme but http(s), and URLs that carry credentials. */
function checkedUrl(value: string, param: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidRequest(`${param} is not a valid URL.`, param);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidRequest(`${param}: only http, https and data: URLs are accepted, not ${url.protocol}.`, param);
  }
  if (url.username || url.password) {
    throw new InvalidRequest(`${param}: URLs with a user name or password are not accepted.`, param);
  }
  return url;
}

async function fetchOnce(url: URL, settings: Settings): Promise<{ bytes: Buffer } | { location: string }> {
  const addresses = await publicAddresses(url.hostname, settings);
  const agent = pinnedAgent(addresses, settings.timeoutMs);
  try {
    const response = await request(url, {
      dispatcher: agent,
      method: 'GET',
      headers: { 'user-agent': 'Switchyard (media fetch)', accept: '*/*', 'accept-encoding': 'identity' },
      signal: settings.signal,
    });
    const location = response.headers.location;
    if (REDIRECTS.has(response.statusCode) && typeof location === 'string') {
      discard(response.body);
      return { location };
    }
    if (response.statusCode < 200 || response.statusCode > 299) {
      discard(response.body);
      throw new InvalidRequest(`${settings.param}: ${url.host} answered HTTP ${response.statusCode}.`, settings.param);
    }
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > settings.maxBytes) {
      discard(response.body);
      throw tooLarge(settings);
    }
    return { bytes: await readCapped(response.body, settings) };
  } catch (error) {
    throw asFetchError(error, url, settings);
  } finally {
    void agent.destroy().catch(() => undefined);
  }
}

/** Every address of the host, each checked; an IP literal is checked without any lookup. */
async function publicAddresses(hostname: string, settings: Settings): Promise<ResolvedAddress[]> {
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  const literal = net.isIP(host);
  if (literal !== 0) {
    const refusal = addressRefusal(host, settings.allowLoopback);
    if (refusal) throw notPublic(settings.param, `the address ${host} is not public (${refusal})`);
    return [{ address: host, family: literal }];
  }
  const addresses = await withDeadline(settings.resolve(host), settings).catch((error: unknown) => {
    throw asFetchError(error, null, settings, `the host ${host} could not be resolved`);
  });
  if (addresses.length === 0) throw notPublic(settings.param, `the host ${host} could not be resolved`);
  // One non-public address is enough to refuse: which one a connection would use is not ours to pick.
  if (addresses.some((a) => addressRefusal(a.address, settings.allowLoopback) !== null)) {
    throw notPublic(settings.param, `the host ${host} resolves to an address that is not public`);
  }
  return addresses;
}

/** An agent whose connections go only to the checked addresses, whatever the host name says. */
function pinnedAgent(addresses: ResolvedAddress[], timeoutMs: number): Agent {
  const first = addresses[0]!;
  const lookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, addresses);
    else callback(null, first.address, first.family);
  };
  return new Agent({
    connect: { lookup, timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connections: 1,
    pipelining: 0,
  });
}

async function readCapped(body: Readable, settings: Settings): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > settings.maxBytes) {
      discard(body);
      throw tooLarge(settings);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

function asFetchError(error: unknown, url: URL | null, settings: Settings, what?: string): ApiError {
  if (error instanceof ApiError) return error;
  const param = settings.param;
  if (settings.timedOut()) {
    return new InvalidRequest(`${param}: the download did not finish within ${settings.timeoutMs} ms.`, param);
  }
  if (settings.signal.aborted) return new InvalidRequest(`${param}: the download was cancelled.`, param);
  const code = (error as { code?: string }).code ?? (error as Error).name;
  const subject = what ?? `${url?.host ?? 'the server'} could not be fetched`;
  return new InvalidRequest(`${param}: ${subject} (${code}).`, param);
}

async function resolveWithSystem(hostname: string): Promise<ResolvedAddress[]> {
  return dnsLookup(hostname, { all: true, verbatim: true });
}

/** dns.lookup cannot be cancelled; this stops waiting for it at the deadline. */
function withDeadline<T>(promise: Promise<T>, settings: Settings): Promise<T> {
  const { signal } = settings;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function filenameOf(url: URL): string {
  const last = url.pathname.split('/').pop() ?? '';
  try {
    return decodeURIComponent(last) || 'download';
  } catch {
    return last || 'download';
  }
}

/**
 * Drops a body without reading the rest. undici fails an unfinished body it is told to destroy with
 * an "aborted" error, which nobody is left to hear; the listener keeps it from going unhandled.
 */
function discard(body: Readable): void {
  body.on('error', () => undefined).destroy();
}

function notPublic(param: string, why: string): InvalidRequest {
  return new InvalidRequest(`${param}: ${why}; only public http(s) URLs can be fetched.`, param);
}

function tooLarge(settings: Settings): PayloadTooLarge {
  return new PayloadTooLarge(`${settings.param}: the file is larger than ${settings.maxBytes} bytes.`, settings.param);
}
