// A bounded pool of tesseract.js workers. At most `size` workers exist; each is created on first
// need with the languages its job asks for, replaced when an idle one holds other languages,
// recycled after `jobsPerWorker` jobs (tesseract's WebAssembly heap grows with the largest image
// it has seen and never shrinks), and ended when the pool has been idle for `idleMs`. Jobs beyond
// the workers wait in a queue of at most `maxQueue`; past that the engine answers "busy" (503), so
// the dispatcher can try another offering. tesseract.js's own scheduler is not used: it cannot hold
// workers with different languages, drop a waiting job whose client left, or await termination.
import type { Page, Worker } from 'tesseract.js';
import { lazy } from '../../lazy';
import { UpstreamError } from '../../errors';

export interface TesseractPoolOptions {
  size: number;
  /** Folder holding `<code>.traineddata.gz` for every language a job may ask for. */
  langPath: string;
  maxQueue: number;
  jobsPerWorker: number;
  idleMs: number;
}

interface Slot {
  langs: string;
  worker: Promise<Worker>;
  busy: boolean;
  jobs: number;
}

interface Waiter {
  langs: string;
  resolve(slot: Slot): void;
  reject(error: unknown): void;
}

const PROVIDER = 'tesseract';

const loadTesseract = lazy(() => import('tesseract.js'));

export class TesseractPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Waiter[] = [];
  private idleTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly options: TesseractPoolOptions) {}

  /** Workers alive now (for tests and metrics). */
  get workerCount(): number {
    return this.slots.length;
  }

  /**
   * Recognizes one image with `langs` ("eng", "deu+eng"). `signal` bounds the wait and the work:
   * when it fires, a waiting job leaves the queue and a running one's worker is ended.
   */
  async recognize(image: Buffer, langs: string, signal: AbortSignal): Promise<Page> {
    const slot = await this.acquire(langs, signal);
    let discard = false;
    try {
      const worker = await whenSettledOrAborted(slot.worker, signal);
      const { data } = await whenSettledOrAborted(worker.recognize(image, {}, { text: true, blocks: true }), signal);
      return data;
    } catch (error) {
      // A worker that failed or was cut off mid-job is not trusted with the next one.
      discard = true;
      throw error;
    } finally {
      this.release(slot, discard);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    for (const waiter of this.queue.splice(0)) waiter.reject(busy('tesseract is shutting down'));
    await Promise.all(this.slots.splice(0).map((slot) => endWorker(slot)));
  }

  private acquire(langs: string, signal: AbortSignal): Promise<Slot> {
    if (this.closed) return Promise.reject(busy('tesseract is shut down'));
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const slot = this.queue.length === 0 ? this.reserve(langs) : null;
    if (slot) return Promise.resolve(slot);
    if (this.queue.length >= this.options.maxQueue) {
      return Promise.reject(busy(`tesseract is busy: ${this.queue.length} pages are waiting for a worker`));
    }
    return new Promise<Slot>((resolve, reject) => {
      const onAbort = () => {
        const at = this.queue.indexOf(waiter);
        if (at >= 0) this.queue.splice(at, 1);
        reject(signal.reason);
      };
      const waiter: Waiter = {
        langs,
        resolve: (s) => {
          signal.removeEventListener('abort', onAbort);
          resolve(s);
        },
        reject,
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  /** Takes an idle worker with these languages, or makes room for a new one; null when all are busy. */
  private reserve(langs: string): Slot | null {
    const same = this.slots.find((s) => !s.busy && s.langs === langs);
    if (same) {
      same.busy = true;
      return same;
    }
    if (this.slots.length >= this.options.size) {
      const idle = this.slots.find((s) => !s.busy);
      if (!idle) return null;
      this.remove(idle);
    }
    const slot: Slot = { langs, worker: this.spawn(langs), busy: true, jobs: 0 };
    this.slots.push(slot);
    return slot;
  }

  private spawn(langs: string): Promise<Worker> {
    const worker = loadTesseract().then(({ createWorker, OEM }) =>
      createWorker(langs, OEM.LSTM_ONLY, {
        langPath: this.options.langPath,
        gzip: true,
        cacheMethod: 'none',
        // Without a handler tesseract.js throws a failed job's error from its message listener, outside any promise.
        errorHandler: () => {},
      }),
    );
    worker.catch(() => {});
    return worker;
  }

  private release(slot: Slot, discard: boolean): void {
    slot.jobs += 1;
    slot.busy = false;
    if (discard || slot.jobs >= this.options.jobsPerWorker || this.closed) this.remove(slot);
    this.dispatch();
    if (this.queue.length === 0 && this.slots.every((s) => !s.busy)) this.scheduleIdleEnd();
  }

  private dispatch(): void {
    while (this.queue.length > 0 && !this.closed) {
      const slot = this.reserve(this.queue[0]!.langs);
      if (!slot) return;
      this.queue.shift()!.resolve(slot);
    }
  }

  private remove(slot: Slot): void {
    const at = this.slots.indexOf(slot);
    if (at >= 0) this.slots.splice(at, 1);
    void endWorker(slot);
  }

  private scheduleIdleEnd(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      for (const slot of this.slots.filter((s) => !s.busy)) this.remove(slot);
    }, this.options.idleMs);
    this.idleTimer.unref();
  }
}

async function endWorker(slot: Slot): Promise<void> {
  try {
    await (await slot.worker).terminate();
  } catch {
    // A worker that never started has nothing to end.
  }
}

function busy(message: string): UpstreamError {
  return new UpstreamError(PROVIDER, 'http', message, 503, 1_000);
}

/** Resolves with the promise, or rejects as soon as the signal fires. */
function whenSettledOrAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
