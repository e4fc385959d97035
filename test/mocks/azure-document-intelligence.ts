// Azure AI Document Intelligence v4.0 (api-version 2024-11-30) as the service answers it: analyze
// returns 202 with an Operation-Location (and Retry-After), the operation reports notStarted →
// running → succeeded (or failed) on successive polls, and the analyzeResult carries content,
// pages with words, lines and spans (pixels for images, inches for PDFs) and paragraphs with
// bounding regions. Auth by Ocp-Apim-Subscription-Key; errors in Azure's {"error":{code,message}}.
// The mock cannot read, so every page says the same two lines; the page's real size shapes the polygons.
import { randomUUID } from 'node:crypto';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { MockUpstream, type Route } from '../helpers/mock-upstream';

export const AZURE_DI_TEST_KEY = 'azure-di-test-key';
const API_VERSION = '2024-11-30';
const MODELS = new Set(['prebuilt-read', 'prebuilt-layout']);

export interface AzureDiError {
  code: string;
  message: string;
  innererror?: { code: string; message: string };
}

/** How the mock's operations behave; tests change it between calls. */
export interface AzureDiBehaviour {
  /** Statuses a new operation reports on successive polls before it finishes. */
  pending: ('notStarted' | 'running')[];
  /** Retry-After (seconds) sent with the 202 and with every unfinished poll. */
  retryAfter: string;
  /** When set, every operation ends as failed with this error. */
  failWith: AzureDiError | null;
  /** Called after a document is accepted, e.g. to queue a fault for the polls that follow. */
  onAccepted?: () => void;
}

export function defaultAzureDiBehaviour(): AzureDiBehaviour {
  return { pending: ['notStarted', 'running'], retryAfter: '0', failWith: null };
}

export function azureDiMockPageLines(pageNumber: number): string[] {
  return ['Hello Switchyard', `Page ${pageNumber} of the mock scan`];
}

const CODES: Record<number, string> = { 400: 'InvalidRequest', 404: 'NotFound', 500: 'InternalServerError', 503: 'ServiceUnavailable' };

export function azureDiErrorBody(status: number, message: string) {
  return { error: { code: CODES[status] ?? String(status), message } };
}

interface Layout {
  unit: 'pixel' | 'inch';
  width: number;
  height: number;
  pageCount: number;
}

interface Operation {
  id: string;
  modelId: string;
  layout: Layout | null;
  pages: number[] | null;
  stringIndexType: string;
  polls: number;
  created: string;
}

export function azureDocumentIntelligenceRoutes(behaviour: AzureDiBehaviour): Route[] {
  const operations = new Map<string, Operation>();
  return [
    {
      method: 'POST',
      path: /\/documentintelligence\/documentModels\/[^/]+:analyze$/,
      async handle(req, res, { mock }) {
        const modelId = decodeURIComponent(/documentModels\/([^/]+):analyze$/.exec(req.path)![1]!);
        if (req.query.get('api-version') !== API_VERSION || !MODELS.has(modelId)) {
          return mock.sendJson(res, 404, { error: { code: '404', message: 'Resource not found' } });
        }
        const pagesParam = req.query.get('pages');
        if (pagesParam !== null && !/^(\d+(-\d+)?)(,\s*(\d+(-\d+)?))*$/.test(pagesParam)) {
          return mock.sendJson(res, 400, invalidRequest('InvalidParameter', 'The parameter pages is invalid.'));
        }
        const index = req.query.get('stringIndexType');
        if (index !== null && !['textElements', 'unicodeCodePoint', 'utf16CodeUnit'].includes(index)) {
          return mock.sendJson(res, 400, invalidRequest('InvalidParameter', 'The parameter stringIndexType is invalid.'));
        }
        const source = req.json?.base64Source;
        if (typeof source !== 'string' || source.length === 0) {
          return mock.sendJson(res, 400, invalidRequest('InvalidContent', 'The file is corrupted or format is unsupported.'));
        }
        const id = randomUUID();
        const layout = await layoutOf(Buffer.from(source, 'base64'));
        operations.set(id, { id, modelId, layout, pages: pagesParam ? expandPages(pagesParam) : null, stringIndexType: index ?? 'textElements', polls: 0, created: new Date().toISOString() });
        const prefix = req.path.slice(0, req.path.indexOf('/documentintelligence/'));
        const location = `http://${req.headers.host}${prefix}/documentintelligence/documentModels/${modelId}/analyzeResults/${id}?api-version=${API_VERSION}`;
        res.writeHead(202, { 'operation-location': location, 'retry-after': behaviour.retryAfter, 'apim-request-id': id, 'content-length': '0' });
        res.end();
        behaviour.onAccepted?.();
      },
    },
    {
      method: 'GET',
      path: /\/documentintelligence\/documentModels\/[^/]+\/analyzeResults\/[^/]+$/,
      handle(req, res, { mock }) {
        const operation = operations.get(req.path.split('/').at(-1)!);
        if (!operation || req.query.get('api-version') !== API_VERSION) {
          return mock.sendJson(res, 404, { error: { code: 'NotFound', message: 'Resource not found.' } });
        }
        operation.polls += 1;
        const times = { createdDateTime: operation.created, lastUpdatedDateTime: new Date().toISOString() };
        const pending = behaviour.pending[operation.polls - 1];
        if (pending) return mock.sendJson(res, 200, { status: pending, ...times }, { 'retry-after': behaviour.retryAfter });
        const failure = behaviour.failWith ?? (operation.layout ? null : invalidRequest('InvalidContent', 'The file is corrupted or format is unsupported.').error);
        if (failure) return mock.sendJson(res, 200, { status: 'failed', ...times, error: failure });
        mock.sendJson(res, 200, { status: 'succeeded', ...times, analyzeResult: analyzeResult(operation, operation.layout!) });
      },
    },
  ];
}

