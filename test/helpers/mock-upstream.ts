// A small HTTP server on 127.0.0.1 that each provider mock builds on: routes speak the provider's
// real wire format, and faults can be queued to make the next requests fail the ways real
// upstreams fail (error status with the provider's error body, hang, reset, malformed JSON, cut stream).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The body parsed as JSON when it is JSON, else undefined. */
  json: any;
}

export type Fault =
  | { kind: 'status'; status: number; message?: string; headers?: Record<string, string> }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'malformed' }
  /** For streaming routes: send this many events, then drop the connection. */
  | { kind: 'cut'; afterEvents: number };

export interface RouteContext {
  /** Set when the request drew a `cut` fault: the route should stop after this many events. */
  cutAfterEvents: number | null;
  mock: MockUpstream;
}

export interface Route {
  method: string;
  path: string | RegExp;
  handle(req: RecordedRequest, res: http.ServerResponse, ctx: RouteContext): void | Promise<void>;
}

export interface MockOptions {
  routes: Route[];
  /** The provider's error body for a status, e.g. OpenAI's {"error":{…}}. */
  errorBody: (status: number, message: string) => unknown;
  /** Checks the auth header; return false to answer 401. */
  authorize?: (req: RecordedRequest) => boolean;
}

export class MockUpstream {
  readonly requests: RecordedRequest[] = [];
  private readonly faults: Fault[] = [];
  private readonly sockets = new Set<import('node:net').Socket>();
  private readonly hanging = new Set<http.ServerResponse>();
  private server!: http.Server;
  url = '';

  private constructor(private readonly options: MockOptions) {}

  static async start(options: MockOptions): Promise<MockUpstream> {
    const mock = new MockUpstream(options);
    mock.server = http.createServer((req, res) => void mock.serve(req, res));
    mock.server.on('connection', (socket) => {
      mock.sockets.add(socket);
      socket.on('close', () => mock.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => mock.server.listen(0, '127.0.0.1', resolve));
    mock.url = `http://127.0.0.1:${(mock.server.address() as AddressInfo).port}`;
    return mock;
  }

  /** Queues a fault for the next `times` requests. */
  failNext(fault: Fault, times = 1): this {
    for (let i = 0; i < times; i++) this.faults.push(fault);
    return this;
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  get lastRequest(): RecordedRequest | undefined {
    return this.requests.at(-1);
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://mock');
    let json: unknown;
    if (String(req.headers['content-type'] ?? '').includes('json')) {
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        json = undefined;
      }
    }
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body, json };
    this.requests.push(recorded);

    if (this.options.authorize && !this.options.authorize(recorded)) {
      return this.sendJson(res, 401, this.options.errorBody(401, 'Invalid authentication'));
    }
    const fault = this.faults.shift();
    if (fault?.kind === 'status') {
      return this.sendJson(res, fault.status, this.options.errorBody(fault.status, fault.message ?? `mock failure ${fault.status}`), fault.headers);
    }
    if (fault?.kind === 'hang') {
      this.hanging.add(res);
      return;
    }
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id": "broken", "choices": [');
      return;
    }
    const route = this.options.routes.find((r) => r.method === recorded.method && (typeof r.path === 'string' ? r.path === recorded.path : r.path.test(recorded.path)));
    if (!route) return this.sendJson(res, 404, this.options.errorBody(404, `no route ${recorded.method} ${recorded.path}`));
    try {
      await route.handle(recorded, res, { cutAfterEvents: fault?.kind === 'cut' ? fault.afterEvents : null, mock: this });
    } catch (error) {
      if (!res.headersSent) this.sendJson(res, 500, this.options.errorBody(500, String(error)));
      else res.destroy();
    }
  }

  sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }
}

/**
 * Writes SSE events; when `cutAfter` is set, destroys the socket after that many events so the
 * client sees a stream that ends without its terminator.
 */
export function writeSse(res: http.ServerResponse, events: { event?: string; data: string }[], cutAfter: number | null): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  let sent = 0;
  for (const e of events) {
    if (cutAfter !== null && sent >= cutAfter) {
      // Let what was written reach the client, then drop the connection mid-stream.
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    res.write(`${e.event ? `event: ${e.event}\n` : ''}data: ${e.data}\n\n`);
    sent++;
  }
  res.end();
}
