// Browsing the catalog: filter, sort, page and compare, all in memory. What does not depend on the
// request (search text, cheapest sample-job cost, the presorted orders) is computed once per catalog.
import { z } from 'zod';
import { InvalidRequest, NotFound } from '../errors';
import type { Catalog, Offering } from './catalog';
import { formatUsd, parseUsd, type Units } from './price';
import { SAMPLE_JOBS, sampleJobCostMicros, sampleJobUnits } from './sample';
import { LanguageTag, type Model, Task } from './schema';

export const MODEL_SORTS = ['price', 'name', 'context', 'latency'] as const;
export const MAX_PAGE_SIZE = 1000;

const Digits = z.string().regex(/^\d{1,9}$/, 'expected a whole number');

/** Query parameters of GET /v1/models; unknown parameters are ignored, like most list APIs do. */
export const ModelListQuery = z.object({
  task: Task.optional(),
  provider: z.string().min(1).max(64).optional(),
  q: z.string().max(200).optional(),
  language: LanguageTag.optional(),
  max_price: z
    .string()
    .regex(/^\d{1,9}(\.\d{1,6})?$/, 'expected a USD amount like "0.002" (at most 6 decimals)')
    .transform((s) => parseUsd(s))
    .optional(),
  min_context: Digits.transform(Number).optional(),
  open_weights: z.enum(['true', 'false']).transform((s) => s === 'true').optional(),
  sort: z.enum(MODEL_SORTS).optional(),
  limit: Digits.transform(Number)
    .refine((n) => n >= 1 && n <= MAX_PAGE_SIZE, `expected a number from 1 to ${MAX_PAGE_SIZE}`)
    .optional(),
  cursor: z.string().max(200).optional(),
});
export type ModelListQuery = z.output<typeof ModelListQuery>;

/** Parses raw query parameters; a bad value is an InvalidRequest naming the parameter. */
export function parseModelQuery(raw: unknown, catalog?: Catalog): ModelListQuery {
  const query = parseOrThrow(ModelListQuery, raw);
  if (catalog && query.provider !== undefined && !catalog.providersById.has(query.provider)) {
    throw new InvalidRequest(`Unknown provider "${query.provider}".`, 'provider');
  }
  return query;
}

export function parseOrThrow<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const param = issue.path.length > 0 ? String(issue.path[0]) : null;
  throw new InvalidRequest(`Invalid ${param ?? 'query'}: ${issue.message}`, param);
}

interface ModelEntry {
  model: Model;
  search: string;
  providers: Set<string>;
  languages: Set<string>;
  context: number | null;
  offerings: Offering[];
  cheapest: { offering: Offering; micros: number } | null;
}

interface CatalogIndex {
  byId: ModelEntry[];
  byName: ModelEntry[];
  byPrice: ModelEntry[];
  byContext: ModelEntry[];
  entries: Map<string, ModelEntry>;
}

const indexes = new WeakMap<Catalog, CatalogIndex>();

/** Builds (once per catalog) what every query needs; call it at start-up so the first request is fast. */
export function indexCatalog(catalog: Catalog): CatalogIndex {
  const cached = indexes.get(catalog);
  if (cached) return cached;
  const byId = catalog.models.map((model) => entryFor(model, catalog.offeringsByModel.get(model.id) ?? []));
  byId.sort((a, b) => compareText(a.model.id, b.model.id));
  const index: CatalogIndex = {
    byId,
    byName: [...byId].sort((a, b) => compareText(a.model.name.toLowerCase(), b.model.name.toLowerCase()) || compareText(a.model.id, b.model.id)),
    byPrice: [...byId].sort((a, b) => compareNullsLast(a.cheapest?.micros ?? null, b.cheapest?.micros ?? null) || compareText(a.model.id, b.model.id)),
    byContext: [...byId].sort((a, b) => compareNullsLast(negate(a.context), negate(b.context)) || compareText(a.model.id, b.model.id)),
    entries: new Map(byId.map((e) => [e.model.id, e])),
  };
  indexes.set(catalog, index);
  return index;
}

function entryFor(model: Model, offerings: Offering[]): ModelEntry {
  let cheapest: ModelEntry['cheapest'] = null;
  for (const offering of offerings) {
    const micros = sampleJobCostMicros(offering);
    if (!cheapest || micros < cheapest.micros) cheapest = { offering, micros };
  }
  return {
    model,
    search: `${model.id}\n${model.name}\n${model.description}`.toLowerCase(),
    providers: new Set(offerings.map((o) => o.provider)),
    languages: new Set(model.languages),
    context: model.task === 'chat' ? model.capabilities.context_length : null,
    offerings,
    cheapest,
  };
}

export type LatencyOf = (offering: Offering) => number | null;

export interface ModelPage {
  models: Model[];
  has_more: boolean;
  next_cursor: string | null;
}

/** Filters, sorts and pages the catalog's models. Without `limit` every match is returned. */
export function listModels(catalog: Catalog, query: ModelListQuery, latencyOf: LatencyOf = () => null): ModelPage {
  const index = indexCatalog(catalog);
  const words = query.q?.toLowerCase().split(/\s+/).filter(Boolean) ?? [];
  let matches = orderFor(index, query.sort).filter((entry) => matchesFilters(entry, query, words));
  if (query.sort === 'latency') matches = sortByLatency(matches, latencyOf);
  const offset = query.cursor === undefined ? 0 : decodeCursor(query.cursor);
  if (query.limit === undefined) return { models: matches.slice(offset).map((e) => e.model), has_more: false, next_cursor: null };
  const page = matches.slice(offset, offset + query.limit);
  const hasMore = offset + query.limit < matches.length;
  return { models: page.map((e) => e.model), has_more: hasMore, next_cursor: hasMore ? encodeCursor(offset + query.limit) : null };
}

