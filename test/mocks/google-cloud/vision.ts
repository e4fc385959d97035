// Cloud Vision's OCR endpoints as the real service answers them: images:annotate and files:annotate
// (base64 content, at most 5 pages per file call, 1-based and negative page numbers), the
// fullTextAnnotation hierarchy pages → blocks → paragraphs → words → symbols with detected breaks,
// proto3 JSON that leaves out zero values, and per-image failures inside a 200 answer.
// The mock cannot read, so every page says the same two lines; the page's real size shapes the boxes.
// Auth is checked by the composed mock in ./index.ts.
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import type { RecordedRequest, Route } from '../../helpers/mock-upstream';

/** What every mock page says. */
export function visionMockPageText(pageNumber: number): string {
  return `Hello Switchyard\nPage ${pageNumber} of the mock scan\n`;
}

const NAMES: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED' };

/** Google's error envelope: {"error":{"code","message","status"}}. */
function visionErrorBody(status: number, message: string) {
  return { error: { code: status, message, status: NAMES[status] ?? 'UNKNOWN' } };
}

export const googleVisionRoutes: Route[] = [
  {
    method: 'POST',
    path: /\/v1\/images:annotate$/,
    async handle(req, res, { mock }) {
      const problem = checkRequest(req);
      if (problem) return mock.sendJson(res, 400, visionErrorBody(400, problem));
      const responses = [];
      for (const item of req.json.requests as { image?: { content?: string } }[]) {
        const size = await imageSize(Buffer.from(item.image?.content ?? '', 'base64'));
        // Vision answers 200 and reports an unreadable image inside its own response.
        responses.push(size ? imageResponse(1, size, 'pixels') : { error: { code: 3, message: 'Bad image data.' } });
      }
      mock.sendJson(res, 200, { responses });
    },
  },
  {
    method: 'POST',
    path: /\/v1\/files:annotate$/,
    async handle(req, res, { mock }) {
      const problem = checkRequest(req);
      if (problem) return mock.sendJson(res, 400, visionErrorBody(400, problem));
      if (req.json.requests.length !== 1) {
        return mock.sendJson(res, 400, visionErrorBody(400, 'Only one AnnotateFileRequest is supported per call.'));
      }
      const file = req.json.requests[0] as { inputConfig?: { content?: string; mimeType?: string }; pages?: number[] };
      const mimeType = file.inputConfig?.mimeType;
      if (mimeType !== 'application/pdf' && mimeType !== 'image/tiff' && mimeType !== 'image/gif') {
        return mock.sendJson(res, 400, visionErrorBody(400, `Unsupported mime type: ${mimeType}`));
      }
      const pages = file.pages?.length ? file.pages : [1, 2, 3, 4, 5];
      if (pages.length > 5) return mock.sendJson(res, 400, visionErrorBody(400, 'At most 5 pages are supported per request.'));
      const bytes = Buffer.from(file.inputConfig?.content ?? '', 'base64');
      const doc = mimeType === 'application/pdf' ? await pdfPages(bytes) : await tiffPages(bytes);
      if (!doc) {
        return mock.sendJson(res, 200, { responses: [{ error: { code: 3, message: 'Bad file content.' } }] });
      }
      const numbers = pages.map((p) => (p < 0 ? doc.count + 1 + p : p));
      if (numbers.some((n) => n < 1 || n > doc.count)) {
        return mock.sendJson(res, 400, visionErrorBody(400, `Invalid page number; the file has ${doc.count} pages.`));
      }
      const unit = mimeType === 'application/pdf' ? 'normalized' : 'pixels';
      mock.sendJson(res, 200, {
        responses: [
          {
            inputConfig: { mimeType },
            responses: numbers.map((n) => ({ ...imageResponse(n, doc.size, unit), context: { pageNumber: n } })),
            totalPages: doc.count,
          },
        ],
      });
    },
  },
];