export function startAzureDocumentIntelligenceMock(behaviour: AzureDiBehaviour, apiKey = AZURE_DI_TEST_KEY): Promise<MockUpstream> {
  return MockUpstream.start({
    routes: azureDocumentIntelligenceRoutes(behaviour),
    errorBody: azureDiErrorBody,
    authorize: (req) => req.headers['ocp-apim-subscription-key'] === apiKey,
  });
}

function invalidRequest(code: string, message: string): { error: AzureDiError } {
  return { error: { code: 'InvalidRequest', message: 'Invalid request.', innererror: { code, message } } };
}

function expandPages(param: string): number[] {
  return param.split(',').flatMap((part) => {
    const [from, to] = part.trim().split('-').map(Number) as [number, number | undefined];
    return Array.from({ length: (to ?? from) - from + 1 }, (_, i) => from + i);
  });
}

async function layoutOf(bytes: Buffer): Promise<Layout | null> {
  try {
    if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') {
      const pdf = await PDFDocument.load(bytes);
      const { width, height } = pdf.getPage(0).getSize();
      return { unit: 'inch', width: width / 72, height: height / 72, pageCount: pdf.getPageCount() };
    }
    const meta = await sharp(bytes).metadata();
    if (!meta.width || !meta.height) return null;
    return { unit: 'pixel', width: meta.width, height: meta.pageHeight ?? meta.height, pageCount: meta.pages ?? 1 };
  } catch {
    return null;
  }
}

/** Builds content, pages (words, lines, spans) and paragraphs the way the read model lays them out. */
function analyzeResult(operation: Operation, layout: Layout) {
  const numbers = (operation.pages ?? Array.from({ length: layout.pageCount }, (_, i) => i + 1)).filter((n) => n <= layout.pageCount);
  let content = '';
  const paragraphs: unknown[] = [];
  const pages = numbers.map((pageNumber) => {
    const pageStart = content.length;
    const words: unknown[] = [];
    const lines = azureDiMockPageLines(pageNumber).map((text, row) => {
      if (content.length > 0) content += '\n';
      const lineStart = content.length;
      content += text;
      const y0 = 0.1 + 0.2 * row;
      const line = { x0: 0.1, y0, x1: 0.1 + 0.02 * text.length, y1: y0 + 0.1 };
      let offset = 0;
      for (const word of text.split(' ')) {
        const x0 = line.x0 + 0.02 * offset;
        words.push({ content: word, polygon: polygon({ ...line, x0, x1: x0 + 0.02 * word.length }, layout), confidence: row === 0 ? 0.995 : 0.9, span: { offset: lineStart + offset, length: word.length } });
        offset += word.length + 1;
      }
      const spans = [{ offset: lineStart, length: text.length }];
      paragraphs.push({ content: text, boundingRegions: [{ pageNumber, polygon: polygon(line, layout) }], spans });
      return { content: text, polygon: polygon(line, layout), spans };
    });
    return { pageNumber, angle: 0, width: layout.width, height: layout.height, unit: layout.unit, words, lines, spans: [{ offset: pageStart, length: content.length - pageStart }] };
  });
  return { apiVersion: API_VERSION, modelId: operation.modelId, stringIndexType: operation.stringIndexType, content, pages, paragraphs, styles: [], contentFormat: 'text' };
}

/** Clockwise from the top-left corner, flat: [x1, y1, x2, y2, …]. */
function polygon(r: { x0: number; y0: number; x1: number; y1: number }, layout: Layout): number[] {
  const at = (fx: number, fy: number) => [fix(fx * layout.width, layout), fix(fy * layout.height, layout)];
  return [...at(r.x0, r.y0), ...at(r.x1, r.y0), ...at(r.x1, r.y1), ...at(r.x0, r.y1)];
}

function fix(value: number, layout: Layout): number {
  return layout.unit === 'pixel' ? Math.round(value) : Math.round(value * 10_000) / 10_000;
}
