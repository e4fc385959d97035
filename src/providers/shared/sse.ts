// Server-sent events framing (https://html.spec.whatwg.org/multipage/server-sent-events.html):
// events are separated by a blank line; `event:` names one, `data:` lines carry it; lines
// starting with ":" are comments (keep-alives).
import { UpstreamError } from '../../errors';
import { toUpstreamError } from './upstream';

export interface SseEvent {
  event: string | null;
  data: string;
}

export async function* readSse(provider: string, body: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<SseEvent> {
  let buffer = '';
  const decoder = new TextDecoder();
  try {
    for await (const chunk of body) {
      buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      let boundary: number;
      while ((boundary = nextBoundary(buffer)) !== -1) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary).replace(/^(\r\n|\r|\n){2}|^\n\n/, '');
        const event = parseBlock(block);
        if (event) yield event;
      }
    }
  } catch (error) {
    throw toUpstreamError(provider, error);
  }
  const tail = parseBlock(buffer);
  if (tail) yield tail;
}

function nextBoundary(buffer: string): number {
  const match = /\r\n\r\n|\n\n|\r\r/.exec(buffer);
  return match ? match.index : -1;
}

function parseBlock(block: string): SseEvent | null {
  let event: string | null = null;
  const data: string[] = [];
  for (const line of block.split(/\r\n|\r|\n/)) {
    if (!line || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length || event ? { event, data: data.join('\n') } : null;
}

/** Thrown when a stream ends before the provider's end-of-stream marker. */
export function truncatedStream(provider: string): UpstreamError {
  return new UpstreamError(provider, 'protocol', `${provider} stream ended before it was complete`);
}
