// The page's only way out: same-origin calls to /v1. The API key lives in this tab's sessionStorage
// (gone when the tab closes, never in localStorage) and is sent only as a bearer header to this origin.

const KEY_ITEM = 'switchyard.api_key';

export function storedKey() {
  return sessionStorage.getItem(KEY_ITEM);
}

export function storeKey(key) {
  sessionStorage.setItem(KEY_ITEM, key);
}

export function forgetKey() {
  sessionStorage.removeItem(KEY_ITEM);
}

export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * @typedef {{ key?: string | null, method?: string, body?: unknown, signal?: AbortSignal, accept?: string }} RequestOptions
 */

/**
 * fetch() restricted to this origin's paths; answers the parsed JSON or throws ApiError with the API's message.
 * @param {string} path
 * @param {RequestOptions} [options]
 */
export async function api(path, { key, method = 'GET', body, signal } = {}) {
  const response = await request(path, { key, method, body, signal, accept: 'application/json' });
  return response.json();
}

/**
 * The raw response (for CSV), after the same checks.
 * @param {string} path
 * @param {RequestOptions} [options]
 */
export function request(path, { key, method = 'GET', body, signal, accept } = {}) {
  // A path like "//host/x" or "https://…" would leave this origin; refuse it rather than send a key there.
  if (!path.startsWith('/') || path.startsWith('//')) throw new Error(`not a same-origin path: ${path}`);
  const headers = { accept: accept ?? '*/*' };
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
    cache: 'no-store',
    credentials: 'omit',
    redirect: 'error',
    referrerPolicy: 'no-referrer',
  }).then(async (response) => {
    if (response.ok) return response;
    throw await errorFrom(response);
  });
}

async function errorFrom(response) {
  try {
    const body = await response.json();
    if (body && body.error && typeof body.error.message === 'string') {
      return new ApiError(response.status, body.error.message, body.error.code ?? null);
    }
  } catch {
    // not the API's JSON envelope; fall through to a generic message
  }
  return new ApiError(response.status, `The server answered ${response.status} ${response.statusText}.`, null);
}

/** Query string from an object, leaving out empty values. */
export function queryString(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '' && value !== false) search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
