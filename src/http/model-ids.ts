// OpenAI's SDKs and sample code send bare model ids ("whisper-1", "tts-1"); the catalog names models
// "author/name". A bare id is taken as the catalog model it names when exactly one model of the
// task matches, by its name or by an offering's provider model id ("eleven_multilingual_v2").
// Anything else is passed on unchanged, so an unknown or ambiguous id still gets the dispatcher's
// own 404 naming what the client sent.
import type { Catalog } from '../catalog/catalog';
import type { Task } from '../catalog/schema';

export function resolveModelId(catalog: Catalog, task: Task, asked: string): string {
  const wanted = asked.trim().toLowerCase();
  if (wanted === 'auto' || wanted.includes('/') || catalog.modelsById.has(wanted)) return asked;
  const byName = new Set<string>();
  const byProviderId = new Set<string>();
  for (const model of catalog.models) {
    if (model.task === task && model.id.split('/')[1] === wanted) byName.add(model.id);
  }
  for (const offering of catalog.offerings) {
    if (offering.model.task === task && offering.providerModelId.toLowerCase() === wanted) byProviderId.add(offering.model.id);
  }
  const matches = byName.size ? byName : byProviderId;
  return matches.size === 1 ? [...matches][0]! : asked;
}
