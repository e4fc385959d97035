// Mistral's /v1/ocr as the service answers it (shapes from @mistralai/mistralai OCRRequest /
// OCRResponse): snake_case fields, the document as image_url or document_url (data: URLs too),
// 0-based `pages` as a list or a "0,2-4" string, markdown per page with image references, page
// dimensions with dpi, paragraph `blocks` when include_blocks is set, and usage_info.pages_processed.
// The mock cannot read, so every page says the same things; the page's real size shapes the boxes.
// Auth is checked by the composed mock in ./index.ts.
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import type { Route } from '../../helpers/mock-upstream';

const BLOCK_MODELS = /^mistral-ocr-(latest|4)/;
/** The dpi Mistral renders PDF pages at. */
const RENDER_DPI = 200;

/** Mistral's error body for a request it cannot serve. */
function invalidRequest(message: string) {
  return { object: 'error', message, type: 'invalid_request_error', param: null, code: '400' };
}

export function mistralMockPageMarkdown(pageNumber: number): string {
  return `# Hello Switchyard\n\nPage ${pageNumber} of the mock scan.\n\n![img-0.jpeg](img-0.jpeg)\n`;
}

interface Size {
  width: number;
  height: number;
}

export const mistralOcrRoutes: Route[] = [
  {
    method: 'POST',
    path: /\/ocr$/,
    async handle(req, res, { mock }) {
      const body = req.json;
      if (typeof body?.model !== 'string' || !body.model.startsWith('mistral-ocr')) {
        return mock.sendJson(res, 400, invalidRequest(`Invalid model: ${body?.model}`));
      }
      const document = await readDocument(body.document);
      if (!document) return mock.sendJson(res, 400, invalidRequest('Could not read the document.'));
      const wanted = pagesOf(body.pages, document.pageCount);
      if (!wanted) return mock.sendJson(res, 400, invalidRequest('Invalid pages.'));
      mock.sendJson(res, 200, {
        // Block extraction came with OCR 4; older models leave it out.
        pages: wanted.map((index) => page(index, document.size, body.include_blocks === true && BLOCK_MODELS.test(body.model))),
        model: body.model === 'mistral-ocr-latest' ? 'mistral-ocr-4-1' : body.model,
        document_annotation: null,
        usage_info: { pages_processed: wanted.length, doc_size_bytes: document.bytes },
      });
    },
  },
];

async function readDocument(document: unknown): Promise<{ pageCount: number; size: Size; bytes: number } | null> {
  const doc = document as { type?: string; image_url?: string | { url?: string }; document_url?: string } | undefined;
  const url = doc?.type === 'image_url' ? (typeof doc.image_url === 'string' ? doc.image_url : doc.image_url?.url) : doc?.type === 'document_url' ? doc.document_url : undefined;
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url ?? '');
  if (!match) return null;
  const bytes = Buffer.from(match[2]!, 'base64');
  try {
    if (match[1] === 'application/pdf') {
      const pdf = await PDFDocument.load(bytes);
      const { width, height } = pdf.getPage(0).getSize();
      return { pageCount: pdf.getPageCount(), size: { width: Math.round((width / 72) * RENDER_DPI), height: Math.round((height / 72) * RENDER_DPI) }, bytes: bytes.length };
    }
    const meta = await sharp(bytes).metadata();
    if (!meta.width || !meta.height) return null;
    return { pageCount: 1, size: { width: meta.width, height: meta.height }, bytes: bytes.length };
  } catch {
    return null;
  }
}

function pagesOf(pages: unknown, count: number): number[] | null {
  if (pages === undefined || pages === null) return Array.from({ length: count }, (_, i) => i);
  const list = Array.isArray(pages)
    ? pages
    : String(pages)
        .split(',')
        .flatMap((part) => {
          const [from, to] = part.trim().split('-').map(Number) as [number, number | undefined];
          return Array.from({ length: (to ?? from) - from + 1 }, (_, i) => from + i);
        });
  return list.every((p) => Number.isInteger(p) && p >= 0 && p < count) ? (list as number[]) : null;
}

function page(index: number, size: Size, includeBlocks: boolean) {
  const at = (x0: number, y0: number, x1: number, y1: number) => ({
    top_left_x: Math.round(x0 * size.width),
    top_left_y: Math.round(y0 * size.height),
    bottom_right_x: Math.round(x1 * size.width),
    bottom_right_y: Math.round(y1 * size.height),
  });
  return {
    index,
    markdown: mistralMockPageMarkdown(index + 1),
    images: [{ id: 'img-0.jpeg', ...at(0.1, 0.5, 0.5, 0.9), image_base64: null }],
    dimensions: { dpi: RENDER_DPI, height: size.height, width: size.width },
    ...(includeBlocks
      ? {
          blocks: [
            { type: 'title', ...at(0.1, 0.1, 0.6, 0.2), content: '# Hello Switchyard' },
            { type: 'text', ...at(0.1, 0.3, 0.8, 0.4), content: `Page ${index + 1} of the mock scan.` },
            { type: 'image', ...at(0.1, 0.5, 0.5, 0.9), content: '', image_id: 'img-0.jpeg' },
          ],
        }
      : {}),
  };
}
