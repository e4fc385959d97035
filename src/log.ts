// One pino logger. Keys, tokens and provider credentials never reach the output: headers that carry
// them are redacted, and bodies (prompts) are only logged when LOG_PROMPTS is set.
import pino, { type Logger } from 'pino';

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["api-key"]',
  'req.headers["xi-api-key"]',
  'req.headers["ocp-apim-subscription-key"]',
  'req.headers["x-goog-api-key"]',
  'req.headers["stripe-signature"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.apiKey',
  '*.api_key',
  '*.key',
  '*.token',
  '*.secret',
  '*.authorization',
];

/** Buffered lines are written at least this often, so a quiet server's lines are not held back. */
const FLUSH_EVERY_MS = 250;

/**
 * Lines go to stdout without blocking the request that logged them (pino's asynchronous mode):
 * they are buffered and written 4 KB at a time, in one system call on libuv's thread pool. Written
 * line by line, the access log alone cost such a write, and the wakeup of a pool thread, for every
 * other request under load. A timer writes what is buffered every 250 ms; pino writes what is left
 * synchronously when the process exits. A given `destination` (tests) is written to as it is.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  let unwritten = false;
  const logger = pino(
    {
      level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { service: 'switchyard' },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: {
        streamWrite: (line) => {
          unwritten = true;
          return line;
        },
      },
    },
    destination ?? pino.destination({ dest: 1, sync: false, minLength: 4096 }),
  );
  if (!destination) {
    setInterval(() => {
      if (!unwritten) return;
      unwritten = false;
      logger.flush();
    }, FLUSH_EVERY_MS).unref();
  }
  return logger;
}

export type { Logger };
