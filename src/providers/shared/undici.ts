// The parts of undici the gateway uses (its Agent, request() and errors), without the rest.
// `import 'undici'` evaluates the whole package at start-up: fetch, WebSocket, EventSource, the
// HTTP cache, the mock agents … about 110 modules, 8–9 MB of resident memory in every replica that
// nothing here uses. These are the modules undici's own index takes the same exports from; the
// version is pinned by package-lock.json, and test/providers/undici.test.ts checks that they are
// the package's own classes and that request() answers as the package's does.
import { createRequire } from 'node:module';
import type * as Undici from 'undici';

const require = createRequire(import.meta.url);

export const Agent: typeof Undici.Agent = require('undici/lib/dispatcher/agent');
export type Agent = Undici.Agent;
export const errors: typeof Undici.errors = require('undici/lib/core/errors');
export type { Dispatcher } from 'undici';

type RequestApi = (this: Undici.Dispatcher, options: Undici.Dispatcher.RequestOptions) => Promise<Undici.Dispatcher.ResponseData>;
const requestApi: RequestApi = require('undici/lib/api/api-request');

export type RequestOptions = Omit<Undici.Dispatcher.RequestOptions, 'origin' | 'path'> & { dispatcher: Undici.Dispatcher };

/** undici's request(url, options) on the given dispatcher (there is no global one here). */
export function request(url: string | URL, { dispatcher, ...options }: RequestOptions): Promise<Undici.Dispatcher.ResponseData> {
  const { origin, pathname, search } = typeof url === 'string' ? new URL(url) : url;
  return requestApi.call(dispatcher, { ...options, origin, path: `${pathname}${search}` });
}
