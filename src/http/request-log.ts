// Request ids and the access log: every request gets an id (the client's x-request-id when it is a
// safe one, else our own), echoed in x-request-id, and one log line when its response ends. The line
// carries the id, method, path (never the query string) and status; no headers, so no key.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { requestIdFrom } from '../ids';
import type { Logger } from '../log';

declare module 'node:http' {
  interface IncomingMessage {
    /** This request's id, set before any route runs. */
    id: string;
  }
}

/**
 * The access log: `logger` without its redaction pass, which costs a walk of every line. These
 * lines hold only the fields written below (id, method, path, status, time), never a header or body.
 */
export function accessLogger(logger: Logger): Logger {
  return logger.child({}, { redact: [] });
}

/** One line per request, written once its response is finished or the client has gone. */
export function requestLog(access: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    logRequest(access, req, res);
    next();
  };
}

/** Gives the request its id and logs its line (on an accessLogger) when the response closes. */
export function logRequest(access: Logger, req: IncomingMessage & { originalUrl?: string }, res: ServerResponse): void {
  const started = performance.now();
  const id = requestIdFrom(req.headers['x-request-id']);
  req.id = id;
  res.setHeader('x-request-id', id);
  res.once('close', () => {
    const path = pathOf(req.originalUrl ?? req.url ?? '/');
    const ms = Math.round(performance.now() - started);
    const fields = { req: { id, method: req.method, url: path }, res: { statusCode: res.statusCode }, responseTime: ms };
    if (!res.writableFinished) access.warn(fields, `${req.method} ${path} aborted after ${ms}ms`);
    else if (res.statusCode >= 500) access.error(fields, `${req.method} ${path} ${res.statusCode} ${ms}ms`);
    else access.info(fields, `${req.method} ${path} ${res.statusCode} ${ms}ms`);
  });
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
