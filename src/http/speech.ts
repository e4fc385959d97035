// POST /v1/audio/speech — OpenAI's request ({model, input, voice, response_format, speed,
// instructions}, plus `provider` routing preferences); the answer is the audio itself, with the
// content type of the asked format. The cost is in x-switchyard-cost-usd, as the body is audio.
import { Router } from 'express';
import type { Job } from '../dispatch/job';
import { InvalidRequest } from '../errors';
import { countCharacters } from '../providers/shared/audio';
import { SpeechRequest } from '../tasks/speech';
import { parsePreferences, runBufferedJob, type JobServices } from './jobs';
import { resolveModelId } from './model-ids';

export function speechRouter(services: JobServices): Router {
  const catalog = services.dispatcher.options.catalog;
  const router = Router();
  router.post('/audio/speech', async (req, res) => {
    const { provider, stream_format: streamFormat, ...body } = jsonObject(req.body);
    // OpenAI can also stream speech as SSE events; only the plain audio answer is offered here.
    if (streamFormat !== undefined && streamFormat !== 'audio') {
      throw new InvalidRequest('stream_format: only "audio" is offered; the answer is the audio file.', 'stream_format');
    }
    const parsed = SpeechRequest.parse(body);
    const request: SpeechRequest = { ...parsed, model: resolveModelId(catalog, 'speech', parsed.model) };
    const characters = countCharacters(request.input);
    const job: Omit<Job, 'policy'> = {
      task: 'speech',
      model: request.model,
      needs: { outputFormat: request.response_format, characters, voice: request.voice },
      measure: { characters },
      preferences: parsePreferences(provider),
    };
    const { result } = await runBufferedJob(services, req, res, job, (_c, ctx, adapter) => adapter.speech!.speak(request, ctx));
    res.status(200).type(result.contentType).send(result.audio);
  });
  return router;
}

/** The JSON body as an object; anything else (an array, no JSON body at all) is refused plainly. */
function jsonObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequest('Send a JSON object with model, input and voice (Content-Type: application/json).');
  }
  return body as Record<string, unknown>;
}
