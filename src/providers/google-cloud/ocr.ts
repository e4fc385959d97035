// Google Cloud Vision OCR (DOCUMENT_TEXT_DETECTION). Single images go to images:annotate; PDFs and
// TIFFs go to files:annotate, which reads at most 5 pages per call, so longer documents are sent
// in batches of 5 pages. Vision reports failures per image inside a 200 answer; those are errors too.
// https://cloud.google.com/vision/docs/reference/rest/v1/images/annotate · …/v1/files/annotate
import { z } from 'zod';
import { UpstreamError } from '../../errors';
import type { OcrBlock, OcrPage, OcrRequest, OcrResult } from '../../tasks/ocr';
import { callJson } from '../shared/upstream';
import { boxAround, ocrResult, requestedPages, type Point } from '../shared/ocr-result';
import type { CallContext, Metered, OcrAdapter } from '../types';
import { googleCloudHeaders, googleCloudUrl } from './api';

/** files:annotate accepts at most this many pages in one call. */
export const VISION_PAGES_PER_CALL = 5;
/** Batches of a long document in flight at once. */
const PARALLEL_BATCHES = 3;

// proto3 JSON leaves out zero values: a vertex at x = 0 comes as {"y": 12}, a word without a break has no property.
const Vertex = z.object({ x: z.number().optional(), y: z.number().optional() });
const BoundingPoly = z.object({ vertices: z.array(Vertex).optional(), normalizedVertices: z.array(Vertex).optional() });
const TextProperty = z.object({
  detectedBreak: z.object({ type: z.string().optional(), isPrefix: z.boolean().optional() }).optional(),
});
const TextSymbol = z.object({ text: z.string().default(''), property: TextProperty.optional() });
const Word = z.object({ symbols: z.array(TextSymbol).default([]) });
const Paragraph = z.object({ words: z.array(Word).default([]) });
const Block = z.object({
  boundingBox: BoundingPoly.optional(),
  paragraphs: z.array(Paragraph).default([]),
  confidence: z.number().optional(),
});
const Page = z.object({ width: z.number().optional(), height: z.number().optional(), blocks: z.array(Block).default([]) });
const Status = z.object({ code: z.number().optional(), message: z.string().optional() });
const ImageResponse = z.object({
  fullTextAnnotation: z.object({ text: z.string().default(''), pages: z.array(Page).default([]) }).optional(),
  error: Status.optional(),
  context: z.object({ pageNumber: z.number().optional() }).optional(),
});
const BatchAnnotateImagesResponse = z.object({ responses: z.array(ImageResponse) });
const BatchAnnotateFilesResponse = z.object({
  responses: z.array(z.object({ responses: z.array(ImageResponse).default([]), error: Status.optional() })),
});
type ImageResponse = z.infer<typeof ImageResponse>;
type Block = z.infer<typeof Block>;
type Page = z.infer<typeof Page>;

export const googleCloudOcr: OcrAdapter = {
  async ocr(request: OcrRequest, ctx: CallContext): Promise<Metered<OcrResult>> {
    const isFile = request.file.mime === 'application/pdf' || request.file.mime === 'image/tiff';
    const pages = isFile ? await annotateFile(request, ctx) : [await annotateImage(request, ctx)];
    return { result: ocrResult(pages), units: { pages: pages.length } };
  },
};

function feature(ctx: CallContext) {
  // The offering's model id picks Vision's OCR model when it names one ("builtin/latest").
  const model = ctx.providerModelId.startsWith('builtin/') ? { model: ctx.providerModelId } : {};
  return [{ type: 'DOCUMENT_TEXT_DETECTION', ...model }];
}

function imageContext(request: OcrRequest) {
  return request.languages?.length ? { imageContext: { languageHints: request.languages } } : {};
}

async function annotateImage(request: OcrRequest, ctx: CallContext): Promise<OcrPage> {
  const body = {
    requests: [{ image: { content: request.file.bytes.toString('base64') }, features: feature(ctx), ...imageContext(request) }],
  };
  const { data } = await callJson(visionCall(ctx, 'v1/images:annotate', body), BatchAnnotateImagesResponse);
  const response = data.responses[0];
  if (!response) throw new UpstreamError(ctx.provider, 'protocol', `${ctx.provider} answered without a response for the image`);
  return toPage(ctx, response, 0);
}

