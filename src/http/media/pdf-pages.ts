// A PDF's page count, read with pdf-lib in a worker thread. pdf-lib parses the whole file before it
// can answer and a hostile PDF can make that slow or huge, so the parse runs where it can be
// stopped: a worker that misses the deadline is terminated, and each worker's heap is capped.
// Loading pdf-lib takes a few hundred milliseconds, so workers are kept for the next PDF and only
// ended when they fail or sit idle.
import { Worker } from 'node:worker_threads';
import { InvalidRequest, PayloadTooLarge } from '../../errors';
import { PDF_PAGES_WORKER } from '../../paths';

/** Each worker may use up to this much heap; a PDF that needs more is refused as too complex. */
const WORKER_HEAP_MB = 512;
/** Workers at once; further PDFs wait their turn, so a burst of uploads cannot multiply the heap. */
const MAX_WORKERS = 2;
const IDLE_MS = 30_000;

export interface PdfPageCountOptions {
  maxPages: number;
  timeoutMs: number;
  param: string;
}

type WorkerAnswer = { pages: number } | { over: true } | { error: string };

export async function countPdfPages(bytes: Buffer, options: PdfPageCountOptions): Promise<number> {
  const answer = await pool.run(bytes, options);
  if ('over' in answer) {
    throw new PayloadTooLarge(`The PDF has more than ${options.maxPages} pages; the limit is ${options.maxPages}.`, options.param);
  }
  if ('error' in answer) throw new InvalidRequest(`The PDF could not be read: ${answer.error}.`, options.param);
  return answer.pages;
}

class PdfWorkerPool {
  private idle: { worker: Worker; timer: NodeJS.Timeout }[] = [];
  private started = 0;
  private waiting: (() => void)[] = [];

  async run(bytes: Buffer, options: PdfPageCountOptions): Promise<WorkerAnswer> {
    const worker = await this.acquire();
    const answer = await ask(worker, bytes, options);
    if ('failed' in answer) {
      this.discard(worker);
      return { error: answer.failed };
    }
    this.release(worker);
    return answer;
  }

  private async acquire(): Promise<Worker> {
    for (;;) {
      const kept = this.idle.pop();
      if (kept) {
        clearTimeout(kept.timer);
        return kept.worker;
      }
      if (this.started < MAX_WORKERS) {
        this.started += 1;
        const worker = new Worker(PDF_PAGES_WORKER, {
          resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
        });
        // Never what keeps the process alive; shutdown does not wait for an idle worker.
        worker.unref();
        return worker;
      }
      await new Promise<void>((wake) => this.waiting.push(wake));
    }
  }

  private release(worker: Worker): void {
    const timer = setTimeout(() => {
      this.idle = this.idle.filter((entry) => entry.worker !== worker);
      this.discard(worker);
    }, IDLE_MS);
    timer.unref();
    this.idle.push({ worker, timer });
    this.waiting.shift()?.();
  }

  private discard(worker: Worker): void {
    this.started -= 1;
    void worker.terminate();
    this.waiting.shift()?.();
  }
}

const pool = new PdfWorkerPool();

/** One job on one worker; `failed` means the worker is no longer usable. */
function ask(worker: Worker, bytes: Buffer, options: PdfPageCountOptions): Promise<WorkerAnswer | { failed: string }> {
  // A copy of exactly these bytes, moved (not cloned) into the worker.
  const copy = new Uint8Array(bytes);
  return new Promise((resolve) => {
    const finish = (answer: WorkerAnswer | { failed: string }) => {
      clearTimeout(timer);
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      resolve(answer);
    };
    const onMessage = (answer: WorkerAnswer) => finish(answer);
    const onError = (error: NodeJS.ErrnoException) =>
      finish({ failed: error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'it needs too much memory to parse' : 'the parser failed' });
    const onExit = () => finish({ failed: 'the parser stopped' });
    const timer = setTimeout(
      () => finish({ failed: `it took longer than ${Math.ceil(options.timeoutMs / 1000)} s to parse` }),
      options.timeoutMs,
    );
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    worker.postMessage({ bytes: copy, maxPages: options.maxPages }, [copy.buffer]);
  });
}
