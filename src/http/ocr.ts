// POST /v1/ocr — a document (multipart `file`, JSON `image_url`, or base64 `image`) read by the
// cheapest healthy OCR offering that takes its format and page count. The file's type comes from its
// bytes and its page count is known before dispatch, so the job is matched and priced on what the
// file really is; photos are turned upright (EXIF) because most engines ignore the tag.
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { formatUsd } from '../catalog/price';
import { LanguageTag } from '../catalog/schema';
import type { Config } from '../config';
import type { Job } from '../dispatch/job';
import { InvalidRequest } from '../errors';
import type { MediaFile } from '../tasks/media';
import type { OcrRequest } from '../tasks/ocr';
import { keyOf, requireTask } from './auth';
import { JSON_OR_FORM, jobFields } from './body';
import { clientSignal, parsePreferences, runBufferedJob, type JobServices } from './jobs';
import { canonicalLanguageTag } from './language-tags';
import {
  IMAGE_LIMIT_DEFAULTS,
  inspectBase64Image,
  inspectImageUrl,
  inspectUploadedImage,
  normalizeImage,
  singleFileUpload,
  type InspectedImage,
} from './media';
import { resolveModelId } from './model-ids';
import { PagesField, selectPages } from './ocr-pages';

/** The largest document taken, uploaded or fetched; offerings narrow it further by their own limits. */
export const OCR_MAX_FILE_BYTES = 50 * 1024 * 1024;
/** Pixels per image and pages per document read at the edge; offerings narrow the pages further. */
const OCR_LIMITS = { maxPixels: IMAGE_LIMIT_DEFAULTS.maxPixels, maxPages: IMAGE_LIMIT_DEFAULTS.maxPages };

const LanguageHint = z.preprocess(canonicalLanguageTag, LanguageTag.refine((tag) => tag !== '*', 'expected a language tag, not "*"'));

/** The options, from a JSON body or form fields (where a list of hints comes as "en,de"). */
const OcrFields = z.object({
  model: z.string().min(1).max(200).default('auto'),
  image_url: z.string().min(1).optional(),
  image: z.string().min(1).optional(),
  language: z
    .preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v), z.array(LanguageHint).min(1).max(8))
    .optional(),
  pages: PagesField.optional(),
});
type OcrFields = z.infer<typeof OcrFields>;

export function ocrRouter(services: JobServices, config: Pick<Config, 'ALLOW_LOOPBACK_URLS'>): Router {
  const router = Router();
  router.post('/ocr', singleFileUpload({ maxFileBytes: OCR_MAX_FILE_BYTES }), async (req, res) => {
    const { provider, ...fields } = jobFields(req, JSON_OR_FORM);
    const options = OcrFields.parse(fields);
    const model = resolveModelId(services.dispatcher.options.catalog, 'ocr', options.model);
    const preferences = parsePreferences(provider);
    // Cheap refusals before the document is read.
    requireTask(keyOf(res), 'ocr');

    const inspected = await readDocument(req, res, options, config);
    const pages = selectPages(options.pages, inspected.pageCount);
    const pageTotal = pages?.length ?? inspected.pageCount;
    const file = await uprightImage(services, model, inspected, sourceParam(req, options));
    const request: OcrRequest = { file, pageCount: inspected.pageCount, pages, languages: options.language };
    const job: Omit<Job, 'policy'> = {
      task: 'ocr',
      model,
      needs: { inputFormat: file.format, fileBytes: file.bytes.length, pages: pageTotal },
      measure: { pages: pageTotal },
      preferences,
    };

    const { result, charge, outcome } = await runBufferedJob(services, req, res, job, (_c, ctx, adapter) => adapter.ocr!.ocr(request, ctx));
    res.json({
      text: result.text,
      pages: result.pages,
      model: outcome.served.offering.model.id,
      usage: { pages: charge.units.pages ?? result.pages.length, cost_usd: formatUsd(charge.costMicros) },
    });
  });
  return router;
}

function sourceParam(req: Request, options: OcrFields): string {
  return req.file ? 'file' : options.image_url !== undefined ? 'image_url' : 'image';
}

/** Exactly one of the three ways to send a document, checked by its bytes and within the limits. */
async function readDocument(req: Request, res: Response, options: OcrFields, config: Pick<Config, 'ALLOW_LOOPBACK_URLS'>): Promise<InspectedImage> {
  const given = [req.file ? 'file' : null, options.image_url !== undefined ? 'image_url' : null, options.image !== undefined ? 'image' : null].filter(
    (name): name is string => name !== null,
  );
  if (given.length === 0) {
    throw new InvalidRequest('Send the document as multipart/form-data in the field "file", or as JSON with "image_url" or base64 "image".', 'file');
  }
  if (given.length > 1) throw new InvalidRequest(`Send one document only; this request has ${given.join(' and ')}.`, given[1]!);
  if (req.file) return inspectUploadedImage(req, OCR_LIMITS);
  if (options.image_url !== undefined) {
    return inspectImageUrl(options.image_url, {
      ...OCR_LIMITS,
      param: 'image_url',
      maxBytes: OCR_MAX_FILE_BYTES,
      allowLoopback: config.ALLOW_LOOPBACK_URLS,
      signal: clientSignal(req, res),
    });
  }
  return inspectBase64Image(options.image!, { ...OCR_LIMITS, param: 'image', maxBytes: OCR_MAX_FILE_BYTES });
}

/**
 * A single image with an EXIF orientation is re-encoded upright; one in a format no offering that
 * could serve the job reads (a WebP or GIF for a PNG/JPEG-only model) is converted to PNG, which
 * every OCR offering reads. PDFs and multi-page TIFFs go as they are.
 */
async function uprightImage(services: JobServices, model: string, inspected: InspectedImage, param: string): Promise<MediaFile> {
  const { file } = inspected;
  if (file.format === 'pdf' || inspected.pageCount > 1) return file;
  const to = readableAsIs(services, model, file.format) ? undefined : 'png';
  return normalizeImage(file, { to, param, maxPixels: OCR_LIMITS.maxPixels });
}

/** True when a routable offering of the model (every OCR model for "auto") reads the format, or none is routable. */
function readableAsIs(services: JobServices, model: string, format: string): boolean {
  const { catalog } = services.dispatcher.options;
  const id = model === 'auto' ? null : catalog.modelsById.get(model.toLowerCase())?.id;
  const offerings = id ? (catalog.offeringsByModel.get(id) ?? []) : model === 'auto' ? catalog.offerings : [];
  const routable = offerings.filter((o) => o.model.task === 'ocr' && services.dispatcher.routable(o, 'ocr'));
  // With nothing routable the planner gives the real reason; converting would not help.
  if (routable.length === 0) return true;
  return routable.some((o) => o.model.task === 'ocr' && (o.model.capabilities.input_formats as string[]).includes(format));
}
