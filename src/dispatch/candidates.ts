// Which offerings can serve a job: the asked model's (or, for "auto", every model of the task's),
// whose capabilities fit the job, whose provider is enabled and healthy, and which the key and the
// request's preferences allow. Each offering left out keeps a reason, so a 422 can say why.
import type { Catalog, Offering } from '../catalog/catalog';
import { Forbidden, NotFound } from '../errors';
import type { Job, JobNeeds } from './job';

export interface Exclusion {
  offering: Offering;
  reason: string;
}

export interface CandidateSearch {
  fits: Offering[];
  excluded: Exclusion[];
}

export interface CandidateEnvironment {
  /** True when the provider is configured (key or local) and has an adapter for the task. */
  routable(offering: Offering): boolean;
  /** False while the offering's or its provider's breaker is open or a cooldown runs. */
  healthy(offering: Offering): boolean;
}

export function findCandidates(catalog: Catalog, job: Job, env: CandidateEnvironment): CandidateSearch {
  const offerings = offeringsFor(catalog, job);
  const fits: Offering[] = [];
  const excluded: Exclusion[] = [];
  for (const offering of offerings) {
    const reason =
      unmetNeed(offering, job.needs, job.model === 'auto') ??
      disallowed(offering, job) ??
      (env.routable(offering) ? null : `provider ${offering.provider} is not configured`) ??
      (env.healthy(offering) ? null : `provider ${offering.provider} is unhealthy (circuit open or cooling down)`);
    if (reason) excluded.push({ offering, reason });
    else fits.push(offering);
  }
  return { fits, excluded };
}

function offeringsFor(catalog: Catalog, job: Job): Offering[] {
  const allowedModels = job.policy.allowedModels;
  if (job.model === 'auto') {
    return catalog.offerings.filter((o) => o.model.task === job.task && (!allowedModels || allowedModels.includes(o.model.id)));
  }
  const model = catalog.modelsById.get(job.model.toLowerCase());
  if (!model) throw new NotFound(`The model "${job.model}" does not exist.`, 'model_not_found', 'model');
  if (model.task !== job.task) {
    throw new NotFound(`The model "${job.model}" is a ${model.task} model, not a ${job.task} model.`, 'model_not_found', 'model');
  }
  if (allowedModels && !allowedModels.includes(model.id)) throw new Forbidden(`This API key may not use the model "${model.id}".`);
  return catalog.offeringsByModel.get(model.id) ?? [];
}

function disallowed(offering: Offering, job: Job): string | null {
  const { allowedProviders } = job.policy;
  if (allowedProviders && !allowedProviders.includes(offering.provider)) return `the API key does not allow provider ${offering.provider}`;
  const prefs = job.preferences;
  if (prefs.only && !prefs.only.includes(offering.provider)) return `provider ${offering.provider} is not in provider.only`;
  if (prefs.ignore?.includes(offering.provider)) return `provider ${offering.provider} is in provider.ignore`;
  if (prefs.order && !prefs.allow_fallbacks && !prefs.order.includes(offering.provider)) {
    return `provider ${offering.provider} is not in provider.order and fallbacks are off`;
  }
  if (prefs.data_collection === 'deny' && offering.dataPolicy.trains_on_data) return `provider ${offering.provider} may train on data`;
  return null;
}

/** The first need this offering cannot meet, as words for an error message, or null when it fits. */
export function unmetNeed(offering: Offering, needs: JobNeeds, modelIsAuto: boolean): string | null {
  const model = offering.model;
  const limits = offering.limits;
  const maxFileMb = limits.max_file_mb;
  if (needs.fileBytes !== undefined && maxFileMb !== undefined && needs.fileBytes > maxFileMb * 1024 * 1024) {
    return `no offering accepts files over ${maxFileMb} MB`;
  }
  switch (model.task) {
    case 'chat': {
      const caps = model.capabilities;
      const context = limits.context_length ?? caps.context_length;
      if (needs.contextTokens !== undefined && needs.contextTokens > context) return `no offering supports a ${needs.contextTokens}-token prompt (context ${context})`;
      if (needs.tools && !caps.tools) return 'no offering supports tools';
      if (needs.vision && !caps.vision) return 'no offering supports image input';
      if (needs.jsonMode && !caps.json_mode) return 'no offering supports JSON mode';
      if (needs.structuredOutput && !caps.structured_output) return 'no offering supports structured output';
      if (needs.streaming && !caps.streaming) return 'no offering supports streaming';
      return null;
    }
    case 'ocr': {
      const caps = model.capabilities;
      if (needs.inputFormat && !(caps.input_formats as string[]).includes(needs.inputFormat)) return `no offering reads ${needs.inputFormat} files`;
      const maxPages = limits.max_pages ?? caps.max_pages;
      if (needs.pages !== undefined && needs.pages > maxPages) return `no offering reads ${needs.pages} pages (limit ${maxPages})`;
      if (needs.fileBytes !== undefined && needs.fileBytes > caps.max_file_mb * 1024 * 1024) return `no offering accepts files over ${caps.max_file_mb} MB`;
      return null;
    }
    case 'transcription': {
      const caps = model.capabilities;
      if (needs.inputFormat && !(caps.formats as string[]).includes(needs.inputFormat)) return `no offering transcribes ${needs.inputFormat} audio`;
      const maxSeconds = limits.max_duration_seconds ?? caps.max_duration_seconds;
      if (needs.durationSeconds !== undefined && needs.durationSeconds > maxSeconds) return `no offering transcribes more than ${maxSeconds} s of audio`;
      if (needs.fileBytes !== undefined && needs.fileBytes > caps.max_file_mb * 1024 * 1024) return `no offering accepts files over ${caps.max_file_mb} MB`;
      if (needs.timestamps && !caps.timestamps) return 'no offering gives timestamps';
      if (needs.wordTimestamps && !caps.word_timestamps) return 'no offering gives word timestamps';
      if (needs.diarization && !caps.diarization) return 'no offering separates speakers';
      return null;
    }
    case 'speech': {
      const caps = model.capabilities;
      if (needs.outputFormat && !(caps.output_formats as string[]).includes(needs.outputFormat)) return `no offering produces ${needs.outputFormat} audio`;
      const maxChars = limits.max_input_characters ?? caps.max_input_characters;
      if (needs.characters !== undefined && needs.characters > maxChars) return `no offering speaks more than ${maxChars} characters at once`;
      // A named model takes any voice id its provider knows; "auto" only picks models that list the voice.
      if (modelIsAuto && needs.voice && !caps.voices.some((v) => v.toLowerCase() === needs.voice!.toLowerCase())) return `no offering has the voice "${needs.voice}"`;
      return null;
    }
    case 'translation': {
      const caps = model.capabilities;
      if (needs.targetLang && !languageListed(caps.target_languages, needs.targetLang)) return `no offering translates into ${needs.targetLang}`;
      if (needs.sourceLang && !languageListed(caps.source_languages, needs.sourceLang)) return `no offering translates from ${needs.sourceLang}`;
      if (needs.formality && !caps.formality) return 'no offering supports formality';
      if (needs.glossary && !caps.glossary) return 'no offering supports glossaries';
      return null;
    }
    case 'moderation':
      return null;
  }
}

/** "pt-BR" is served by a model listing "pt-BR", "pt" or "*". */
function languageListed(list: string[], tag: string): boolean {
  const lower = tag.toLowerCase();
  const base = lower.split('-')[0];
  return list.some((l) => {
    const entry = l.toLowerCase();
    return entry === '*' || entry === lower || entry === base;
  });
}