function checkRequest(req: RecordedRequest): string | null {
  const requests = req.json?.requests;
  if (!Array.isArray(requests) || requests.length === 0) return 'Request must specify requests.';
  if (requests.length > 16) return 'Too many requests in one batch (max 16).';
  for (const item of requests) {
    const types = (item.features ?? []).map((f: { type?: string }) => f.type);
    if (!types.includes('DOCUMENT_TEXT_DETECTION') && !types.includes('TEXT_DETECTION')) return 'Requested feature is not supported by this mock.';
  }
  return null;
}

interface Size {
  width: number;
  height: number;
}

async function imageSize(bytes: Buffer): Promise<Size | null> {
  try {
    const meta = await sharp(bytes).metadata();
    return meta.width && meta.height ? { width: meta.width, height: meta.height } : null;
  } catch {
    return null;
  }
}

async function pdfPages(bytes: Buffer): Promise<{ count: number; size: Size } | null> {
  try {
    const pdf = await PDFDocument.load(bytes);
    const { width, height } = pdf.getPage(0).getSize();
    return { count: pdf.getPageCount(), size: { width, height } };
  } catch {
    return null;
  }
}

async function tiffPages(bytes: Buffer): Promise<{ count: number; size: Size } | null> {
  try {
    const meta = await sharp(bytes).metadata();
    if (!meta.width || !meta.height) return null;
    return { count: meta.pages ?? 1, size: { width: meta.width, height: meta.pageHeight ?? meta.height } };
  } catch {
    return null;
  }
}

type Unit = 'pixels' | 'normalized';

/** One page's answer: two text blocks at fixed places on the page, in the page's unit. */
function imageResponse(pageNumber: number, size: Size, unit: Unit) {
  const lines = visionMockPageText(pageNumber).trimEnd().split('\n');
  const blocks = [
    block(lines[0]!.split(' '), 'EOL_SURE_SPACE', { x0: 0.1, y0: 0.1, x1: 0.6, y1: 0.2 }, 0.98, size, unit),
    block(lines[1]!.split(' '), 'LINE_BREAK', { x0: 0.1, y0: 0.3, x1: 0.8, y1: 0.4 }, 0.95, size, unit),
  ];
  const text = visionMockPageText(pageNumber);
  const page = { property: { detectedLanguages: [{ languageCode: 'en', confidence: 1 }] }, width: round(size.width), height: round(size.height), blocks, confidence: 0.97 };
  return {
    textAnnotations: [{ locale: 'en', description: text, boundingPoly: poly({ x0: 0.1, y0: 0.1, x1: 0.8, y1: 0.4 }, size, 'pixels') }],
    fullTextAnnotation: { pages: [page], text },
  };
}

function block(words: string[], lastBreak: string, at: Rect, confidence: number, size: Size, unit: Unit) {
  return {
    boundingBox: poly(at, size, unit),
    paragraphs: [
      {
        boundingBox: poly(at, size, unit),
        words: words.map((word, w) => ({
          boundingBox: poly(at, size, unit),
          symbols: [...word].map((ch, i) => {
            const last = i === word.length - 1;
            const breakType = last ? (w === words.length - 1 ? lastBreak : 'SPACE') : null;
            return { ...(breakType ? { property: { detectedBreak: { type: breakType } } } : {}), boundingBox: poly(at, size, unit), text: ch, confidence };
          }),
          confidence,
        })),
        confidence,
      },
    ],
    blockType: 'TEXT',
    confidence,
  };
}

interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

function poly(r: Rect, size: Size, unit: Unit) {
  const corners = [
    [r.x0, r.y0],
    [r.x1, r.y0],
    [r.x1, r.y1],
    [r.x0, r.y1],
  ] as const;
  if (unit === 'normalized') return { normalizedVertices: corners.map(([x, y]) => vertex(x, y)) };
  return { vertices: corners.map(([x, y]) => vertex(Math.round(x * size.width), Math.round(y * size.height))) };
}

/** proto3 JSON drops zero fields. */
function vertex(x: number, y: number) {
  return { ...(x !== 0 ? { x } : {}), ...(y !== 0 ? { y } : {}) };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
