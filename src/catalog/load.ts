// Reads catalog/models/*.yaml and catalog/providers/*.yaml, validates them against the capability schema,
// cross-checks every reference and turns prices into integers. A bad file stops start-up with one line
// naming the file, the path inside it and the reason.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import type { Catalog, Offering, ProviderInfo } from './catalog';
import { parsePrice, type Pricing, type Unit } from './price';
import {
  AuthorFile,
  type Model,
  type OfferingLimits,
  PROVIDER_IDS,
  ProviderFile,
  TASK_UNITS,
  TASKS,
  type Task,
} from './schema';

export class CatalogError extends Error {
  constructor(
    readonly file: string,
    readonly at: string,
    readonly reason: string,
  ) {
    super(`${file}: ${at ? `${at}: ` : ''}${reason}`);
    this.name = 'CatalogError';
  }
}

export interface LoadOptions {
  /** Provider ids that have adapters; a provider file with another id is rejected. */
  knownProviders?: readonly string[];
}

export async function loadCatalog(dir = 'catalog', options: LoadOptions = {}): Promise<Catalog> {
  const [authorFiles, providerFiles] = await Promise.all([
    readYamlDir(path.join(dir, 'models')),
    readYamlDir(path.join(dir, 'providers')),
  ]);
  const models = collectModels(authorFiles);
  const modelsById = new Map(models.map((m) => [m.id, m]));
  const known = new Set(options.knownProviders ?? PROVIDER_IDS);
  const providers: ProviderInfo[] = [];
  const offerings: Offering[] = [];
  for (const file of providerFiles) {
    const { provider, offerings: own } = collectProvider(file, modelsById, known);
    providers.push(provider);
    offerings.push(...own);
  }
  const offeringsByModel = new Map<string, Offering[]>(models.map((m) => [m.id, []]));
  for (const offering of offerings) offeringsByModel.get(offering.model.id)!.push(offering);
  return {
    models,
    modelsById,
    providers,
    providersById: new Map(providers.map((p) => [p.id, p])),
    offerings,
    offeringsByModel,
  };
}

interface YamlFile {
  /** Path as shown in errors, e.g. catalog/providers/groq.yaml. */
  file: string;
  /** File name without extension: must equal the author or provider id inside. */
  stem: string;
  data: unknown;
}

async function readYamlDir(dir: string): Promise<YamlFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch (err) {
    throw new CatalogError(dir, '', `cannot read the folder (${(err as Error).message})`);
  }
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(dir, name);
      const text = await readFile(file, 'utf8');
      return { file, stem: name.replace(/\.ya?ml$/, ''), data: parseYamlFile(file, text) };
    }),
  );
}

function parseYamlFile(file: string, text: string): unknown {
  try {
    return parseYaml(text);
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const line = err.linePos?.[0];
      const reason = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      throw new CatalogError(file, line ? `line ${line.line}, column ${line.col}` : '', reason);
    }
    throw err;
  }
}

/** Validates with zod and reports the first problem as `file: path.inside[3].field: reason`. */
function validate<S extends z.ZodType>(schema: S, { file, data }: YamlFile): z.infer<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new CatalogError(file, formatPath(issue.path), issue.message);
}

