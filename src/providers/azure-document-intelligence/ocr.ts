// Azure AI Document Intelligence `prebuilt-read`: submit the document (202 + Operation-Location),
// then poll the operation, honouring Retry-After, until it succeeds or fails. The whole operation is
// bounded by the call's timeout and abort signal. Paragraphs become blocks; their confidence is the
// mean of their words'. Offsets are asked for in UTF-16 code units so they index JavaScript strings.
import { z } from 'zod';
import { UpstreamError } from '../../errors';
import type { OcrBlock, OcrPage, OcrRequest, OcrResult } from '../../tasks/ocr';
import { boxAround, meanConfidence, ocrResult, PDF_DPI, pointsFromFlat } from '../shared/ocr-result';
import { callJson, callUpstream, retryAfterMs } from '../shared/upstream';
import type { CallContext, Metered, OcrAdapter } from '../types';
import { analyzeUrl, azureDocumentIntelligenceHeaders } from './api';

/** Wait between polls when the service does not say (the Azure SDKs poll about once a second). */
const DEFAULT_POLL_MS = 1_000;
/** Never poll faster than this, whatever Retry-After says. */
const MIN_POLL_MS = 100;

const Span = z.object({ offset: z.number().int().min(0), length: z.number().int().min(0) });
const Word = z.object({ content: z.string(), polygon: z.array(z.number()).optional(), span: Span, confidence: z.number() });
const Line = z.object({ content: z.string(), polygon: z.array(z.number()).optional(), spans: z.array(Span).default([]) });
const Page = z.object({
  pageNumber: z.number().int().min(1),
  width: z.number().optional(),
  height: z.number().optional(),
  unit: z.string().optional(),
  spans: z.array(Span).default([]),
  words: z.array(Word).default([]),
  lines: z.array(Line).default([]),
});
const Paragraph = z.object({
  content: z.string(),
  boundingRegions: z.array(z.object({ pageNumber: z.number().int(), polygon: z.array(z.number()) })).optional(),
  spans: z.array(Span).default([]),
});
const AnalyzeResult = z.object({ content: z.string(), pages: z.array(Page), paragraphs: z.array(Paragraph).optional() });
const DocumentIntelligenceError = z.object({
  code: z.string(),
  message: z.string(),
  innererror: z.object({ code: z.string().optional(), message: z.string().optional() }).optional(),
});
const AnalyzeOperation = z.object({
  status: z.enum(['notStarted', 'running', 'failed', 'succeeded', 'canceled', 'skipped']),
  error: DocumentIntelligenceError.optional(),
  analyzeResult: AnalyzeResult.optional(),
});
type AnalyzeResult = z.infer<typeof AnalyzeResult>;
type Span = z.infer<typeof Span>;
type Page = z.infer<typeof Page>;

export const azureDocumentIntelligenceOcr: OcrAdapter = {
  async ocr(request: OcrRequest, ctx: CallContext): Promise<Metered<OcrResult>> {
    const deadline = Date.now() + ctx.timeoutMs;
    const { location, wait } = await submit(request, ctx);
    const analyzed = await pollUntilDone(location, wait, deadline, ctx);
    const pages = analyzed.pages.map((page) => toPage(page, analyzed));
    return { result: ocrResult(pages), units: { pages: analyzed.pages.length } };
  },
};

async function submit(request: OcrRequest, ctx: CallContext): Promise<{ location: string; wait: number | null }> {
  const query: Record<string, string> = { stringIndexType: 'utf16CodeUnit' };
  if (request.pages?.length) query.pages = request.pages.map((index) => index + 1).join(',');
  // The read model takes one locale hint; it still reads every language it knows.
  if (request.languages?.[0]) query.locale = request.languages[0];
  const response = await callUpstream({
    provider: ctx.provider,
    url: analyzeUrl(ctx.credentials, ctx.providerModelId, query),
    headers: { ...azureDocumentIntelligenceHeaders(ctx.credentials), 'content-type': 'application/json' },
    body: JSON.stringify({ base64Source: request.file.bytes.toString('base64') }),
    timeoutMs: ctx.timeoutMs,
    signal: ctx.signal,
  });
  await response.body.dump();
  const location = response.headers['operation-location'];
  if (!location || !/^https?:\/\//.test(location)) {
    throw new UpstreamError(ctx.provider, 'protocol', `${ctx.provider} accepted the document without an Operation-Location to poll`);
  }
  return { location, wait: retryAfterMs(response.headers) };
}

