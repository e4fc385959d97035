// Files sent inside a JSON body: base64 text, or a data: URL around it. The declared MIME type of a
// data: URL is ignored (the inspectors read the real one from the bytes); the size is checked from
// the text's length before anything is decoded.
import { InvalidRequest, PayloadTooLarge } from '../../errors';

export interface InlineOptions {
  /** The request field the text came from, named in errors. */
  param: string;
  maxBytes: number;
}

const BASE64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;

/** Standard or URL-safe base64, whitespace allowed; with or without padding. */
export function decodeBase64(text: string, options: InlineOptions): Buffer {
  // Whitespace only adds length, so an over-long text may still decode to few enough bytes: check
  // the estimate after stripping it, but refuse text that cannot fit even with it.
  if (text.length > options.maxBytes * 2 + 1024) throw tooLarge(options);
  const compact = text.replace(/\s+/g, '');
  if (Math.floor((compact.length * 3) / 4) - padding(compact) > options.maxBytes) throw tooLarge(options);
  if (!BASE64.test(compact) || compact.length % 4 === 1) {
    throw new InvalidRequest(`${options.param} is not valid base64.`, options.param);
  }
  const bytes = Buffer.from(compact, 'base64');
  if (bytes.length === 0) throw new InvalidRequest(`${options.param} is empty.`, options.param);
  return bytes;
}

export function isDataUrl(value: string): boolean {
  return /^\s*data:/i.test(value);
}

/** `data:[<type>][;params];base64,<data>`; only the base64 form carries binary files intact. */
export function decodeDataUrl(url: string, options: InlineOptions): Buffer {
  const comma = url.indexOf(',');
  const header = comma < 0 ? '' : url.slice(0, comma).trim();
  if (comma < 0 || !/^data:/i.test(header)) {
    throw new InvalidRequest(`${options.param} is not a valid data: URL.`, options.param);
  }
  if (!/;base64$/i.test(header)) {
    throw new InvalidRequest(`${options.param}: a data: URL must be base64-encoded (data:<type>;base64,…).`, options.param);
  }
  return decodeBase64(url.slice(comma + 1), options);
}

function padding(text: string): number {
  return text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
}

function tooLarge(options: InlineOptions): PayloadTooLarge {
  return new PayloadTooLarge(`${options.param} is larger than ${options.maxBytes} bytes.`, options.param);
}
