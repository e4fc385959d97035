// What the translation adapters share: reading and writing BCP 47 tags (every provider spells
// language codes its own way), counting characters the way providers bill them, and cutting a
// job's texts into requests that stay inside a provider's per-request limits.
import { InvalidRequest } from '../../errors';

export interface LanguageTag {
  /** Lower case: "en", "zh". */
  language: string;
  /** Title case: "Hans". */
  script: string | null;
  /** Upper case, or digits: "GB", "419". */
  region: string | null;
}

/** Splits "zh-Hans-CN", "pt-br" or "EN" into its parts, normalizing the case of each. */
export function parseTag(tag: string): LanguageTag {
  const [first = '', ...rest] = tag.split(/[-_]/);
  let script: string | null = null;
  let region: string | null = null;
  for (const part of rest) {
    if (/^[A-Za-z]{4}$/.test(part) && script === null && region === null) script = part[0]!.toUpperCase() + part.slice(1).toLowerCase();
    else if (/^([A-Za-z]{2}|\d{3})$/.test(part) && region === null) region = part.toUpperCase();
  }
  return { language: first.toLowerCase(), script, region };
}

/** A provider's language code ("PT-BR", "zh-hans", "EN") written as a BCP 47 tag ("pt-BR", "zh-Hans", "en"). */
export function formatTag(code: string): string {
  const { language, script, region } = parseTag(code);
  return [language, script, region].filter(Boolean).join('-');
}

/** Providers bill characters as Unicode code points, so "😀" is one character, not two UTF-16 units. */
export function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

export interface BatchLimits {
  maxItems: number;
  /** Bound on the summed size of one request's texts, in `measure` units. */
  maxSize: number;
  measure?: (text: string) => number;
}

/**
 * Cuts texts into consecutive batches within a provider's per-request limits, keeping their order.
 * A single text over `maxSize` gets a batch of its own: the provider's own error then tells the
 * caller which limit it broke.
 */
export function batchTexts(texts: string[], limits: BatchLimits): string[][] {
  const measure = limits.measure ?? codePoints;
  const batches: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const text of texts) {
    const length = measure(text);
    if (current.length > 0 && (current.length >= limits.maxItems || size + length > limits.maxSize)) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(text);
    size += length;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** For providers whose translation API has no glossary: a glossary is a requirement, not a hint. */
export function rejectGlossary(provider: string, glossary: Record<string, string> | undefined): void {
  if (glossary && Object.keys(glossary).length > 0) {
    throw new InvalidRequest(`${provider} does not support glossaries; choose a model that does.`, 'glossary');
  }
}
