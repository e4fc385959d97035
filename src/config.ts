// The environment, parsed once with zod. A bad value stops start-up with one line naming it.
import { z } from 'zod';
import { parseMarkupPpm } from './catalog/price';

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const decimal = (what: string) =>
  z.string().regex(/^\d{1,6}(\.\d{1,6})?$/, `expected ${what} as a decimal like "0.05"`);

const EnvSchema = z.object({
  PORT: z.coerce.number({ error: 'expected a port number' }).int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  CATALOG_DIR: z.string().min(1).default('./catalog'),
  ADMIN_TOKEN: z.string().min(16, 'expected at least 16 characters').optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'expected a redis:// URL')
    .optional(),
  STRIPE_SECRET_KEY: z.string().min(1).optional(),
  STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
  /** Where the stripe client sends its calls; for tests and proxies ("http://127.0.0.1:12111"). */
  STRIPE_API_BASE: z.url().optional(),
  STRIPE_METER_EVENT_NAME: z.string().min(1).optional(),
  PRICE_MARKUP: decimal('a markup').default('0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Prompts and outputs are never logged unless this is set. */
  LOG_PROMPTS: flag.default(false),
  JSON_BODY_LIMIT: z.string().regex(/^\d+(kb|mb)$/, 'expected a size like "10mb"').default('10mb'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  /**
   * How far the JavaScript heap may grow past what the last full collection kept before the next one
   * runs, in percent; 0 leaves it to V8, which lets a busy gateway's heap grow to several times its
   * live size.
   */
  HEAP_GROWTH_PERCENT: z.coerce.number().int().min(0).max(400).default(40),
  /** Per-attempt upstream timeout and the whole job's deadline. */
  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  JOB_DEADLINE_MS: z.coerce.number().int().positive().default(180_000),
  /** Jobs one API key may have in flight at once, and jobs in flight on this replica; more get 429. */
  MAX_CONCURRENT_JOBS_PER_KEY: z.coerce.number().int().positive().default(128),
  MAX_CONCURRENT_JOBS: z.coerce.number().int().positive().default(1024),
  /** Lets image_url/audio_url reach loopback addresses: for tests only. */
  ALLOW_LOOPBACK_URLS: flag.default(false),
  PUBLIC_URL: z.url().optional(),
});

export interface ProviderSettings {
  apiKey: string | null;
  baseUrl: string | null;
  /** Other `<ID>_*` variables, keyed by the rest of the name in lower case (`AZURE_TRANSLATOR_REGION` → region). */
  extra: Record<string, string>;
}

export type Config = Omit<z.infer<typeof EnvSchema>, 'PRICE_MARKUP'> & {
  priceMarkupPpm: bigint;
  priceMarkup: string;
  /** Looks up `<ID>_API_KEY`, `<ID>_BASE_URL` and friends for a provider id ("azure-translator" → AZURE_TRANSLATOR_*). */
  provider(id: string): ProviderSettings;
};

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset", as in most .env tooling.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '');
      const value = present[name];
      return `${name}=${JSON.stringify(value ?? '')}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const { PRICE_MARKUP, ...rest } = parsed.data;
  return {
    ...rest,
    priceMarkup: PRICE_MARKUP,
    priceMarkupPpm: parseMarkupPpm(PRICE_MARKUP),
    provider: (id) => providerSettings(present, id),
  };
}

function providerSettings(env: Record<string, string | undefined>, id: string): ProviderSettings {
  const prefix = `${id.toUpperCase().replace(/-/g, '_')}_`;
  const extra: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(prefix) || value === undefined) continue;
    const rest = name.slice(prefix.length);
    if (rest !== 'API_KEY' && rest !== 'BASE_URL') extra[rest.toLowerCase()] = value;
  }
  return { apiKey: env[`${prefix}API_KEY`] ?? null, baseUrl: env[`${prefix}BASE_URL`] ?? null, extra };
}
