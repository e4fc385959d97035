// Functions that run inside Chromium (playwright sends their source to the page). The Node-side type
// library has no DOM, so the few browser names they use are declared here, for this file only.

interface InPageStyle {
  color: string;
  backgroundColor: string;
  outlineStyle: string;
  outlineWidth: string;
}
interface InPageElement {
  id: string;
  textContent: string | null;
  outerHTML: string;
  parentElement: InPageElement | null;
  labels?: ArrayLike<unknown> | null;
  getAttribute(name: string): string | null;
  closest(selector: string): InPageElement | null;
  getBoundingClientRect(): { width: number; height: number };
}
interface InPageText {
  textContent: string | null;
  parentElement: InPageElement | null;
}
declare const document: {
  activeElement: InPageElement | null;
  documentElement: { scrollWidth: number };
  body: unknown;
  querySelectorAll(selector: string): ArrayLike<InPageElement>;
  createTreeWalker(root: unknown, what: number): { nextNode(): InPageText | null };
};
declare function getComputedStyle(element: InPageElement): InPageStyle;
interface InPageStorage {
  length: number;
  key(index: number): string | null;
}
declare const sessionStorage: InPageStorage;
declare const localStorage: InPageStorage;
declare const NodeFilter: { SHOW_TEXT: number };

/** How wide the document is: more than the viewport means the reader must scroll sideways. */
export function documentScrollWidth(): number {
  return document.documentElement.scrollWidth;
}

export function focusedElement(): { id: string; text: string; outlineStyle: string; outlineWidth: number } {
  const element = document.activeElement;
  if (!element) return { id: '', text: '', outlineStyle: 'none', outlineWidth: 0 };
  const style = getComputedStyle(element);
  return { id: element.id, text: element.textContent ?? '', outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth) };
}

/** Form controls a screen reader could not name: no <label>, no aria-label, no text. */
export function unlabelledControls(): string[] {
  return Array.from(document.querySelectorAll('input, select, button, textarea'))
    .filter((c) => !c.labels?.length && !c.getAttribute('aria-label') && !c.getAttribute('aria-labelledby') && !c.textContent?.trim())
    .map((c) => c.outerHTML.slice(0, 100));
}

/** The lowest WCAG contrast ratio of any visible text against the background painted behind it. */
export function lowestTextContrast(): { ratio: number; text: string; color: string; background: string } {
  const parse = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
  const luminance = (rgb: number[]) => {
    const channel = (v: number) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * channel(rgb[0] ?? 0) + 0.7152 * channel(rgb[1] ?? 0) + 0.0722 * channel(rgb[2] ?? 0);
  };
  const backgroundOf = (element: InPageElement | null): string => {
    for (let e = element; e; e = e.parentElement) {
      const bg = getComputedStyle(e).backgroundColor;
      const parts = parse(bg);
      if (parts.length === 3 || (parts.length === 4 && (parts[3] ?? 0) > 0)) return bg;
    }
    return 'rgb(255, 255, 255)';
  };
  let worst = { ratio: 21, text: '', color: '', background: '' };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    const text = node.textContent?.trim() ?? '';
    if (!element || !text || element.closest('.visually-hidden, [hidden], noscript, svg')) continue;
    const rect = element.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) continue;
    const color = getComputedStyle(element).color;
    const background = backgroundOf(element);
    const [light, dark] = [luminance(parse(color)), luminance(parse(background))].sort((a, b) => b - a);
    const ratio = ((light ?? 1) + 0.05) / ((dark ?? 0) + 0.05);
    if (ratio < worst.ratio) worst = { ratio: Math.round(ratio * 100) / 100, text: text.slice(0, 40), color, background };
  }
  return worst;
}

/** Which names the page keeps in each storage (values stay in the page). */
export function storageNames(): { session: string[]; local: string[] } {
  const names = (storage: InPageStorage) => Array.from({ length: storage.length }, (_, i) => storage.key(i) ?? '');
  return { session: names(sessionStorage), local: names(localStorage) };
}