export function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${String(segment)}` : String(segment);
  }
  return out;
}

function collectModels(files: YamlFile[]): Model[] {
  const seen = new Map<string, string>();
  const models: Model[] = [];
  for (const yamlFile of files) {
    const parsed = validate(AuthorFile, yamlFile);
    if (parsed.author !== yamlFile.stem) {
      throw new CatalogError(yamlFile.file, 'author', `"${parsed.author}" does not match the file name "${yamlFile.stem}"`);
    }
    parsed.models.forEach((model, i) => {
      if (!model.id.startsWith(`${parsed.author}/`)) {
        throw new CatalogError(yamlFile.file, `models[${i}].id`, `"${model.id}" must start with "${parsed.author}/"`);
      }
      const first = seen.get(model.id);
      if (first) throw new CatalogError(yamlFile.file, `models[${i}].id`, `duplicate model id "${model.id}" (first defined in ${first})`);
      seen.set(model.id, yamlFile.file);
      models.push(model);
    });
  }
  return models.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function collectProvider(
  yamlFile: YamlFile,
  modelsById: Map<string, Model>,
  known: Set<string>,
): { provider: ProviderInfo; offerings: Offering[] } {
  const parsed = validate(ProviderFile, yamlFile);
  if (parsed.id !== yamlFile.stem) {
    throw new CatalogError(yamlFile.file, 'id', `"${parsed.id}" does not match the file name "${yamlFile.stem}"`);
  }
  if (!known.has(parsed.id)) {
    throw new CatalogError(yamlFile.file, 'id', `unknown provider "${parsed.id}" (no adapter; known: ${[...known].join(', ')})`);
  }
  const offerings: Offering[] = [];
  const seen = new Set<string>();
  parsed.offerings.forEach((entry, i) => {
    const at = `offerings[${i}]`;
    const model = modelsById.get(entry.model);
    if (!model) throw new CatalogError(yamlFile.file, `${at}.model`, `unknown model "${entry.model}" (no author file defines it)`);
    if (seen.has(model.id)) throw new CatalogError(yamlFile.file, `${at}.model`, `duplicate offering of "${model.id}" by ${parsed.id}`);
    seen.add(model.id);
    offerings.push({
      key: `${parsed.id}:${model.id}`,
      provider: parsed.id,
      model,
      providerModelId: entry.provider_model_id,
      pricing: convertPricing(yamlFile.file, at, model.task, entry.pricing),
      quote: entry.pricing,
      limits: { ...modelLimits(model), ...entry.limits },
      dataPolicy: entry.data_policy ?? parsed.data_policy,
      regions: entry.regions ?? parsed.regions,
      source: entry.source,
    });
  });
  const tasks = new Set(offerings.map((o) => o.model.task));
  const provider: ProviderInfo = {
    id: parsed.id,
    name: parsed.name,
    homepage: parsed.homepage,
    pricingUrl: parsed.pricing_url,
    local: parsed.local,
    dataPolicy: parsed.data_policy,
    regions: parsed.regions,
    tasks: TASKS.filter((t) => tasks.has(t)),
  };
  return { provider, offerings };
}

function convertPricing(file: string, at: string, task: Task, quote: ProviderFile['offerings'][number]['pricing']): Pricing {
  const pricing: Pricing = {};
  for (const [unit, price] of Object.entries(quote) as [Unit, { usd: string; per: number }][]) {
    if (!TASK_UNITS[task].includes(unit)) {
      throw new CatalogError(file, `${at}.pricing.${unit}`, `a ${task} offering cannot be priced in ${unit} (allowed: ${TASK_UNITS[task].join(', ')})`);
    }
    try {
      pricing[unit] = parsePrice(price.usd, price.per);
    } catch (err) {
      throw new CatalogError(file, `${at}.pricing.${unit}.usd`, (err as Error).message);
    }
  }
  if (task === 'chat' && (!pricing.input_tokens || !pricing.output_tokens)) {
    throw new CatalogError(file, `${at}.pricing`, 'a chat offering needs both input_tokens and output_tokens prices');
  }
  return pricing;
}

/** The limits a model's capabilities imply; an offering's own limits override them. */
function modelLimits(model: Model): OfferingLimits {
  switch (model.task) {
    case 'chat':
      return { context_length: model.capabilities.context_length, max_output_tokens: model.capabilities.max_output_tokens };
    case 'ocr':
      return { max_pages: model.capabilities.max_pages, max_file_mb: model.capabilities.max_file_mb };
    case 'transcription':
      return { max_duration_seconds: model.capabilities.max_duration_seconds, max_file_mb: model.capabilities.max_file_mb };
    case 'speech':
      return { max_input_characters: model.capabilities.max_input_characters };
    case 'translation':
    case 'moderation':
      return {};
  }
}
