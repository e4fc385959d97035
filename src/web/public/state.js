// What several views share: the server's page settings, the providers with their live health, and the
// models picked for comparison (kept per tab in sessionStorage so a reload keeps the pick).
import { api } from './api.js';

export const MAX_COMPARE = 4;
const COMPARE_ITEM = 'switchyard.compare';

let configPromise = null;

/** {stripe_enabled} from the gateway; fetched once. */
export function pageConfig() {
  configPromise ??= api('/web/config.json').catch(() => ({ stripe_enabled: false }));
  return configPromise;
}

let providers = new Map();
const providerListeners = new Set();

/** Refetches /v1/providers and tells every listener; the catalog polls this while it is on screen. */
export async function refreshProviders() {
  const list = await api('/v1/providers');
  providers = new Map(list.data.map((p) => [p.id, p]));
  for (const listener of providerListeners) listener(providers);
  return providers;
}

export function onProviders(listener) {
  providerListeners.add(listener);
  return () => providerListeners.delete(listener);
}

export function providerName(id) {
  return providers.get(id)?.name ?? id;
}

/** [{id, name}] in the order they were picked. */
export function compareSelection() {
  try {
    const parsed = JSON.parse(sessionStorage.getItem(COMPARE_ITEM) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((m) => typeof m?.id === 'string').slice(0, MAX_COMPARE) : [];
  } catch {
    return [];
  }
}

const compareListeners = new Set();

export function setCompareSelection(models) {
  sessionStorage.setItem(COMPARE_ITEM, JSON.stringify(models.slice(0, MAX_COMPARE)));
  for (const listener of compareListeners) listener(compareSelection());
}

/** Adds or removes a model; answers false when adding would pass the limit. */
export function toggleCompare(model, picked) {
  const current = compareSelection().filter((m) => m.id !== model.id);
  if (picked) {
    if (current.length >= MAX_COMPARE) return false;
    current.push({ id: model.id, name: model.name });
  }
  setCompareSelection(current);
  return true;
}

export function onCompareChange(listener) {
  compareListeners.add(listener);
  return () => compareListeners.delete(listener);
}
