// OCR by an open vision-language OCR model (olmOCR, DeepSeek-OCR …) behind an OpenAI-compatible
// chat endpoint: each page goes as an image_url data URL with an instruction to transcribe it, and
// the answer is that page's text. Billed on the chat usage tokens the host reports.
// Hosts that serve such models (DeepInfra, Together, Fireworks) each export an adapter from here.
import { loadSharp } from '../../lazy';
import { z } from 'zod';
import { UnsupportedMediaType } from '../../errors';
import type { OcrPage, OcrRequest, OcrResult } from '../../tasks/ocr';
import { bearerHeaders, joinUrl } from './auth';
import { ocrResult, paragraphBlocks, requestedPages } from './ocr-result';
import { callJson } from './upstream';
import type { CallContext, Metered, OcrAdapter } from '../types';

export interface VisionOcrOptions {
  /** Most tokens the model may write for one page. */
  maxTokens?: number;
  /** Longest side, in pixels, of the page image sent; larger pages are scaled down (fewer image tokens). */
  maxImageSide?: number;
}

/** Formats chat vision endpoints take as they are; anything else is converted to PNG first. */
const SENT_AS_IS = new Set(['image/png', 'image/jpeg', 'image/webp']);

/**
 * Each OCR model is tuned to its own instruction. olmOCR is trained to answer with a front matter
 * block (language, rotation, table/diagram flags) before the text; it is asked for and cut off.
 */
const PROMPTS: { model: RegExp; prompt: string }[] = [
  { model: /deepseek-ocr/i, prompt: 'Free OCR.' },
  {
    model: /olmocr/i,
    prompt:
      'Attached is one page of a document. Return the plain text of this page as a person would read it naturally, ' +
      'with equations in LaTeX and tables in HTML. Begin with a front matter section giving primary_language, ' +
      'is_rotation_valid, rotation_correction, is_table and is_diagram.',
  },
];
const DEFAULT_PROMPT =
  'Transcribe all the text in this image exactly as written, in reading order. Keep line breaks and paragraphs, ' +
  'write tables as markdown, and answer with the transcribed text only, without any comment.';

const ChatCompletion = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullish() }), finish_reason: z.string().nullish() })).min(1),
  usage: z.object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int() }),
});

export function createVisionOcrAdapter(options: VisionOcrOptions = {}): OcrAdapter {
  const maxTokens = options.maxTokens ?? 8_192;
  const maxImageSide = options.maxImageSide ?? 1_600;

  return {
    async ocr(request: OcrRequest, ctx: CallContext): Promise<Metered<OcrResult>> {
      if (request.file.mime === 'application/pdf') {
        throw new UnsupportedMediaType(`${ctx.provider} reads images only; send PDF pages as images or pick another OCR model.`, 'file');
      }
      const indexes = request.file.mime === 'image/tiff' ? requestedPages(request.pages, request.pageCount) : [0];
      const pages: OcrPage[] = [];
      let inputTokens = 0;
      let outputTokens = 0;
      // One page at a time keeps a long TIFF from holding every page image in memory at once.
      for (const index of indexes) {
        const image = await pageImage(request, index, maxImageSide);
        const answer = await transcribe(image, ctx, maxTokens);
        inputTokens += answer.usage.prompt_tokens;
        outputTokens += answer.usage.completion_tokens;
        const text = cleanTranscript(answer.choices[0]!.message.content ?? '');
        pages.push({ index, text, blocks: paragraphBlocks(text) });
      }
      return { result: ocrResult(pages), units: { input_tokens: inputTokens, output_tokens: outputTokens, pages: pages.length } };
    },
  };
}

async function transcribe(image: { mime: string; bytes: Buffer }, ctx: CallContext, maxTokens: number) {
  const prompt = PROMPTS.find((p) => p.model.test(ctx.providerModelId))?.prompt ?? DEFAULT_PROMPT;
  const body = {
    model: ctx.providerModelId,
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: prompt },
          { type: 'image_url', image_url: { url: `data:${image.mime};base64,${image.bytes.toString('base64')}` } },
        ],
      },
    ],
    max_tokens: maxTokens,
    temperature: 0,
  };
  const { data } = await callJson(
    {
      provider: ctx.provider,
      url: joinUrl(ctx.credentials.baseUrl, 'chat/completions'),
      headers: { ...bearerHeaders(ctx.credentials), 'content-type': 'application/json' },
      body: JSON.stringify(body),
      timeoutMs: ctx.timeoutMs,
      signal: ctx.signal,
    },
    ChatCompletion,
  );
  return data;
}

/** The page as an image the endpoint takes: the upload itself when it can, else a PNG of that page, scaled down when large. */
async function pageImage(request: OcrRequest, index: number, maxSide: number): Promise<{ mime: string; bytes: Buffer }> {
  const { mime, bytes } = request.file;
  try {
    const sharp = await loadSharp();
    const image = sharp(bytes, { page: index });
    const meta = await image.metadata();
    const tooLarge = Math.max(meta.width ?? 0, meta.pageHeight ?? meta.height ?? 0) > maxSide;
    // Model servers load images without applying EXIF orientation, so a turned photo is sent upright.
    const turned = (meta.orientation ?? 1) !== 1;
    if (SENT_AS_IS.has(mime) && !tooLarge && !turned) return { mime, bytes };
    const png = await image
      .rotate()
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .png()
      .toBuffer();
    return { mime: 'image/png', bytes: png };
  } catch (error) {
    throw new UnsupportedMediaType(`The ${request.file.format} file could not be decoded: ${(error as Error).message}`, 'file');
  }
}

/** The transcript without what the model adds around it: front matter, a code fence, grounding tags. */
export function cleanTranscript(answer: string): string {
  let text = answer.trim();
  const frontMatter = /^---\r?\n[\s\S]*?\r?\n---\r?\n?/.exec(text);
  if (frontMatter) text = text.slice(frontMatter[0].length);
  const fenced = /^```[a-z]*\r?\n([\s\S]*?)\r?\n```$/.exec(text.trim());
  if (fenced) text = fenced[1]!;
  return text
    .replace(/<\|det\|>[\s\S]*?<\|\/det\|>/g, '')
    .replace(/<\|\/?ref\|>/g, '')
    .trim();
}
