import { beforeAll, describe, expect, it } from 'vitest';
import type { Catalog, Offering } from '../../src/catalog/catalog';
import type { Model } from '../../src/catalog/schema';
import { resolveModelId } from '../../src/http/model-ids';
import { testCatalog } from '../helpers/app';

let catalog: Catalog;
beforeAll(async () => {
  catalog = await testCatalog();
});

describe('resolveModelId', () => {
  it('maps OpenAI’s bare ids to the catalog model of the task', () => {
    expect(resolveModelId(catalog, 'transcription', 'whisper-1')).toBe('openai/whisper-1');
    expect(resolveModelId(catalog, 'transcription', 'whisper-large-v3')).toBe('openai/whisper-large-v3');
    expect(resolveModelId(catalog, 'speech', 'tts-1-hd')).toBe('openai/tts-1-hd');
  });

  it('maps a provider’s own model id when one model of the task has it', () => {
    expect(resolveModelId(catalog, 'speech', 'eleven_multilingual_v2')).toBe('elevenlabs/eleven-multilingual-v2');
  });

  it('leaves catalog ids, auto, unknown ids and ids of another task as they came, for the dispatcher to judge', () => {
    expect(resolveModelId(catalog, 'transcription', 'deepgram/nova-3')).toBe('deepgram/nova-3');
    expect(resolveModelId(catalog, 'speech', 'auto')).toBe('auto');
    expect(resolveModelId(catalog, 'transcription', 'whisper-9')).toBe('whisper-9');
    expect(resolveModelId(catalog, 'speech', 'whisper-1')).toBe('whisper-1');
  });

  it('leaves an id that names two models unresolved', () => {
    const model = (id: string) => ({ id, task: 'speech' }) as Model;
    const offering = (id: string, providerModelId: string) => ({ model: model(id), providerModelId }) as Offering;
    const twin: Catalog = {
      ...catalog,
      models: [model('alpha/voice'), model('beta/voice')],
      modelsById: new Map(),
      offerings: [offering('alpha/one', 'shared-id'), offering('beta/two', 'shared-id')],
    };
    expect(resolveModelId(twin, 'speech', 'voice')).toBe('voice');
    expect(resolveModelId(twin, 'speech', 'shared-id')).toBe('shared-id');
  });
});
