import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CatalogError, loadCatalog } from '../../src/catalog/load';
import { sampleJobCostMicros } from '../../src/catalog/sample';
import { PROVIDER_IDS, TASKS } from '../../src/catalog/schema';

const FIXTURES = 'test/fixtures/catalog';

describe('the shipped catalog', () => {
  it('validates every file and cross-checks every reference', async () => {
    const catalog = await loadCatalog('catalog');
    expect(catalog.models.length).toBeGreaterThanOrEqual(150);
    for (const offering of catalog.offerings) expect(catalog.modelsById.get(offering.model.id)).toBe(offering.model);
    for (const provider of catalog.providers) expect(PROVIDER_IDS).toContain(provider.id);
  });

  it('holds the minimum number of models per task', async () => {
    const catalog = await loadCatalog('catalog');
    const count = (task: string) => catalog.models.filter((m) => m.task === task).length;
    expect(count('chat')).toBeGreaterThanOrEqual(90);
    expect(count('ocr')).toBeGreaterThanOrEqual(10);
    expect(count('transcription')).toBeGreaterThanOrEqual(12);
    expect(count('speech')).toBeGreaterThanOrEqual(12);
    expect(count('moderation')).toBeGreaterThanOrEqual(8);
    // Only translation models with a sourced price are listed; see the Catalog section of the README.
    expect(count('translation')).toBeGreaterThanOrEqual(7);
  });

  it('sells at least 25 open-weight chat models through two or more providers at different prices', async () => {
    const catalog = await loadCatalog('catalog');
    const multi = catalog.models.filter((m) => {
      const offerings = catalog.offeringsByModel.get(m.id)!;
      return m.task === 'chat' && m.open_weights && new Set(offerings.map(sampleJobCostMicros)).size >= 2;
    });
    expect(multi.length).toBeGreaterThanOrEqual(25);
  });

  it('sells every model through at least one offering with a dated source', async () => {
    const catalog = await loadCatalog('catalog');
    for (const model of catalog.models) expect(catalog.offeringsByModel.get(model.id)!.length, model.id).toBeGreaterThan(0);
    for (const o of catalog.offerings) expect(['provider-page', 'price-map', 'third-party']).toContain(o.source.basis);
  });

  it('lists the local OCR engine as a provider that needs no key and costs nothing', async () => {
    const catalog = await loadCatalog('catalog');
    const tesseract = catalog.providersById.get('tesseract')!;
    expect(tesseract.local).toBe(true);
    expect(tesseract.tasks).toEqual(['ocr']);
    const offering = catalog.offerings.find((o) => o.provider === 'tesseract')!;
    expect(sampleJobCostMicros(offering)).toBe(0);
  });

  it('loads in well under a second once warm', async () => {
    await loadCatalog('catalog');
    const started = performance.now();
    await loadCatalog('catalog');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('loading a catalog', () => {
  it('converts quoted prices to exact integers and narrows limits with the offering\'s own', async () => {
    const catalog = await loadCatalog(`${FIXTURES}/small`);
    const groq = catalog.offerings.find((o) => o.key === 'groq:acme/chat-large')!;
    expect(groq.pricing.input_tokens).toEqual({ nanoUsd: 1_000_000_000n, per: 1_000_000n });
    expect(groq.quote.input_tokens).toEqual({ usd: '1.00', per: 1_000_000 });
    expect(groq.limits).toEqual({ context_length: 32768, max_output_tokens: 8192 });
    const together = catalog.offerings.find((o) => o.key === 'together:acme/chat-large')!;
    expect(together.limits.context_length).toBe(128000);
  });

  it('derives each provider\'s tasks from what it sells and takes its defaults for data policy and regions', async () => {
    const catalog = await loadCatalog(`${FIXTURES}/small`);
    expect(catalog.providersById.get('deepinfra')!.tasks).toEqual(['ocr']);
    const openai = catalog.offerings.find((o) => o.provider === 'openai')!;
    expect(openai.dataPolicy).toEqual({ trains_on_data: false, retention_days: 30 });
    expect(openai.regions).toEqual([]);
    expect(TASKS).toContain(openai.model.task);
  });

  it('rejects an unquoted price with one line naming the file, the path inside it and the reason', async () => {
    const error = await loadCatalog(`${FIXTURES}/broken-price`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CatalogError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toMatch(
      /^test\/fixtures\/catalog\/broken-price\/providers\/groq\.yaml: offerings\[3\]\.pricing\.input_tokens\.usd: expected a quoted decimal string/,
    );
  });
});

describe('cross-checks', () => {
  let dir: string;

  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function brokenCopy(file: string, text: string): Promise<string> {
    dir = await mkdtemp(path.join(tmpdir(), 'catalog-'));
    await cp(`${FIXTURES}/small`, dir, { recursive: true });
    await writeFile(path.join(dir, file), text);
    return dir;
  }

  async function loadError(root: string): Promise<string> {
    const error = await loadCatalog(root).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CatalogError);
    return (error as Error).message;
  }

  const provider = (id: string, offerings: string) =>
    `id: ${id}\nname: X\nhomepage: https://example.com\npricing_url: https://example.com/p\ndata_policy: { trains_on_data: false, retention_days: null }\nofferings:\n${offerings}`;
  const offering = (model: string, pricing = '{ input_tokens: { usd: "1", per: 1000000 }, output_tokens: { usd: "1", per: 1000000 } }') =>
    `  - model: ${model}\n    provider_model_id: x\n    pricing: ${pricing}\n    source: { url: https://example.com/p, as_of: 2026-11-01, basis: price-map }\n`;
  const author = (name: string, ids: string[]) =>
    `author: ${name}\nname: X\nmodels:\n${ids
      .map(
        (id) =>
          `  - { id: ${id}, name: X, task: moderation, description: d, license: MIT, open_weights: true, languages: [en], input_modalities: [text], output_modalities: [text], capabilities: { categories: [hate] } }\n`,
      )
      .join('')}`;

  it('catches an offering for a model no author file defines', async () => {
    const root = await brokenCopy('providers/groq.yaml', provider('groq', offering('acme/nope')));
    expect(await loadError(root)).toBe(`${root}/providers/groq.yaml: offerings[0].model: unknown model "acme/nope" (no author file defines it)`);
  });

  it('catches a model id defined twice', async () => {
    const root = await brokenCopy('models/zeta.yaml', author('zeta', ['zeta/a', 'zeta/a']));
    expect(await loadError(root)).toMatch(/models\/zeta\.yaml: models\[1\]\.id: duplicate model id "zeta\/a"/);
  });

  it('catches a model id that does not start with its author', async () => {
    const root = await brokenCopy('models/zeta.yaml', author('zeta', ['acme/stolen']));
    expect(await loadError(root)).toMatch(/models\/zeta\.yaml: models\[0\]\.id: "acme\/stolen" must start with "zeta\/"/);
  });

  it('catches an author file whose author differs from its file name', async () => {
    const root = await brokenCopy('models/zeta.yaml', author('omega', ['omega/a']));
    expect(await loadError(root)).toMatch(/models\/zeta\.yaml: author: "omega" does not match the file name "zeta"/);
  });

  it('catches the same model offered twice by one provider', async () => {
    const root = await brokenCopy('providers/groq.yaml', provider('groq', offering('acme/chat-large') + offering('acme/chat-large')));
    expect(await loadError(root)).toMatch(/providers\/groq\.yaml: offerings\[1\]\.model: duplicate offering of "acme\/chat-large" by groq/);
  });

  it('catches a provider without an adapter', async () => {
    const root = await brokenCopy('providers/acme-cloud.yaml', provider('acme-cloud', offering('acme/chat-large')));
    expect(await loadError(root)).toMatch(/providers\/acme-cloud\.yaml: id: unknown provider "acme-cloud"/);
  });

  it('catches a price in a unit that makes no sense for the task', async () => {
    const root = await brokenCopy('providers/groq.yaml', provider('groq', offering('acme/chat-large', '{ pages: { usd: "1" } }')));
    expect(await loadError(root)).toMatch(/providers\/groq\.yaml: offerings\[0\]\.pricing\.pages: a chat offering cannot be priced in pages/);
  });

  it('catches unknown fields and YAML syntax errors with their location', async () => {
    let root = await brokenCopy('providers/groq.yaml', provider('groq', offering('acme/chat-large')).replace('name: X', 'name: X\ncolour: red'));
    expect(await loadError(root)).toMatch(/providers\/groq\.yaml: Unrecognized key: "colour"$/);
    await rm(root, { recursive: true, force: true });
    root = await brokenCopy('providers/groq.yaml', 'id: groq\nname: [unclosed\n');
    expect(await loadError(root)).toMatch(/providers\/groq\.yaml: line \d+, column \d+: /);
  });
});