async function pollUntilDone(location: string, firstWait: number | null, deadline: number, ctx: CallContext): Promise<AnalyzeResult> {
  let wait = firstWait;
  for (;;) {
    await pause(Math.max(MIN_POLL_MS, wait ?? DEFAULT_POLL_MS), deadline, ctx);
    const { data, headers } = await callJson(
      {
        provider: ctx.provider,
        url: location,
        method: 'GET',
        headers: azureDocumentIntelligenceHeaders(ctx.credentials),
        timeoutMs: Math.max(1, deadline - Date.now()),
        signal: ctx.signal,
      },
      AnalyzeOperation,
    );
    if (data.status === 'succeeded') {
      if (!data.analyzeResult) throw new UpstreamError(ctx.provider, 'protocol', `${ctx.provider} succeeded without an analyzeResult`);
      return data.analyzeResult;
    }
    if (data.status !== 'notStarted' && data.status !== 'running') throw operationFailed(ctx, data.status, data.error);
    wait = retryAfterMs(headers);
  }
}

/** Waits `ms`, or fails as a timeout when that would pass the deadline, or as aborted when the job is. */
async function pause(ms: number, deadline: number, ctx: CallContext): Promise<void> {
  if (Date.now() + ms > deadline) {
    throw new UpstreamError(ctx.provider, 'timeout', `${ctx.provider} did not finish the analysis within ${Math.round(ctx.timeoutMs)} ms`);
  }
  try {
    await new Promise<void>((resolve, reject) => {
      if (ctx.signal.aborted) return reject(ctx.signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(ctx.signal.reason);
      };
      const timer = setTimeout(() => {
        ctx.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      ctx.signal.addEventListener('abort', onAbort, { once: true });
    });
  } catch {
    throw new UpstreamError(ctx.provider, 'aborted', `${ctx.provider} call aborted`);
  }
}

/** Codes of failures on Azure's side; any other failure is about the document itself. */
const SERVER_FAILURES: Record<string, number> = { InternalServerError: 500, ServiceUnavailable: 503, Timeout: 504, TooManyRequests: 429 };

function operationFailed(ctx: CallContext, status: string, error: z.infer<typeof DocumentIntelligenceError> | undefined): UpstreamError {
  const codes = [error?.code ?? status, error?.innererror?.code].filter((c): c is string => Boolean(c));
  const detail = [error?.message, error?.innererror?.message].filter(Boolean).join(' ');
  const serverStatus = codes.map((c) => SERVER_FAILURES[c]).find((s) => s !== undefined);
  // A canceled or skipped analysis says nothing about the document, so another offering may do better.
  const httpStatus = status === 'failed' ? (serverStatus ?? 400) : 500;
  return new UpstreamError(ctx.provider, 'http', `${ctx.provider} analysis ${status}: ${codes.join('/')}${detail ? ` — ${detail}` : ''}`, httpStatus);
}

function toPage(page: Page, analyzed: AnalyzeResult): OcrPage {
  // Polygons are in pixels for images and in inches for PDFs; PDF boxes are reported in points.
  const scale = page.unit === 'inch' ? PDF_DPI : 1;
  const text = page.spans.length
    ? page.spans.map((span) => analyzed.content.slice(span.offset, span.offset + span.length)).join('')
    : page.lines.map((line) => line.content).join('\n');
  const paragraphs = (analyzed.paragraphs ?? []).filter((p) => (p.boundingRegions?.[0]?.pageNumber ?? pageOf(p.spans, analyzed)) === page.pageNumber);
  const blocks: OcrBlock[] = analyzed.paragraphs
    ? paragraphs.map((p) => ({
        text: p.content,
        confidence: confidenceOf(p.spans, page),
        box: p.boundingRegions?.[0] ? boxAround(pointsFromFlat(p.boundingRegions[0].polygon), scale) : null,
      }))
    : page.lines.map((line) => ({
        text: line.content,
        confidence: confidenceOf(line.spans, page),
        box: line.polygon ? boxAround(pointsFromFlat(line.polygon), scale) : null,
      }));
  return { index: page.pageNumber - 1, text: text.trim(), blocks };
}

/** The page whose spans hold the start of these spans. */
function pageOf(spans: Span[], analyzed: AnalyzeResult): number | null {
  const start = spans[0]?.offset;
  if (start === undefined) return null;
  return analyzed.pages.find((page) => page.spans.some((s) => start >= s.offset && start < s.offset + s.length))?.pageNumber ?? null;
}

/** Mean confidence of the page's words that fall inside these spans. */
function confidenceOf(spans: Span[], page: Page): number | null {
  const inside = page.words.filter((word) => spans.some((s) => word.span.offset >= s.offset && word.span.offset < s.offset + s.length));
  return meanConfidence(inside.map((word) => word.confidence));
}
