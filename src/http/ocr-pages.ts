// The `pages` option of an OCR job: 0-based page numbers and ranges ("0", "2-4", [0, "3-5"], or
// "0,2-4" in a form field). Ranges stay ranges until the document's page count is known, so a
// hostile "0-999999999" is refused by the count instead of being spelled out in memory first.
import { z } from 'zod';
import { InvalidRequest } from '../errors';

export interface PageRange {
  from: number;
  to: number;
}

const PART = /^(\d{1,7})(?:\s*-\s*(\d{1,7}))?$/;

const PageItem = z.union([z.number().int().nonnegative().max(9_999_999), z.string().max(4_000)]);

/** The field as JSON or a form sends it, parsed into ranges; a bad part fails naming `pages`. */
export const PagesField = z.union([PageItem, z.array(PageItem).min(1).max(1_000)]).transform((value, ctx): PageRange[] => {
  const items = Array.isArray(value) ? value : [value];
  const ranges: PageRange[] = [];
  for (const item of items) {
    if (typeof item === 'number') {
      ranges.push({ from: item, to: item });
      continue;
    }
    for (const part of item.split(',')) {
      const match = PART.exec(part.trim());
      const from = Number(match?.[1]);
      const to = match?.[2] === undefined ? from : Number(match[2]);
      if (!match || to < from) {
        ctx.addIssue({ code: 'custom', message: `"${part.trim().slice(0, 40)}" is not a 0-based page number or a range like "1-3"` });
        return z.NEVER;
      }
      ranges.push({ from, to });
    }
  }
  if (ranges.length > 1_000) {
    ctx.addIssue({ code: 'custom', message: 'at most 1000 page numbers or ranges' });
    return z.NEVER;
  }
  return ranges;
});

/**
 * The 0-based pages to read, sorted and without repeats, once the page count is known; undefined
 * when every page is read. A page past the end is the client's mistake, named in a 400.
 */
export function selectPages(ranges: PageRange[] | undefined, pageCount: number): number[] | undefined {
  if (!ranges?.length) return undefined;
  const beyond = ranges.find((r) => r.to >= pageCount);
  if (beyond) {
    const noun = pageCount === 1 ? 'page' : 'pages';
    throw new InvalidRequest(`pages: page ${beyond.to} does not exist; the file has ${pageCount} ${noun} (numbered from 0).`, 'pages');
  }
  const selected = new Set<number>();
  for (const { from, to } of ranges) for (let page = from; page <= to; page++) selected.add(page);
  if (selected.size === pageCount) return undefined;
  return [...selected].sort((a, b) => a - b);
}
