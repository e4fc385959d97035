// Planning a job without HTTP: the cost estimate, the candidate search with its reasons, the ranking,
// and the plan's hold, over the dispatch fixture catalog.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Catalog, Offering } from '../../src/catalog/catalog';
import { Dispatcher, type Attempt } from '../../src/dispatch/dispatcher';
import { estimateJob } from '../../src/dispatch/estimate';
import { findCandidates } from '../../src/dispatch/candidates';
import { loadCatalog } from '../../src/catalog/load';
import { HealthTracker } from '../../src/dispatch/health';
import { ProviderPreferences, UNRESTRICTED, type Job } from '../../src/dispatch/job';
import { rankOfferings, type RankedOffering } from '../../src/dispatch/rank';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { estimatePromptTokens, estimateTextTokens, IMAGE_PART_TOKENS } from '../../src/dispatch/tokens';
import { AllOfferingsFailed, Forbidden, NoOffering, NotFound } from '../../src/errors';
import { ProviderRegistry } from '../../src/providers/registry';
import { callUpstream } from '../../src/providers/shared/upstream';
import type { ProviderAdapter } from '../../src/providers/types';
import { ChatRequest } from '../../src/tasks/chat';
import { MockUpstream } from '../helpers/mock-upstream';
import { dispatchCatalog, FLAT_MODEL, MODEL } from './market';

let catalog: Catalog;
beforeAll(async () => {
  catalog = await dispatchCatalog();
});

function offering(provider: string, model = MODEL): Offering {
  return catalog.offerings.find((o) => o.provider === provider && o.model.id === model)!;
}

function chatJob(overrides: Partial<Job> = {}, measure: Job['measure'] = { promptTokens: 100, maxOutputTokens: 50 }): Job {
  return { task: 'chat', model: MODEL, needs: {}, measure, preferences: ProviderPreferences.parse({}), policy: UNRESTRICTED, ...overrides };
}

const everywhere = { routable: () => true, healthy: () => true };

describe('estimateJob', () => {
  it('prices the prompt plus the asked output budget at the offering price', () => {
    // groq: $1 / $2 per 1M tokens → 100 × 1 + 50 × 2 micro-USD.
    expect(estimateJob(offering('groq'), chatJob(), 0n)).toMatchObject({ units: { input_tokens: 100, output_tokens: 50 }, providerMicros: 200, customerMicros: 200 });
    // deepinfra: $3 / $4 per 1M tokens.
    expect(estimateJob(offering('deepinfra'), chatJob(), 0n).providerMicros).toBe(500);
  });

  it('applies the markup to the customer price only, rounding half up once', () => {
    expect(estimateJob(offering('groq'), chatJob(), 100_000n)).toMatchObject({ providerMicros: 200, customerMicros: 220 });
    // 3 input tokens at 1 micro-USD each, × 1.5 = 4.5 → 5.
    expect(estimateJob(offering('groq'), chatJob({}, { promptTokens: 3, maxOutputTokens: 0 }), 500_000n).customerMicros).toBe(5);
  });

  it("assumes the model's output limit (at most 4,096) when the job sets no max_tokens", () => {
    expect(estimateJob(offering('groq'), chatJob({}, { promptTokens: 0 }), 0n).units.output_tokens).toBe(4096);
    expect(estimateJob(offering('deepinfra', FLAT_MODEL), chatJob({ model: FLAT_MODEL }, { promptTokens: 0 }), 0n).units.output_tokens).toBe(1024);
  });

  it('prices a per-request offering per request, whatever the job size', () => {
    const estimate = estimateJob(offering('deepinfra', FLAT_MODEL), chatJob({ model: FLAT_MODEL }, { promptTokens: 5_000, maxOutputTokens: 900 }), 0n);
    expect(estimate.units.requests).toBe(1);
    expect(estimate.providerMicros).toBe(50_000);
  });
});

