// Mistral OCR: POST /v1/ocr with the document inline as a data: URL (image_url for images,
// document_url for PDFs). Pages come back as markdown; with `include_blocks` (what the official
// client sends by default) OCR 4 and later also return paragraph blocks with boxes, in pixels of
// the page image Mistral rendered. Billing follows usage_info.pages_processed.
// https://docs.mistral.ai/api/#tag/ocr · types from @mistralai/mistralai (OCRRequest, OCRResponse)
import { z } from 'zod';
import type { Box, OcrBlock, OcrPage, OcrRequest, OcrResult } from '../../tasks/ocr';
import { joinUrl } from '../shared/auth';
import { ocrResult, paragraphBlocks, PDF_DPI } from '../shared/ocr-result';
import { callJson } from '../shared/upstream';
import type { CallContext, Metered, OcrAdapter } from '../types';
import { mistralHeaders } from './api';

const OcrBlockSchema = z.object({
  type: z.string(),
  top_left_x: z.number(),
  top_left_y: z.number(),
  bottom_right_x: z.number(),
  bottom_right_y: z.number(),
  content: z.string(),
  confidence_scores: z.object({ average_content_confidence_score: z.number().nullish() }).nullish(),
});
const OcrPageSchema = z.object({
  index: z.number().int(),
  markdown: z.string(),
  dimensions: z.object({ dpi: z.number(), height: z.number(), width: z.number() }).nullable(),
  blocks: z.array(OcrBlockSchema).nullish(),
});
const OcrResponse = z.object({
  pages: z.array(OcrPageSchema),
  model: z.string(),
  usage_info: z.object({ pages_processed: z.number().int(), doc_size_bytes: z.number().int().nullish() }),
});
type OcrPageSchema = z.infer<typeof OcrPageSchema>;

export const mistralOcr: OcrAdapter = {
  async ocr(request: OcrRequest, ctx: CallContext): Promise<Metered<OcrResult>> {
    const isPdf = request.file.mime === 'application/pdf';
    const dataUrl = `data:${request.file.mime};base64,${request.file.bytes.toString('base64')}`;
    const body = {
      model: ctx.providerModelId,
      document: isPdf ? { type: 'document_url', document_url: dataUrl } : { type: 'image_url', image_url: dataUrl },
      ...(isPdf && request.pages?.length ? { pages: request.pages } : {}),
      include_image_base64: false,
      include_blocks: true,
    };
    const { data } = await callJson(
      {
        provider: ctx.provider,
        url: joinUrl(ctx.credentials.baseUrl, 'ocr'),
        headers: { ...mistralHeaders(ctx.credentials), 'content-type': 'application/json' },
        body: JSON.stringify(body),
        timeoutMs: ctx.timeoutMs,
        signal: ctx.signal,
      },
      OcrResponse,
    );
    const pages = data.pages.map((page) => toPage(page, isPdf));
    return { result: ocrResult(pages), units: { pages: data.usage_info.pages_processed } };
  },
};

function toPage(page: OcrPageSchema, isPdf: boolean): OcrPage {
  const text = plainText(page.markdown);
  const blocks = page.blocks?.length ? page.blocks.filter(hasText).map((block) => toBlock(block, page, isPdf)) : paragraphBlocks(text);
  return { index: page.index, text, blocks };
}

function hasText(block: z.infer<typeof OcrBlockSchema>): boolean {
  return block.type !== 'image' && block.content.trim().length > 0;
}

function toBlock(block: z.infer<typeof OcrBlockSchema>, page: OcrPageSchema, isPdf: boolean): OcrBlock {
  return {
    text: plainText(block.content),
    confidence: block.confidence_scores?.average_content_confidence_score ?? null,
    box: blockBox(block, page, isPdf),
  };
}

/** Mistral measures in pixels of its page image; a PDF page image is rendered at `dpi`, and PDF boxes are reported in points. */
function blockBox(block: z.infer<typeof OcrBlockSchema>, page: OcrPageSchema, isPdf: boolean): Box | null {
  const scale = isPdf ? (page.dimensions?.dpi ? PDF_DPI / page.dimensions.dpi : null) : 1;
  if (scale === null) return null;
  const round = (v: number) => Math.round(v * scale * 100) / 100;
  return {
    x: round(block.top_left_x),
    y: round(block.top_left_y),
    width: round(block.bottom_right_x - block.top_left_x),
    height: round(block.bottom_right_y - block.top_left_y),
  };
}

/**
 * The page's text from Mistral's markdown: references to extracted images (`![img-0.jpeg](img-0.jpeg)`)
 * are not text on the page and heading marks are markup, so both go; tables and lists stay as written.
 */
function plainText(markdown: string): string {
  return markdown
    .replace(/!\[[^\]]*\]\([^)]*\)/g, '')
    .replace(/^#{1,6}[ \t]+/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
