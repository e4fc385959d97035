// Maps provider ids to their adapters and credentials, and knows which providers are routable:
// a provider with a key (or a keyless local one with a base URL) is enabled; the rest are listed only.
import type { Config } from '../config';
import type { ProviderAdapter, ProviderCredentials } from './types';

export interface ProviderEntry {
  adapter: ProviderAdapter;
  credentials: ProviderCredentials;
  enabled: boolean;
  /** Why a provider is not routable, for people reading /v1/providers. */
  disabledReason: string | null;
}

export class ProviderRegistry {
  private readonly entries = new Map<string, ProviderEntry>();

  constructor(entries: ProviderEntry[]) {
    for (const entry of entries) this.entries.set(entry.adapter.id, entry);
  }

  get(id: string): ProviderEntry | undefined {
    return this.entries.get(id);
  }

  isEnabled(id: string): boolean {
    return this.entries.get(id)?.enabled ?? false;
  }

  list(): ProviderEntry[] {
    return [...this.entries.values()];
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.list().map((e) => e.adapter.close?.()));
  }
}

export function createProviderRegistry(config: Config, adapters: ProviderAdapter[]): ProviderRegistry {
  return new ProviderRegistry(adapters.map((adapter) => entryFor(config, adapter)));
}

function entryFor(config: Config, adapter: ProviderAdapter): ProviderEntry {
  const settings = config.provider(adapter.id);
  const baseUrl = settings.baseUrl ?? adapter.defaultBaseUrl;
  if (settings.baseUrl && !/^https?:\/\/[^\s]+$/.test(settings.baseUrl)) {
    throw new Error(`Invalid configuration: ${envName(adapter.id)}_BASE_URL=${JSON.stringify(settings.baseUrl)}: expected an http(s) URL`);
  }
  const credentials: ProviderCredentials = { apiKey: settings.apiKey, baseUrl, extra: settings.extra };
  let disabledReason: string | null = null;
  if (!baseUrl) disabledReason = `set ${envName(adapter.id)}_BASE_URL`;
  else if (!adapter.keyless && !settings.apiKey) disabledReason = `set ${envName(adapter.id)}_API_KEY`;
  return { adapter, credentials, enabled: disabledReason === null, disabledReason };
}

export function envName(providerId: string): string {
  return providerId.toUpperCase().replace(/-/g, '_');
}
