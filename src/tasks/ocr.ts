import type { MediaFile } from './media';

export interface OcrRequest {
  file: MediaFile;
  /** Page count the edge measured (1 for an image). */
  pageCount: number;
  /** 0-based pages to read; all when absent. */
  pages?: number[];
  /** Language hints (BCP 47). */
  languages?: string[];
}

/** A box in pixels of the page image (or the provider's page unit, scaled to pixels when known). */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface OcrBlock {
  text: string;
  /** 0..1, null when the provider does not say. */
  confidence: number | null;
  box: Box | null;
}

export interface OcrPage {
  index: number;
  text: string;
  blocks: OcrBlock[];
}

export interface OcrResult {
  text: string;
  pages: OcrPage[];
}
