// Exact money arithmetic for the catalog and the ledger. Prices are decimal strings in the
// catalog files, integers (nano-USD per block of units) in memory, and costs are whole
// micro-USD. No binary floating point touches an amount.

export const UNITS = [
  'input_tokens',
  'output_tokens',
  'cached_input_tokens',
  'characters',
  'pages',
  'audio_seconds',
  'requests',
] as const;
export type Unit = (typeof UNITS)[number];

/** `nanoUsd` nano-USD for every `per` units (a price quoted "per 1M tokens" keeps per = 1,000,000). */
export interface Price {
  nanoUsd: bigint;
  per: bigint;
}
export type Pricing = Partial<Record<Unit, Price>>;
/** Metered quantities; audio seconds may carry milliseconds, every other unit is whole. */
export type Units = Partial<Record<Unit, number>>;

const DECIMAL = /^(\d{1,12})(?:\.(\d{1,12}))?$/;

/** Parses a non-negative decimal string into an integer of 10^-scale units; throws when it does not fit exactly. */
export function parseDecimal(text: string, scale: number): bigint {
  const match = DECIMAL.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a non-negative decimal number`);
  const whole = match[1]!;
  const fraction = match[2] ?? '';
  if (fraction.replace(/0+$/, '').length > scale) {
    throw new Error(`"${text}" has more than ${scale} decimal places`);
  }
  return BigInt(whole + fraction.padEnd(scale, '0'));
}

/** Formats an integer of 10^-scale units as a decimal string without trailing zeros ("0.00059"). */
export function formatDecimal(value: bigint, scale: number, minDecimals = 0): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  let fraction = digits.slice(digits.length - scale).replace(/0+$/, '');
  if (fraction.length < minDecimals) fraction = fraction.padEnd(minDecimals, '0');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

export function parsePrice(usd: string, per: number): Price {
  return { nanoUsd: parseDecimal(usd, 9), per: BigInt(per) };
}

const PRICE_DISPLAY_SCALE = 15;

/** USD per single unit as a decimal string, the way OpenRouter shows pricing ("0.00000059"). */
export function pricePerUnitUsd(price: Price): string {
  const scaled = (price.nanoUsd * 10n ** BigInt(PRICE_DISPLAY_SCALE - 9)) / price.per;
  return formatDecimal(scaled, PRICE_DISPLAY_SCALE);
}

/** USD for a block of `block` units ("per 1M tokens"), as a decimal string rounded to 6 places. */
export function pricePerBlockUsd(price: Price, block: number): string {
  const micro = divideRoundHalfUp(price.nanoUsd * BigInt(block), price.per * 1000n);
  return formatDecimal(micro, 6);
}

function divideRoundHalfUp(numerator: bigint, denominator: bigint): bigint {
  return (numerator * 2n + denominator) / (denominator * 2n);
}

/** Markup as parts per million: "0.05" → 50,000. */
export function parseMarkupPpm(text: string): bigint {
  return parseDecimal(text, 6);
}

/**
 * The exact cost of `units` at `pricing`, times (1 + markup), rounded half-up once to whole micro-USD.
 * Units without a price cost nothing.
 */
export function costMicros(units: Units, pricing: Pricing, markupPpm = 0n): number {
  let numerator = 0n;
  let denominator = 1n;
  for (const unit of UNITS) {
    const quantity = units[unit];
    const price = pricing[unit];
    if (!quantity || !price) continue;
    // quantity in thousandths so fractional audio seconds stay exact.
    const milli = BigInt(Math.round(quantity * 1000));
    const termDen = price.per * 1000n;
    numerator = numerator * termDen + milli * price.nanoUsd * denominator;
    denominator *= termDen;
  }
  const withMarkup = numerator * (1_000_000n + markupPpm);
  // nano → micro is a further /1000, markup ppm a further /1e6.
  return Number(divideRoundHalfUp(withMarkup, denominator * 1000n * 1_000_000n));
}

export function formatUsd(micros: number | bigint): string {
  return formatDecimal(BigInt(micros), 6, 2);
}

/** Parses a USD amount given by a person ("12.50") into micro-USD; rejects more than 6 decimals. */
export function parseUsd(text: string): number {
  const micros = parseDecimal(text, 6);
  if (micros > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`"${text}" is too large`);
  return Number(micros);
}
