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

/**
 * Lines go to stdout without blocking the request that logged them: a write in flight takes every
 * line queued behind it in one system call, and pino writes what is left synchronously on exit.
 */
export function createLogger(level: string, destination: pino.DestinationStream = pino.destination({ dest: 1, sync: false })): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { service: 'switchyard' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

export type { Logger };
