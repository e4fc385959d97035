// A PDF's page count, read with pdf-lib in a worker thread. pdf-lib parses the whole file before it
// can answer and a hostile PDF can make that slow or huge, so the parse runs where it can be
// stopped: the worker is terminated at the deadline and its heap is capped.
import { Worker } from 'node:worker_threads';
import { InvalidRequest, PayloadTooLarge } from '../../errors';

const WORKER_URL = new URL('./pdf-pages.worker.cjs', import.meta.url);

/** Each running count may use up to this much heap; a larger need is refused as too complex. */
const WORKER_HEAP_MB = 512;
/** Counts running at once; further PDFs wait, so a burst of uploads cannot multiply the heap. */
const MAX_RUNNING = 2;

export interface PdfPageCountOptions {
  maxPages: number;
  timeoutMs: number;
  param: string;
}

type WorkerAnswer = { pages: number } | { over: true } | { error: string };

export async function countPdfPages(bytes: Buffer, options: PdfPageCountOptions): Promise<number> {
  const answer = await inSlot(() => runWorker(bytes, options));
  if ('over' in answer) {
    throw new PayloadTooLarge(`The PDF has more than ${options.maxPages} pages; the limit is ${options.maxPages}.`, options.param);
  }
  if ('error' in answer) throw new InvalidRequest(`The PDF could not be read: ${answer.error}.`, options.param);
  return answer.pages;
}

function runWorker(bytes: Buffer, options: PdfPageCountOptions): Promise<WorkerAnswer> {
  // A copy of exactly these bytes, moved (not cloned) into the worker.
  const copy = new Uint8Array(bytes);
  return new Promise((resolve) => {
    const worker = new Worker(WORKER_URL, {
      workerData: { bytes: copy, maxPages: options.maxPages },
      transferList: [copy.buffer],
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
    });
    let settled = false;
    const finish = (answer: WorkerAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(answer);
    };
    const timer = setTimeout(
      () => finish({ error: `it took longer than ${Math.ceil(options.timeoutMs / 1000)} s to parse` }),
      options.timeoutMs,
    );
    worker.once('message', (answer: WorkerAnswer) => finish(answer));
    worker.once('error', (error: NodeJS.ErrnoException) =>
      finish({ error: error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'it needs too much memory to parse' : 'the parser failed' }),
    );
    worker.once('exit', () => finish({ error: 'the parser stopped' }));
  });
}

let running = 0;
const waiting: (() => void)[] = [];

async function inSlot<T>(task: () => Promise<T>): Promise<T> {
  while (running >= MAX_RUNNING) await new Promise<void>((wake) => waiting.push(wake));
  running += 1;
  try {
    return await task();
  } finally {
    running -= 1;
    waiting.shift()?.();
  }
}
