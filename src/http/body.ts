// The body of a job request, before its schema reads it: a JSON object (or a form's fields), never
// a bare array or string, and never a content type no parser here reads (which would look empty).
import type { IncomingMessage } from 'node:http';
import typeis from 'type-is';
import { InvalidRequest, UnsupportedMediaType } from '../errors';

/** The media types read as JSON, as express.json reads them here. */
export const JSON_TYPES = ['application/json', 'application/*+json'];

/** The body's fields; `types` are the content types the endpoint reads (JSON by default). */
export function jobFields(req: IncomingMessage & { body?: unknown }, types: string[] = JSON_TYPES): Record<string, unknown> {
  if (typeis(req, types) === false) {
    throw new UnsupportedMediaType(`Send the request as ${types.includes('multipart/form-data') ? 'multipart/form-data or ' : ''}application/json.`);
  }
  const body: unknown = req.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidRequest('The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

export const JSON_OR_FORM = [...JSON_TYPES, 'multipart/form-data'];
