// The page's price arithmetic (src/web/public/money.js, loaded here as the browser loads it): per-unit
// decimal strings become per-1M-token, per-1,000-page and per-minute prices with no float drift.
import { describe, expect, it } from 'vitest';
import { displayUsd, exactUsd, parseAmount, priceLines, toMicros } from '../../src/web/public/money.js';

describe('page prices', () => {
  it('quotes tokens per 1M, pages per 1,000, audio per minute, characters per 1M and requests per 1,000', () => {
    expect(priceLines({ output_tokens: '0.0000006', input_tokens: '0.00000015', cached_input_tokens: '0.000000075' })).toEqual([
      { unit: 'input_tokens', label: 'Input', block: '1M tokens', price: '$0.15' },
      { unit: 'cached_input_tokens', label: 'Cached input', block: '1M tokens', price: '$0.075' },
      { unit: 'output_tokens', label: 'Output', block: '1M tokens', price: '$0.60' },
    ]);
    expect(priceLines({ pages: '0.0015' })[0]!.price).toBe('$1.50');
    expect(priceLines({ audio_seconds: '0.0001' })[0]).toMatchObject({ price: '$0.006', block: 'minute' });
    expect(priceLines({ characters: '0.00002' })[0]).toMatchObject({ price: '$20.00', block: '1M characters' });
    expect(priceLines({ requests: '0.00075' })[0]).toMatchObject({ price: '$0.75', block: '1,000 requests' });
  });

  it('has no float drift where binary floating point has it', () => {
    // 0.00000057 * 1e6 is 0.5700000000000001 in floats; 0.000041666666666 * 60 is 0.00249999999996.
    expect(0.00000057 * 1e6).not.toBe(0.57);
    expect(priceLines({ input_tokens: '0.00000057' })[0]!.price).toBe('$0.57');
    expect(priceLines({ audio_seconds: '0.000041666666666' })[0]!.price).toBe('$0.0025');
    expect(priceLines({ audio_seconds: '0.000208333333333' })[0]!.price).toBe('$0.0125');
    expect(parseAmount('0.000000000000000001')).toBe(1n);
  });

  it('rounds for display once, half-up: 4 decimals from a cent up, 3 significant digits below', () => {
    expect(displayUsd(parseAmount('2.123456'))).toBe('$2.1235');
    expect(displayUsd(parseAmount('1234.5'))).toBe('$1,234.50');
    expect(displayUsd(parseAmount('0.000623'))).toBe('$0.000623');
    expect(displayUsd(parseAmount('0.00012345'))).toBe('$0.000123');
    expect(displayUsd(parseAmount('0.0099996'))).toBe('$0.01');
    expect(displayUsd(0n)).toBe('$0');
  });

  it('shows amounts the API already rounded exactly as given', () => {
    expect(exactUsd('0.000275')).toBe('$0.000275');
    expect(exactUsd('9.995497')).toBe('$9.995497');
    expect(exactUsd('12.5')).toBe('$12.50');
    expect(exactUsd('1000000.00')).toBe('$1,000,000.00');
    expect(toMicros('0.002251')).toBe(2251);
  });

  it('refuses what is not a plain decimal', () => {
    for (const bad of ['-1', '1e-7', 'NaN', '', '0x10', '1.2.3']) expect(() => parseAmount(bad)).toThrow();
  });

  it('calls a zero-priced offering free', () => {
    expect(priceLines({ pages: '0' })).toEqual([{ unit: 'pages', label: 'Pages', block: '1,000 pages', price: '$0' }]);
  });
});
