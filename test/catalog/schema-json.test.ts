import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CATALOG_SCHEMA_PATH, catalogJsonSchema } from '../../src/catalog/write-json-schema';

describe('catalog/schema.json', () => {
  it('matches the zod schemas (run `npm run catalog:schema` after changing src/catalog/schema.ts)', async () => {
    expect(await readFile(CATALOG_SCHEMA_PATH, 'utf8')).toBe(catalogJsonSchema());
  });

  it('describes both kinds of catalog file for editors', () => {
    const schema = JSON.parse(catalogJsonSchema()) as { anyOf: { properties: Record<string, unknown> }[] };
    expect(schema.anyOf.map((s) => Object.keys(s.properties))).toEqual([
      expect.arrayContaining(['author', 'models']),
      expect.arrayContaining(['id', 'offerings', 'data_policy']),
    ]);
  });
});
