// Azure AI Content Safety text analysis: POST {endpoint}/contentsafety/text:analyze with one text
// per call, four harm categories, each with a severity of 0, 2, 4 or 6 (FourSeverityLevels).
//
// - Categories: Hate → hate, SelfHarm → self-harm, Sexual → sexual, Violence → violence; Azure
//   has nothing for the other nine OpenAI categories, which stay false / 0.
// - Scores: severity / 6, so safe 0, low 0.33, medium 0.67, high 1.
// - Flagged at severity ≥ 4 (medium), the threshold of Azure OpenAI's default content filter;
//   low (2) stays visible in the score without flagging.
// - Inputs over Azure's 10,000-character limit are split (at whitespace where possible) and
//   every piece analysed; a category's severity is the highest over the pieces. Rejecting long
//   texts would make moderation fail exactly on the long documents people most need checked.
// - Billing is per text record: 1,000 characters or part of one, per input, empty inputs cost
//   nothing and are not sent. Azure reports no usage, so the records are counted here.
import { z } from 'zod';
import { MODERATION_CATEGORIES, type ModerationCategory, type ModerationVerdict } from '../../tasks/moderation';
import { joinUrl } from '../shared/auth';
import { fanOut } from '../shared/fan-out';
import { codePoints } from '../shared/translation';
import { callJson } from '../shared/upstream';
import type { CallContext, ModerationAdapter } from '../types';
import { AZURE_CONTENT_SAFETY_API_VERSION, azureContentSafetyHeaders } from './api';

const AZURE_CATEGORIES: Readonly<Record<string, ModerationCategory>> = {
  Hate: 'hate',
  SelfHarm: 'self-harm',
  Sexual: 'sexual',
  Violence: 'violence',
};
const FLAG_AT_SEVERITY = 4;
const MAX_SEVERITY = 6;
/** Azure's limit per analyze call, in UTF-16 code units (the service measures .NET string length). */
const MAX_TEXT = 10_000;
const RECORD_CHARACTERS = 1_000;
const CALLS_IN_FLIGHT = 4;

const AnalyzeResponse = z.object({
  blocklistsMatch: z.array(z.unknown()).optional(),
  categoriesAnalysis: z.array(z.object({ category: z.string(), severity: z.number().int().min(0).max(7).optional() })),
});

export const azureContentSafetyModeration: ModerationAdapter = {
  async moderate(job, ctx) {
    const pieces = job.inputs.flatMap((text, input) => splitForAnalysis(text).map((piece) => ({ input, piece })));
    const analyses = await fanOut(pieces, CALLS_IN_FLIGHT, ({ piece }) => analyze(piece, ctx));
    const severities = job.inputs.map(() => new Map<ModerationCategory, number>());
    analyses.forEach((analysis, i) => {
      const worst = severities[pieces[i]!.input]!;
      for (const [category, severity] of analysis) worst.set(category, Math.max(worst.get(category) ?? 0, severity));
    });
    const records = job.inputs.reduce((sum, text) => sum + Math.ceil(codePoints(text) / RECORD_CHARACTERS), 0);
    return { result: { results: severities.map(toVerdict) }, units: { requests: records } };
  },
};

async function analyze(text: string, ctx: CallContext): Promise<Map<ModerationCategory, number>> {
  const { data } = await callJson(
    {
      provider: ctx.provider,
      url: `${joinUrl(ctx.credentials.baseUrl, 'contentsafety/text:analyze')}?api-version=${AZURE_CONTENT_SAFETY_API_VERSION}`,
      headers: { ...azureContentSafetyHeaders(ctx.credentials), 'content-type': 'application/json' },
      body: JSON.stringify({ text, categories: Object.keys(AZURE_CATEGORIES), outputType: 'FourSeverityLevels' }),
      timeoutMs: ctx.timeoutMs,
      signal: ctx.signal,
    },
    AnalyzeResponse,
  );
  const found = new Map<ModerationCategory, number>();
  for (const { category, severity } of data.categoriesAnalysis) {
    const name = AZURE_CATEGORIES[category];
    if (name) found.set(name, severity ?? 0);
  }
  return found;
}

function toVerdict(severities: Map<ModerationCategory, number>): ModerationVerdict {
  const categories = {} as Record<ModerationCategory, boolean>;
  const category_scores = {} as Record<ModerationCategory, number>;
  for (const name of MODERATION_CATEGORIES) {
    const severity = severities.get(name) ?? 0;
    categories[name] = severity >= FLAG_AT_SEVERITY;
    category_scores[name] = Math.min(severity, MAX_SEVERITY) / MAX_SEVERITY;
  }
  return { flagged: Object.values(categories).some(Boolean), categories, category_scores };
}

/** Cuts a text into pieces Azure accepts, preferring whitespace and never splitting a surrogate pair. */
export function splitForAnalysis(text: string): string[] {
  if (text.length === 0) return [];
  const pieces: string[] = [];
  let start = 0;
  while (text.length - start > MAX_TEXT) {
    let end = start + MAX_TEXT;
    const space = text.lastIndexOf(' ', end - 1);
    const newline = text.lastIndexOf('\n', end - 1);
    const boundary = Math.max(space, newline);
    if (boundary > end - 500) end = boundary + 1;
    else if (/[\uD800-\uDBFF]/.test(text[end - 1]!)) end -= 1;
    pieces.push(text.slice(start, end));
    start = end;
  }
  pieces.push(text.slice(start));
  return pieces;
}
