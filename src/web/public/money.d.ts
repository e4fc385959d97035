// Types of money.js for the tests that import it in Node; the browser loads the .js itself.
export declare const SCALE: number;
export declare function parseAmount(text: string): bigint;
export declare function formatAmount(value: bigint, decimals: number, minDecimals?: number): string;
export declare function displayUsd(value: bigint): string;
export declare function exactUsd(text: string): string;
export declare function toMicros(text: string): number;
export interface UnitDisplay {
  per: bigint;
  label: string;
  block: string;
}
export declare const UNIT_DISPLAY: Record<string, UnitDisplay>;
export interface PriceLine {
  unit: string;
  label: string;
  block: string;
  price: string;
}
export declare function priceLines(pricing: Record<string, string>): PriceLine[];
