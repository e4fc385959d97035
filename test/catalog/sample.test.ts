import { describe, expect, it } from 'vitest';
import type { Offering } from '../../src/catalog/catalog';
import { contentSafetyRecords, speechAudioTokens, tokensForCharacters } from '../../src/catalog/conversions';
import { loadCatalog } from '../../src/catalog/load';
import { sampleJobCostMicros, sampleJobUnits } from '../../src/catalog/sample';

let loading: ReturnType<typeof loadCatalog> | null = null;
const byKey = async (key: string): Promise<Offering> => (await (loading ??= loadCatalog('catalog'))).offerings.find((o) => o.key === key)!;

describe('sample jobs', () => {
  it('prices a chat job as 1,000 input and 500 output tokens', async () => {
    const groq = await byKey('groq:openai/gpt-oss-120b');
    expect(sampleJobUnits(groq)).toEqual({ input_tokens: 1000, output_tokens: 500 });
    expect(sampleJobCostMicros(groq)).toBe(150 + 300);
  });

  it('prices a minute of audio per second, per hour or in audio tokens alike', async () => {
    expect(sampleJobCostMicros(await byKey('openai:openai/whisper-1'))).toBe(6000);
    expect(sampleJobCostMicros(await byKey('groq:openai/whisper-large-v3'))).toBe(1850); // 0.111 / 60, half-up
    const tokens = await byKey('openai:openai/gpt-4o-transcribe');
    expect(sampleJobUnits(tokens)).toEqual({ input_tokens: 600, output_tokens: 200 });
    expect(sampleJobCostMicros(tokens)).toBe(1500 + 2000);
  });

  it('prices speech and translation as 1,000 characters', async () => {
    expect(sampleJobCostMicros(await byKey('openai:openai/tts-1'))).toBe(15000);
    expect(sampleJobCostMicros(await byKey('deepl:deepl/translate'))).toBe(25000);
    expect(sampleJobUnits(await byKey('openai:openai/gpt-4o-mini-tts'))).toEqual({ input_tokens: 250, output_tokens: 1389 });
  });

  it('prices moderation as one request of 1,000 characters, one Content Safety record, or guard-model tokens', async () => {
    expect(sampleJobCostMicros(await byKey('openai:openai/omni-moderation-latest'))).toBe(0);
    expect(sampleJobCostMicros(await byKey('azure-content-safety:microsoft/content-safety-text'))).toBe(380);
    const guard = await byKey('deepinfra:meta-llama/llama-guard-4-12b');
    expect(sampleJobUnits(guard)).toEqual({ input_tokens: 500, output_tokens: 10 });
    expect(sampleJobCostMicros(guard)).toBe(90 + 2); // 10 × $0.18/M = 1.8 micro-USD, half-up
  });

  it('prices one OCR page per page, or as page-image tokens on a chat host', async () => {
    expect(sampleJobCostMicros(await byKey('google-cloud:google/cloud-vision-document-text'))).toBe(1500);
    const olmocr = await byKey('deepinfra:allenai/olmocr-7b-0725');
    expect(sampleJobUnits(olmocr)).toEqual({ input_tokens: 1600, output_tokens: 1000 });
  });
});

describe('conversions', () => {
  it('counts characters, audio tokens and Content Safety records the documented way', () => {
    expect(tokensForCharacters(1001)).toBe(251);
    expect(speechAudioTokens(900)).toBe(1250);
    expect(contentSafetyRecords(0)).toBe(1);
    expect(contentSafetyRecords(1000)).toBe(1);
    expect(contentSafetyRecords(1001)).toBe(2);
  });
});
