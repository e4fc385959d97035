// The order offerings are tried in: `provider.order` first when given, then by the asked sort
// (price by default; latency and throughput from real traffic), ties broken by latency, then price.
import type { Offering } from '../catalog/catalog';
import type { Estimate } from './estimate';
import type { ProviderPreferences } from './job';

export interface RankedOffering {
  offering: Offering;
  estimate: Estimate;
}

export interface TrafficStats {
  p50LatencyMs(offering: Offering): number | null;
  /** Median output units per second (tokens/s for chat), null when unknown. */
  throughput(offering: Offering): number | null;
}

export function rankOfferings(items: RankedOffering[], prefs: ProviderPreferences, stats: TrafficStats): RankedOffering[] {
  const latency = (r: RankedOffering) => stats.p50LatencyMs(r.offering) ?? Number.POSITIVE_INFINITY;
  const price = (r: RankedOffering) => r.estimate.customerMicros;
  const throughput = (r: RankedOffering) => stats.throughput(r.offering) ?? -1;
  const bySort = (a: RankedOffering, b: RankedOffering): number => {
    switch (prefs.sort) {
      case 'latency':
        return latency(a) - latency(b) || price(a) - price(b);
      case 'throughput':
        return throughput(b) - throughput(a) || price(a) - price(b);
      default:
        return price(a) - price(b) || latency(a) - latency(b);
    }
  };
  const order = prefs.order ?? [];
  const pinned = (r: RankedOffering) => {
    const at = order.indexOf(r.offering.provider);
    return at === -1 ? order.length : at;
  };
  return [...items].sort((a, b) => pinned(a) - pinned(b) || bySort(a, b) || a.offering.key.localeCompare(b.offering.key));
}
