import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';

describe('configuration', () => {
  it('has working defaults with an empty environment', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(8080);
    expect(config.DATA_DIR).toBe('./data');
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.priceMarkupPpm).toBe(0n);
    expect(config.HEAP_GROWTH_PERCENT).toBe(40);
  });

  it('takes a heap growth bound from 0 (V8 decides) to 400 percent', () => {
    expect(loadConfig({ HEAP_GROWTH_PERCENT: '0' }).HEAP_GROWTH_PERCENT).toBe(0);
    expect(() => loadConfig({ HEAP_GROWTH_PERCENT: '-5' })).toThrowError(/HEAP_GROWTH_PERCENT="-5"/);
    expect(() => loadConfig({ HEAP_GROWTH_PERCENT: '20%' })).toThrowError(/HEAP_GROWTH_PERCENT="20%"/);
  });

  it('names every bad variable in one line', () => {
    expect(() => loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' })).toThrowError(ConfigError);
    try {
      loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).not.toContain('\n');
      expect(message).toContain('PORT="abc"');
      expect(message).toContain('LOG_LEVEL="loud"');
      expect(message).toContain('DATABASE_URL="mysql://x"');
    }
  });

  it('parses the markup exactly and rejects a negative or non-numeric one', () => {
    expect(loadConfig({ PRICE_MARKUP: '0.05' }).priceMarkupPpm).toBe(50_000n);
    expect(() => loadConfig({ PRICE_MARKUP: '-0.1' })).toThrow(/PRICE_MARKUP/);
    expect(() => loadConfig({ PRICE_MARKUP: 'NaN' })).toThrow(/PRICE_MARKUP/);
  });

  it('finds provider keys, base URLs and extra settings by provider id', () => {
    const config = loadConfig({
      AZURE_TRANSLATOR_API_KEY: 'k',
      AZURE_TRANSLATOR_REGION: 'westeurope',
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
    });
    expect(config.provider('azure-translator')).toEqual({ apiKey: 'k', baseUrl: null, extra: { region: 'westeurope' } });
    expect(config.provider('openai')).toEqual({ apiKey: null, baseUrl: 'http://127.0.0.1:9/v1', extra: {} });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).PORT).toBe(8080);
  });
});
