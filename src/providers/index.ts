// Every provider Switchyard can route to. Adding a provider is adding its folder and one line here.
import type { ProviderAdapter } from './types';

export const ALL_PROVIDERS: ProviderAdapter[] = [];
