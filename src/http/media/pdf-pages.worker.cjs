'use strict';
// Counts the pages of PDFs, one at a time, in a worker thread, so that a hostile file costs at most
// what the parent allows: it terminates the worker at a deadline and caps its heap (see
// pdf-pages.ts). CommonJS because worker threads do not inherit the TypeScript loader the rest of
// the app runs under.
const { parentPort } = require('node:worker_threads');
const { PDFDocument, PDFArray, PDFDict, PDFName, ParseSpeeds } = require('pdf-lib');

// pdf-lib reports every malformed object on the console; a hostile file would flood the log.
console.log = console.info = console.warn = console.error = () => {};

// Real page trees are a few levels deep; a deeper one is a cycle or an attack.
const MAX_DEPTH = 64;

/** @returns {Promise<{ pages: number } | { over: true } | { error: string }>} */
async function countPages(bytes, maxPages) {
  const doc = await PDFDocument.load(bytes, {
    ignoreEncryption: true,
    updateMetadata: false,
    throwOnInvalidObject: false,
    // No yielding to the event loop: nothing else runs in this thread, and the parent owns the clock.
    parseSpeed: ParseSpeeds.Fastest,
  });
  const root = doc.catalog.lookup(PDFName.of('Pages'));
  if (!(root instanceof PDFDict)) return { error: 'it has no page tree' };
  // A page is counted each time the tree lists it (a viewer shows it each time). The depth limit
  // stops cycles; the visit budget stops a tree whose nodes are shared to multiply the work.
  const budget = maxPages * 2 + 10_000;
  const stack = [[root, 0]];
  let pages = 0;
  let visits = 0;
  while (stack.length > 0) {
    const [node, depth] = stack.pop();
    if (++visits > budget) return { error: 'its page tree is malformed' };
    if (depth > MAX_DEPTH) return { error: 'its page tree is malformed (too deep or cyclic)' };
    const kids = node.lookup(PDFName.of('Kids'));
    if (kids instanceof PDFArray) {
      for (let i = kids.size() - 1; i >= 0; i--) {
        const kid = kids.lookup(i);
        if (kid instanceof PDFDict) stack.push([kid, depth + 1]);
      }
    } else if (node !== root) {
      pages += 1;
      if (pages > maxPages) return { over: true };
    }
  }
  return pages === 0 ? { error: 'it has no pages' } : { pages };
}

parentPort.on('message', ({ bytes, maxPages }) => {
  countPages(bytes, maxPages).then(
    (result) => parentPort.postMessage(result),
    (error) => parentPort.postMessage({ error: String((error && error.message) || error).slice(0, 200) }),
  );
});