describe('estimatePromptTokens', () => {
  it('counts text with a real tokenizer plus per-message overhead', async () => {
    // "hello there\n" is 3 o200k tokens; 3 for the reply primer and 4 for the one message.
    expect(await estimatePromptTokens(ChatRequest.parse({ model: MODEL, messages: [{ role: 'user', content: 'hello there' }] }))).toBe(10);
  });

  it('charges a fixed budget for each image part', async () => {
    const request = ChatRequest.parse({
      model: MODEL,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hello there' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }],
    });
    expect(await estimatePromptTokens(request)).toBe(10 + IMAGE_PART_TOKENS);
  });

  it('estimates very long texts from samples, a little above their real count', async () => {
    const words = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'lazy', 'dog', 'while', 'seven', 'tall', 'trees', 'grow'];
    const prose = Array.from({ length: 80_000 }, (_, i) => words[(i * 7) % words.length] + (i % 11 === 0 ? '.' : '')).join(' ');
    const base64 = randomBytes(150_000).toString('base64');
    const cjk = '東京は日本の首都であり、多くの人々が住んでいます。'.repeat(2_000);
    for (const text of [prose, base64, cjk]) {
      const exact = countTokens(text);
      const estimate = await estimateTextTokens(text);
      expect(estimate, text.slice(0, 20)).toBeGreaterThanOrEqual(exact);
      expect(estimate, text.slice(0, 20)).toBeLessThanOrEqual(Math.ceil(exact * 1.2));
    }
  });

  it('counts tool definitions, and errs high on very long prompts', async () => {
    const plain = ChatRequest.parse({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
    const withTools = ChatRequest.parse({
      ...plain,
      tools: [{ type: 'function', function: { name: 'lookup_weather', description: 'Weather by city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
    });
    expect(await estimatePromptTokens(withTools)).toBeGreaterThan((await estimatePromptTokens(plain)) + 10);
    const long = ChatRequest.parse({ model: MODEL, messages: [{ role: 'user', content: 'lorem ipsum dolor '.repeat(2_000) }] });
    // 6,000 words of ~1 token each; the byte bound says 12,000.
    expect(await estimatePromptTokens(long)).toBeGreaterThanOrEqual(6_000);
  });
});

describe('findCandidates', () => {
  it('keeps every offering of the model that fits, and gives a reason for each one left out', () => {
    const search = findCandidates(catalog, chatJob({ needs: { contextTokens: 10_000 } }), everywhere);
    expect(search.fits.map((o) => o.provider).sort()).toEqual(['deepinfra', 'together']);
    expect(search.excluded).toEqual([{ offering: offering('groq'), reason: 'no offering supports a 10000-token prompt (context 8192)' }]);
  });

  it('leaves out providers the key does not allow, or the request excludes, or that are down or unconfigured', () => {
    const job = chatJob({ policy: { ...UNRESTRICTED, allowedProviders: ['groq', 'together'] }, preferences: ProviderPreferences.parse({ ignore: ['together'] }) });
    expect(findCandidates(catalog, job, everywhere).fits.map((o) => o.provider)).toEqual(['groq']);
    const env = { routable: (o: Offering) => o.provider !== 'groq', healthy: (o: Offering) => o.provider !== 'together' };
    const search = findCandidates(catalog, chatJob(), env);
    expect(search.fits.map((o) => o.provider)).toEqual(['deepinfra']);
    expect(search.excluded.map((e) => e.reason).sort()).toEqual([
      'provider groq is not configured',
      'provider together is unhealthy (circuit open or cooling down)',
    ]);
  });

  it('for "auto" looks at every model of the task the key allows', () => {
    expect(findCandidates(catalog, chatJob({ model: 'auto' }), everywhere).fits).toHaveLength(4);
    const onlyFlat = chatJob({ model: 'auto', policy: { ...UNRESTRICTED, allowedModels: [FLAT_MODEL] } });
    expect(findCandidates(catalog, onlyFlat, everywhere).fits.map((o) => o.model.id)).toEqual([FLAT_MODEL]);
  });

  it('sends subtitles and verbose_json only to models that give segment timings', async () => {
    const real = await loadCatalog('catalog');
    const transcription = (needs: Job['needs']): Job => ({
      task: 'transcription',
      model: 'auto',
      needs: { inputFormat: 'wav', durationSeconds: 60, ...needs },
      measure: { audioSeconds: 60 },
      preferences: ProviderPreferences.parse({}),
      policy: UNRESTRICTED,
    });
    const plain = findCandidates(real, transcription({}), everywhere);
    const untimed = plain.fits.filter((o) => o.model.task === 'transcription' && !o.model.capabilities.timestamps);
    // The catalog has such models (gpt-4o-transcribe answers json and text only): plain text may use them.
    expect(untimed.map((o) => o.model.id)).toContain('openai/gpt-4o-transcribe');
    const timed = findCandidates(real, transcription({ timestamps: true }), everywhere);
    expect(timed.fits.length).toBeGreaterThan(0);
    for (const o of timed.fits) expect(o.model.task === 'transcription' && o.model.capabilities.timestamps, o.model.id).toBe(true);
    expect(timed.excluded.filter((e) => e.reason === 'no offering gives timestamps').map((e) => e.offering.model.id)).toEqual(expect.arrayContaining(untimed.map((o) => o.model.id)));
  });

  it('refuses an unknown model (404), a model of another task (404) and a model the key may not use (403)', () => {
    expect(() => findCandidates(catalog, chatJob({ model: 'acme/nope' }), everywhere)).toThrow(NotFound);
    expect(() => findCandidates(catalog, chatJob({ task: 'ocr' }), everywhere)).toThrow(/is a chat model, not a ocr model/);
    expect(() => findCandidates(catalog, chatJob({ policy: { ...UNRESTRICTED, allowedModels: [FLAT_MODEL] } }), everywhere)).toThrow(Forbidden);
  });
});

describe('rankOfferings', () => {
  const stats = (latency: Record<string, number>, throughput: Record<string, number> = {}) => ({
    p50LatencyMs: (o: Offering) => latency[o.provider] ?? null,
    throughput: (o: Offering) => throughput[o.provider] ?? null,
  });
  const ranked = (prefs: object, s = stats({})): string[] => {
    const items: RankedOffering[] = ['deepinfra', 'together', 'groq'].map((p) => ({ offering: offering(p), estimate: estimateJob(offering(p), chatJob(), 0n) }));
    return rankOfferings(items, ProviderPreferences.parse(prefs), s).map((r) => r.offering.provider);
  };

  it('orders by estimated price by default', () => {
    expect(ranked({})).toEqual(['groq', 'together', 'deepinfra']);
  });

  it('orders by median latency for sort=latency, unknown latency last', () => {
    expect(ranked({ sort: 'latency' }, stats({ groq: 900, deepinfra: 100 }))).toEqual(['deepinfra', 'groq', 'together']);
  });

  it('orders by throughput for sort=throughput, highest first', () => {
    expect(ranked({ sort: 'throughput' }, stats({}, { together: 300, groq: 120 }))).toEqual(['together', 'groq', 'deepinfra']);
  });

  it('puts provider.order first in its own order, the rest after by the sort', () => {
    expect(ranked({ order: ['deepinfra', 'together'] })).toEqual(['deepinfra', 'together', 'groq']);
    expect(ranked({ order: ['together'] })).toEqual(['together', 'groq', 'deepinfra']);
  });

  it('breaks a price tie by latency', () => {
    const a = offering('groq');
    const b = { ...offering('together'), pricing: a.pricing };
    const items = [b, a].map((o) => ({ offering: o, estimate: estimateJob(o, chatJob(), 0n) }));
    expect(rankOfferings(items, ProviderPreferences.parse({}), stats({ groq: 300, together: 100 })).map((r) => r.offering.provider)).toEqual(['together', 'groq']);
  });
});

describe('Dispatcher.plan', () => {
  const adapter = (id: string): ProviderAdapter => ({ id, defaultBaseUrl: 'http://127.0.0.1:9', chat: { chat: async () => { throw new Error('not called'); }, chatStream: async () => { throw new Error('not called'); } } });
  const dispatcher = (markupPpm = 0n, options: { health?: HealthTracker; jobDeadlineMs?: number } = {}) =>
    new Dispatcher({
      catalog,
      providers: new ProviderRegistry(['groq', 'together', 'deepinfra'].map((id) => ({ adapter: adapter(id), credentials: { apiKey: 'k', baseUrl: 'http://127.0.0.1:9', extra: {} }, enabled: true, disabledReason: null }))),
      health: options.health ?? new HealthTracker(),
      markupPpm,
      upstreamTimeoutMs: 5000,
      jobDeadlineMs: options.jobDeadlineMs ?? 5000,
    });

  it('holds the most any candidate it may fall back to could cost', () => {
    const plan = dispatcher().plan(chatJob());
    expect(plan.candidates.map((c) => c.offering.provider)).toEqual(['groq', 'together', 'deepinfra']);
    expect(plan.holdMicros).toBe(500); // deepinfra's estimate, the dearest
  });

  it('holds only the first candidate when fallbacks are off', () => {
    const plan = dispatcher(100_000n).plan(chatJob({ preferences: ProviderPreferences.parse({ allow_fallbacks: false }) }));
    expect(plan.candidates).toHaveLength(1);
    expect(plan.holdMicros).toBe(220);
  });

  it('throws NoOffering naming the reason when nothing fits', () => {
    expect(() => dispatcher().plan(chatJob({ needs: { contextTokens: 40_000 } }))).toThrow(NoOffering);
    expect(() => dispatcher().plan(chatJob({ needs: { contextTokens: 40_000 } }))).toThrow(/40000-token prompt/);
  });

  describe('run', () => {
    let hanging: MockUpstream;
    beforeAll(async () => {
      hanging = await MockUpstream.start({ routes: [], errorBody: (_status, message) => ({ error: { message } }) });
    });
    afterAll(async () => {
      await hanging?.close();
    });
    // A real call over undici to a host that never answers.
    const hang: Attempt<never> = (_candidate, ctx) => {
      hanging.failNext({ kind: 'hang' });
      return callUpstream({ provider: ctx.provider, url: `${hanging.url}/chat/completions`, body: '{}', timeoutMs: ctx.timeoutMs, signal: ctx.signal }) as Promise<never>;
    };

    it('ends a job whose client went away without blaming the provider', async () => {
      const health = new HealthTracker();
      const client = new AbortController();
      setTimeout(() => client.abort(new Error('client went away')), 100);
      const run = dispatcher(0n, { health }).run(dispatcher().plan(chatJob()), hang, { requestId: 'req_gone', job: client });
      await expect(run).rejects.toThrow('The client closed the connection before the job finished.');
      expect(health.offeringView('groq:acme/open-70b')).toMatchObject({ consecutive_failures: 0, calls: 0 });
      expect(health.available('groq:acme/open-70b', 'groq')).toBe(true);
    });

    it('ends a job at its deadline as a timeout (504), whichever attempt it is in', async () => {
      const run = dispatcher(0n, { jobDeadlineMs: 300 }).run(dispatcher().plan(chatJob()), hang, { requestId: 'req_late' });
      await expect(run).rejects.toMatchObject({ code: 'upstream_timeout' });
      await expect(run).rejects.toBeInstanceOf(AllOfferingsFailed);
    });
  });
});
