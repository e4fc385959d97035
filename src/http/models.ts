// The catalog over HTTP (mounted under /v1, no key needed): an OpenAI-compatible model list with the
// catalog's fields, one model with its offerings' live health, a side-by-side comparison, the providers.
import express from 'express';
import type { Catalog, Offering } from '../catalog/catalog';
import { pricePerUnitUsd, type Unit } from '../catalog/price';
import {
  authorOf,
  CompareQuery,
  compareModels,
  indexCatalog,
  listModels,
  parseModelQuery,
  parseOrThrow,
} from '../catalog/query';
import type { Model } from '../catalog/schema';
import { NotFound } from '../errors';

/** Live state the dispatcher supplies; `health` is its own object, passed through to the JSON as given. */
export interface CatalogStatus {
  offering(o: Offering): { enabled: boolean; health: unknown; p50_latency_ms: number | null };
  provider(id: string): { enabled: boolean; health: unknown };
}

export function modelsRouter(deps: { catalog: Catalog; status: CatalogStatus }): express.Router {
  const { catalog, status } = deps;
  indexCatalog(catalog);
  const router = express.Router();

  router.get('/models', (req, res) => {
    const query = parseModelQuery(req.query, catalog);
    const page = listModels(catalog, query, (o) => status.offering(o).p50_latency_ms);
    const body: Record<string, unknown> = { object: 'list', data: page.models.map((m) => modelJson(catalog, status, m)) };
    if (query.limit !== undefined) {
      body.has_more = page.has_more;
      body.next_cursor = page.next_cursor;
    }
    res.json(body);
  });

  // Registered before /models/:author/:name, which would otherwise take "compare" for an author.
  router.get('/models/compare', (req, res) => {
    const { ids } = parseOrThrow(CompareQuery, req.query);
    res.json(compareModels(catalog, ids));
  });

  const retrieve = (id: string, res: express.Response) => {
    const model = catalog.modelsById.get(id.toLowerCase());
    if (!model) throw new NotFound(`The model "${id}" does not exist.`, 'model_not_found', 'model');
    res.json(modelJson(catalog, status, model));
  };
  router.get('/models/:author/:name', (req, res) => retrieve(`${req.params.author}/${req.params.name}`, res));
  // The OpenAI SDK's models.retrieve() sends the id as one path segment with the slash encoded (%2F).
  router.get('/models/:id', (req, res) => retrieve(req.params.id, res));

  router.get('/providers', (_req, res) => {
    res.json({
      object: 'list',
      data: catalog.providers.map((p) => {
        const live = status.provider(p.id);
        return {
          id: p.id,
          object: 'provider',
          name: p.name,
          homepage: p.homepage,
          pricing_url: p.pricingUrl,
          local: p.local,
          enabled: live.enabled,
          tasks: p.tasks,
          offering_count: catalog.offerings.filter((o) => o.provider === p.id).length,
          data_policy: p.dataPolicy,
          regions: p.regions,
          health: live.health,
        };
      }),
    });
  });

  return router;
}

function modelJson(catalog: Catalog, status: CatalogStatus, model: Model) {
  return {
    id: model.id,
    object: 'model' as const,
    created: model.release_date ? Math.floor(Date.parse(`${model.release_date}T00:00:00Z`) / 1000) : 0,
    owned_by: authorOf(model),
    name: model.name,
    description: model.description,
    task: model.task,
    license: model.license,
    open_weights: model.open_weights,
    languages: model.languages,
    input_modalities: model.input_modalities,
    output_modalities: model.output_modalities,
    release_date: model.release_date ?? null,
    links: model.links ?? {},
    capabilities: model.capabilities,
    offerings: (catalog.offeringsByModel.get(model.id) ?? []).map((o) => offeringJson(status, o)),
  };
}

function offeringJson(status: CatalogStatus, offering: Offering) {
  const live = status.offering(offering);
  const pricing: Record<string, string> = {};
  for (const [unit, price] of Object.entries(offering.pricing) as [Unit, NonNullable<Offering['pricing'][Unit]>][]) {
    pricing[unit] = pricePerUnitUsd(price);
  }
  return {
    provider: offering.provider,
    provider_model_id: offering.providerModelId,
    pricing,
    limits: offering.limits,
    data_policy: offering.dataPolicy,
    regions: offering.regions,
    enabled: live.enabled,
    health: live.health,
    p50_latency_ms: live.p50_latency_ms,
    source: offering.source,
  };
}
