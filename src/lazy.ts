// Heavy libraries load on first use, not at start: a gateway that never sees an image, an audio file
// or a local OCR job never holds sharp, file-type, music-metadata or tesseract.js in memory.

/** Runs `load` once, on the first call, and hands every caller the same promise. */
export function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load());
}

export const loadSharp = lazy(() => import('sharp').then((m) => m.default));