function orderFor(index: CatalogIndex, sort: ModelListQuery['sort']): ModelEntry[] {
  if (sort === 'name') return index.byName;
  if (sort === 'price') return index.byPrice;
  if (sort === 'context') return index.byContext;
  return index.byId;
}

function matchesFilters(entry: ModelEntry, query: ModelListQuery, words: string[]): boolean {
  if (query.task !== undefined && entry.model.task !== query.task) return false;
  if (query.provider !== undefined && !entry.providers.has(query.provider)) return false;
  if (query.open_weights !== undefined && entry.model.open_weights !== query.open_weights) return false;
  if (query.min_context !== undefined && (entry.context === null || entry.context < query.min_context)) return false;
  if (query.max_price !== undefined && (entry.cheapest === null || entry.cheapest.micros > query.max_price)) return false;
  if (query.language !== undefined && !speaks(entry.languages, query.language)) return false;
  return words.every((w) => entry.search.includes(w));
}

/** "pt" matches a model listing "pt-BR" and the reverse; "*" means every language the model was trained on. */
function speaks(languages: Set<string>, tag: string): boolean {
  if (languages.has('*') || languages.has(tag)) return true;
  const base = tag.split('-')[0]!;
  for (const language of languages) if (language.split('-')[0] === base) return true;
  return false;
}

function sortByLatency(entries: ModelEntry[], latencyOf: LatencyOf): ModelEntry[] {
  const latency = new Map<ModelEntry, number | null>();
  for (const entry of entries) {
    let best: number | null = null;
    for (const offering of entry.offerings) {
      const ms = latencyOf(offering);
      if (ms !== null && (best === null || ms < best)) best = ms;
    }
    latency.set(entry, best);
  }
  return [...entries].sort((a, b) => compareNullsLast(latency.get(a)!, latency.get(b)!) || compareText(a.model.id, b.model.id));
}

/** The cursor is opaque to clients: the offset of the next page, so the same query pages on. */
function encodeCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

function decodeCursor(cursor: string): number {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const offset = (parsed as { o?: unknown }).o;
    if (typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0) return offset;
  } catch {
    // fall through to the error below
  }
  throw new InvalidRequest('Invalid cursor: pass the next_cursor of a previous page unchanged.', 'cursor');
}

export interface CheapestOffering {
  offering: Offering;
  units: Units;
  costMicros: number;
}

/** The offering with the lowest sample-job cost for a model, or null when nobody sells it. */
export function cheapestOffering(catalog: Catalog, modelId: string): CheapestOffering | null {
  const cheapest = indexCatalog(catalog).entries.get(modelId)?.cheapest;
  if (!cheapest) return null;
  return { offering: cheapest.offering, units: sampleJobUnits(cheapest.offering), costMicros: cheapest.micros };
}

export const CompareQuery = z.object({
  ids: z
    .string({ error: 'expected a comma-separated list of 2 to 6 model ids' })
    .transform((s) => s.split(',').map((id) => id.trim()).filter(Boolean))
    .refine((ids) => ids.length >= 2 && ids.length <= 6, 'expected 2 to 6 model ids')
    .refine((ids) => new Set(ids).size === ids.length, 'a model id is listed twice'),
});

export interface ModelComparison {
  object: 'model.comparison';
  capability_fields: string[];
  data: {
    id: string;
    name: string;
    task: Task;
    owned_by: string;
    license: string;
    open_weights: boolean;
    languages: string[];
    capabilities: Record<string, unknown>;
    offering_count: number;
    sample_job: string;
    cheapest_offering: { provider: string; provider_model_id: string; units: Units; estimated_cost_usd: string } | null;
  }[];
}

/** Side by side: every capability field of every compared model, null where a model lacks it. */
export function compareModels(catalog: Catalog, ids: string[]): ModelComparison {
  const models = ids.map((id) => {
    const model = catalog.modelsById.get(id);
    if (!model) throw new NotFound(`The model "${id}" does not exist.`, 'model_not_found', 'ids');
    return model;
  });
  const fields = [...new Set(models.flatMap((m) => Object.keys(m.capabilities)))];
  return {
    object: 'model.comparison',
    capability_fields: fields,
    data: models.map((model) => {
      const capabilities = model.capabilities as Record<string, unknown>;
      const cheapest = cheapestOffering(catalog, model.id);
      return {
        id: model.id,
        name: model.name,
        task: model.task,
        owned_by: authorOf(model),
        license: model.license,
        open_weights: model.open_weights,
        languages: model.languages,
        capabilities: Object.fromEntries(fields.map((f) => [f, capabilities[f] ?? null])),
        offering_count: catalog.offeringsByModel.get(model.id)?.length ?? 0,
        sample_job: SAMPLE_JOBS[model.task],
        cheapest_offering: cheapest && {
          provider: cheapest.offering.provider,
          provider_model_id: cheapest.offering.providerModelId,
          units: cheapest.units,
          estimated_cost_usd: formatUsd(cheapest.costMicros),
        },
      };
    }),
  };
}

export function authorOf(model: Model): string {
  return model.id.slice(0, model.id.indexOf('/'));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareNullsLast(a: number | null, b: number | null): number {
  if (a === null) return b === null ? 0 : 1;
  if (b === null) return -1;
  return a - b;
}

function negate(n: number | null): number | null {
  return n === null ? null : -n;
}
