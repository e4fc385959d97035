// Fuzz inputs generated from the routes' own zod schemas (via zod's JSON Schema output, which names
// every field, type, bound and enum): random and boundary values for every field, wrong types,
// nulls, huge and hostile strings, deep nesting, extra and prototype-polluting fields, whole bodies
// of the wrong shape. A seeded PRNG makes every run the same.
import { z } from 'zod';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = Record<string, any>;

/** mulberry32: small, fast, good enough for choosing test cases. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Fuzzer {
  constructor(readonly random: () => number) {}

  int(max: number): number {
    return Math.floor(this.random() * max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  /** Values no field should choke on: boundaries, wrong types, hostile strings. */
  hostile(): Json {
    const kinds: (() => Json)[] = [
      () => '',
      () => ' ',
      () => 'x'.repeat(this.pick([256, 4_096, 70_000])),
      () => '\u0000\u0001\u0002\u001f\u007f',
      () => '\ud800',
      () => '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀 \u202e\u200b مرحبا 你好',
      () => "'; drop table accounts; --",
      () => '<script>alert(1)</script>',
      () => '../../../../etc/passwd',
      () => '%00%0d%0a',
      () => '${jndi:ldap://x}',
      () => this.pick(['NaN', 'Infinity', '-Infinity', '-1', '0', '1e309', '0x10', '1_000', '١٢٣', '-0', '00012', '1.0000001']),
      () => this.pick([0, -0, -1, 1, 0.5, -0.5, 1e-7, 2 ** 31, 2 ** 53, 2 ** 53 + 2, -(2 ** 63), 1e308, -1e308, 123.456]),
      () => this.pick([true, false]),
      () => null,
      () => [],
      () => ({}),
      () => [null, 1, 'a', {}],
      () => this.nested(this.pick([10, 200, 2_000])),
      () => JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}') as Json,
      () => Array.from({ length: this.pick([100, 5_000]) }, (_, i) => i),
      () => '2026-13-45T25:61:61Z',
      () => 'sy_live_' + 'A'.repeat(32),
    ];
    return this.pick(kinds)();
  }

  nested(depth: number): Json {
    let value: Json = 'deep';
    for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
    return value;
  }

  /** A value for `schema`: mostly plausible, sometimes at or past its bounds. */
  fromSchema(schema: Schema, depth = 0): Json {
    if (depth > 6) return null;
    if (schema.const !== undefined) return schema.const as Json;
    if (Array.isArray(schema.enum)) return this.chance(0.9) ? (this.pick(schema.enum) as Json) : `${this.pick(schema.enum)}-not`;
    const options = schema.anyOf ?? schema.oneOf;
    if (Array.isArray(options)) return this.fromSchema(this.pick(options), depth + 1);
    if (Array.isArray(schema.allOf) && schema.allOf.length) return this.fromSchema(schema.allOf[0], depth + 1);
    const type = Array.isArray(schema.type) ? this.pick(schema.type) : schema.type;
    switch (type) {
      case 'object': {
        const out: Record<string, Json> = {};
        const required = new Set<string>(schema.required ?? []);
        for (const [name, sub] of Object.entries<Schema>(schema.properties ?? {})) {
          if (required.has(name) || this.chance(0.5)) out[name] = this.fromSchema(sub, depth + 1);
        }
        return out;
      }
      case 'array': {
        const min = schema.minItems ?? 0;
        const max = Math.min(schema.maxItems ?? 4, min + 4);
        const length = this.chance(0.1) ? max + 1 : min + this.int(max - min + 1);
        return Array.from({ length }, () => this.fromSchema(schema.items ?? {}, depth + 1));
      }
      case 'string': {
        if (schema.format === 'date-time') return this.pick(['2026-01-01T00:00:00Z', '2026-01-01T00:00:00+02:00', '1970-01-01T00:00:00Z', 'yesterday']);
        if (schema.format === 'date') return this.pick(['2026-01-01', '2026-02-30']);
        if (schema.format === 'uri') return this.pick(['https://example.test/x', 'ftp://x', 'not a url']);
        const min = schema.minLength ?? 0;
        const max = schema.maxLength ?? 40;
        const length = this.chance(0.1) ? max + 1 : Math.min(max, min + this.int(12));
        return 'abcdefghij klmnopqrstuvwxyz'.repeat(Math.ceil((length + 1) / 27)).slice(0, length);
      }
      case 'integer':
      case 'number': {
        const min = schema.minimum ?? schema.exclusiveMinimum ?? -1_000;
        const max = schema.maximum ?? schema.exclusiveMaximum ?? 1_000_000;
        const edges = [min, max, min - 1, max + 1, 0];
        const value = this.chance(0.3) ? this.pick(edges) : min + this.random() * (max - min);
        return type === 'integer' && this.chance(0.9) ? Math.round(value) : value;
      }
      case 'boolean':
        return this.chance(0.5);
      case 'null':
        return null;
      default:
        return this.hostile();
    }
  }

  /** One fuzz case for an endpoint: a mutation of a valid body, or a body made from the schema. */
  body(schema: Schema, base: Record<string, Json>): Json {
    const roll = this.random();
    if (roll < 0.05) return this.hostile();
    if (roll < 0.3) return this.fromSchema(schema);
    const body = structuredClone(base);
    const fields = Object.keys(schema.properties ?? {});
    const mutations = 1 + this.int(3);
    for (let i = 0; i < mutations; i++) {
      const action = this.random();
      const field = fields.length ? this.pick(fields) : 'x';
      if (action < 0.45) body[field] = this.hostile();
      else if (action < 0.65) body[field] = this.fromSchema(schema.properties?.[field] ?? {});
      else if (action < 0.75) delete body[field];
      else if (action < 0.85) body[this.pick(['extra', '__proto__', 'constructor', 'model ', 'MODEL', ''])] = this.hostile();
      else mutateDeep(this, body);
    }
    return body;
  }
}

/** Replaces a value somewhere inside the body (inside messages, provider, lists…). */
function mutateDeep(f: Fuzzer, value: Json): void {
  let node: Json = value;
  for (let depth = 0; depth < 5; depth++) {
    if (Array.isArray(node) && node.length) {
      const i = f.int(node.length);
      if (f.chance(0.4) || typeof node[i] !== 'object' || node[i] === null) return void (node[i] = f.hostile());
      node = node[i]!;
    } else if (node && typeof node === 'object' && !Array.isArray(node) && Object.keys(node).length) {
      const key = f.pick(Object.keys(node));
      const child: Json = node[key]!;
      if (f.chance(0.4) || typeof child !== 'object' || child === null) return void (node[key] = f.hostile());
      node = child;
    } else return;
  }
}

/** The JSON Schema of a route's zod schema, as a client would send it. */
export function jsonSchemaOf(schema: z.ZodType): Schema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Schema;
}

/** Query strings from a zod object of query parameters: every value a string, some repeated, some hostile. */
export function queryFrom(f: Fuzzer, schema: Schema, base: Record<string, string>): string {
  const params = new URLSearchParams(base);
  const fields = Object.keys(schema.properties ?? {});
  for (let i = 0, n = 1 + f.int(3); i < n; i++) {
    const field = fields.length ? f.pick(fields) : 'q';
    const value = f.chance(0.5) ? f.fromSchema(schema.properties?.[field] ?? {}) : f.hostile();
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    if (f.chance(0.15)) params.append(field, text);
    else params.set(field, text);
    if (f.chance(0.05)) params.set(f.pick(['__proto__', 'constructor', 'x[y]', 'a.b']), text);
  }
  return params.toString();
}
