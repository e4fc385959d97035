// The loaded catalog as the rest of Switchyard sees it: validated, cross-checked, prices in integers.
import type { Pricing } from './price';
import type { DataPolicy, Model, OfferingLimits, PriceBasis, PricingQuote, Task } from './schema';

export interface Offering {
  /** `<provider>:<model id>`, unique in the catalog. */
  key: string;
  provider: string;
  model: Model;
  providerModelId: string;
  /** Integer prices used for every computation. */
  pricing: Pricing;
  /** The prices as written in the catalog file, for display. */
  quote: PricingQuote;
  /** The model's limits narrowed by the offering's own. */
  limits: OfferingLimits;
  dataPolicy: DataPolicy;
  regions: string[];
  /** Where the price was read; `basis` says whether the provider's own page confirmed it. */
  source: { url: string; as_of: string; basis?: PriceBasis; note?: string };
}

export interface ProviderInfo {
  id: string;
  name: string;
  homepage: string;
  pricingUrl: string;
  local: boolean;
  dataPolicy: DataPolicy;
  regions: string[];
  tasks: Task[];
}

export interface Catalog {
  models: Model[];
  modelsById: Map<string, Model>;
  providers: ProviderInfo[];
  providersById: Map<string, ProviderInfo>;
  offerings: Offering[];
  offeringsByModel: Map<string, Offering[]>;
}
