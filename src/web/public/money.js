// Prices arrive as USD-per-unit decimal strings ("0.00000015" per token). Turning them into the units
// people think in (per 1M tokens, per minute of audio) is done on BigInt fixed-point numbers, so no
// binary float ever rounds a price; only the final display rounds, once, half-up.

/** Fixed-point scale: amounts are held as integers of 10^-18 USD. */
export const SCALE = 18;
const ONE = 10n ** BigInt(SCALE);
const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** "0.00000015" → 150000000000n (at SCALE); throws on anything that is not a plain non-negative decimal. */
export function parseAmount(text) {
  const match = DECIMAL.exec(String(text).trim());
  if (!match) throw new Error(`not a decimal amount: ${text}`);
  const fraction = (match[2] ?? '').slice(0, SCALE).padEnd(SCALE, '0');
  return BigInt(match[1]) * ONE + BigInt(fraction);
}

/** Rounds half-up to `decimals` places and formats with thousands separators and at least `minDecimals` places. */
export function formatAmount(value, decimals, minDecimals = 0) {
  const step = 10n ** BigInt(SCALE - decimals);
  const rounded = ((value + step / 2n) / step) * step;
  const whole = (rounded / ONE).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  let fraction = (rounded % ONE).toString().padStart(SCALE, '0').slice(0, decimals).replace(/0+$/, '');
  if (fraction.length < minDecimals) fraction = fraction.padEnd(minDecimals, '0');
  return fraction ? `${whole}.${fraction}` : whole;
}

/**
 * A price for display: cents-and-up amounts to at most 4 decimals ("0.15", "1.50", "2.1235"), smaller
 * ones to 3 significant digits ("0.000623"), so a tiny per-unit price never shows as "$0.00".
 */
export function displayUsd(value) {
  if (value === 0n) return '$0';
  if (value * 100n >= ONE) return `$${formatAmount(value, 4, 2)}`;
  const digits = value.toString().length; // value < 10^16 here, so it has at most 16 digits
  const leadingZeros = SCALE - digits;
  return `$${formatAmount(value, Math.min(SCALE, leadingZeros + 3))}`;
}

/** An amount the API already rounded (a balance or a cost, "12.5" or "0.000623"), shown exactly as given. */
export function exactUsd(text) {
  const value = parseAmount(text);
  const places = (String(text).split('.')[1] ?? '').length;
  return `$${formatAmount(value, Math.max(2, places), 2)}`;
}

/** Micro-USD as a JS number, exact for any amount below 9 billion USD: for chart heights only. */
export function toMicros(text) {
  return Number(parseAmount(text) / 10n ** BigInt(SCALE - 6));
}

/**
 * How each metered unit is shown: `per` units at a time, for the block people quote
 * (a minute of audio is 60 audio seconds).
 */
export const UNIT_DISPLAY = {
  input_tokens: { per: 1_000_000n, label: 'Input', block: '1M tokens' },
  cached_input_tokens: { per: 1_000_000n, label: 'Cached input', block: '1M tokens' },
  output_tokens: { per: 1_000_000n, label: 'Output', block: '1M tokens' },
  pages: { per: 1_000n, label: 'Pages', block: '1,000 pages' },
  audio_seconds: { per: 60n, label: 'Audio', block: 'minute' },
  characters: { per: 1_000_000n, label: 'Characters', block: '1M characters' },
  requests: { per: 1_000n, label: 'Requests', block: '1,000 requests' },
};

const UNIT_ORDER = Object.keys(UNIT_DISPLAY);

/**
 * An offering's `pricing` ({unit: USD per unit}) as display lines in a stable order:
 * [{unit, label, price: "$0.15", block: "1M tokens"}]. Units this page does not know are skipped.
 */
export function priceLines(pricing) {
  const lines = [];
  for (const unit of UNIT_ORDER) {
    const perUnit = pricing[unit];
    if (perUnit === undefined) continue;
    const { per, label, block } = UNIT_DISPLAY[unit];
    lines.push({ unit, label, block, price: displayUsd(parseAmount(perUnit) * per) });
  }
  return lines;
}