async function annotateFile(request: OcrRequest, ctx: CallContext): Promise<OcrPage[]> {
  const wanted = requestedPages(request.pages, request.pageCount);
  const batches: number[][] = [];
  for (let i = 0; i < wanted.length; i += VISION_PAGES_PER_CALL) batches.push(wanted.slice(i, i + VISION_PAGES_PER_CALL));
  const content = request.file.bytes.toString('base64');
  const results = await inBatches(batches, PARALLEL_BATCHES, async (batch) => {
    const body = {
      requests: [
        {
          inputConfig: { content, mimeType: request.file.mime },
          features: feature(ctx),
          pages: batch.map((index) => index + 1),
          ...imageContext(request),
        },
      ],
    };
    const { data } = await callJson(visionCall(ctx, 'v1/files:annotate', body), BatchAnnotateFilesResponse);
    const file = data.responses[0];
    if (!file) throw new UpstreamError(ctx.provider, 'protocol', `${ctx.provider} answered without a response for the file`);
    if (isError(file.error)) throw statusError(ctx, file.error);
    return file.responses.map((response, i) => {
      const pageNumber = response.context?.pageNumber;
      return toPage(ctx, response, pageNumber ? pageNumber - 1 : (batch[i] ?? i));
    });
  });
  return results.flat();
}

function visionCall(ctx: CallContext, path: string, body: unknown) {
  return {
    provider: ctx.provider,
    url: googleCloudUrl(ctx.credentials, 'vision', path),
    headers: { ...googleCloudHeaders(ctx.credentials), 'content-type': 'application/json' },
    body: JSON.stringify(body),
    timeoutMs: ctx.timeoutMs,
    signal: ctx.signal,
  };
}

function toPage(ctx: CallContext, response: ImageResponse, index: number): OcrPage {
  if (isError(response.error)) throw statusError(ctx, response.error);
  const annotation = response.fullTextAnnotation;
  // An image without any text comes back as an empty response.
  if (!annotation) return { index, text: '', blocks: [] };
  const blocks = annotation.pages.flatMap((page) => page.blocks.map((block) => toBlock(block, page)));
  return { index, text: annotation.text.trimEnd(), blocks: blocks.filter((b) => b.text.length > 0) };
}

function toBlock(block: Block, page: Page): OcrBlock {
  return { text: blockText(block), confidence: block.confidence ?? null, box: blockBox(block, page) };
}

/** Rebuilds a block's text from its symbols and the breaks Vision detected after (or before) each. */
function blockText(block: Block): string {
  let text = '';
  for (const paragraph of block.paragraphs) {
    for (const word of paragraph.words) {
      for (const symbol of word.symbols) {
        const detected = symbol.property?.detectedBreak;
        const separator = breakText(detected?.type);
        text += detected?.isPrefix ? separator + symbol.text : symbol.text + separator;
      }
    }
  }
  return text.trim();
}

function breakText(type: string | undefined): string {
  switch (type) {
    case 'SPACE':
    case 'SURE_SPACE':
      return ' ';
    case 'EOL_SURE_SPACE':
    case 'LINE_BREAK':
      return '\n';
    case 'HYPHEN':
      // A line-end hyphen that is not among the symbols.
      return '-\n';
    default:
      return '';
  }
}

/**
 * Images come with pixel vertices. Pages of a file come with normalized vertices and the page's
 * size: in points for a PDF (the unit Switchyard reports PDF boxes in), in pixels for a TIFF.
 */
function blockBox(block: Block, page: Page) {
  const poly = block.boundingBox;
  if (poly?.vertices?.length) return boxAround(poly.vertices.map(point));
  if (poly?.normalizedVertices?.length && page.width && page.height) {
    const width = page.width;
    const height = page.height;
    return boxAround(poly.normalizedVertices.map((v) => ({ x: (v.x ?? 0) * width, y: (v.y ?? 0) * height })));
  }
  return null;
}

function point(vertex: z.infer<typeof Vertex>): Point {
  return { x: vertex.x ?? 0, y: vertex.y ?? 0 };
}

function isError(status: z.infer<typeof Status> | undefined): status is z.infer<typeof Status> {
  return status !== undefined && ((status.code ?? 0) !== 0 || Boolean(status.message));
}

/** google.rpc.Code → the HTTP status Google maps it to, so retryability follows the usual rules. */
const HTTP_STATUS_OF_RPC_CODE: Record<number, number> = {
  1: 499, 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429, 9: 400, 10: 409, 11: 400, 12: 501, 13: 500, 14: 503, 15: 500, 16: 401,
};

function statusError(ctx: CallContext, status: z.infer<typeof Status>): UpstreamError {
  const httpStatus = HTTP_STATUS_OF_RPC_CODE[status.code ?? 2] ?? 500;
  return new UpstreamError(ctx.provider, 'http', `${ctx.provider} could not read the page: ${status.message ?? `error ${status.code}`}`, httpStatus);
}

/** Runs `work` over the batches with at most `limit` in flight; the first failure stops new batches. */
async function inBatches<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await work(items[i]!);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
