// The embedded PostgreSQL (PGlite) in a worker thread. PGlite runs each statement synchronously in
// WebAssembly, disk writes included: on the main thread a group commit of the last 100 ms of
// settlements held up every request for as long as it ran (event-loop stalls of 50 to 140 ms under
// load), and its CPU was the gateway's. Here the main thread only posts the SQL and gets the rows.
//
// The worker serves one statement at a time, in the order they arrive; kysely's PGlite dialect
// already hands it one connection (and so one transaction) at a time. Errors come back with
// PostgreSQL's fields (code, detail, constraint …), which the callers read.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface PgliteWorkerOptions {
  /** The data folder; in memory when absent. */
  location?: string;
  /** A dump (tar.gz) to start from instead of running initdb. */
  template?: Blob;
  /** Lines of postgresql.conf. */
  config: string[];
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** The PGlite calls Switchyard makes, answered by the worker: what kysely's dialect and the tests use. */
export class PgliteWorker {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private ended: Error | null = null;
  private closing: Promise<void> | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (message: { id: number; result?: unknown; error?: Record<string, unknown> }) => {
      const call = this.pending.get(message.id);
      if (!call) return;
      this.pending.delete(message.id);
      if (message.error) call.reject(Object.assign(new Error(String(message.error.message)), message.error));
      else call.resolve(message.result);
    });
    worker.on('error', (error) => this.end(error));
    worker.on('exit', () => this.end(new Error('PGlite is closed')));
  }

  static async open(options: PgliteWorkerOptions): Promise<PgliteWorker> {
    // The CommonJS build, found from here: the evaluated worker has no module of its own to resolve from.
    const engine = createRequire(import.meta.url).resolve('@electric-sql/pglite');
    const template = options.template ? new Uint8Array(await options.template.arrayBuffer()) : undefined;
    const worker = new Worker(WORKER_SCRIPT, { eval: true, workerData: { engine, location: options.location, template, config: options.config } });
    const db = new PgliteWorker(worker);
    await db.call('ready');
    return db;
  }

  get closed(): boolean {
    return this.ended !== null || this.closing !== null;
  }

  query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<{ rows: T[]; affectedRows?: number }> {
    return this.call('query', { sql, params }) as Promise<{ rows: T[]; affectedRows?: number }>;
  }

  async dumpDataDir(compression: 'gzip' | 'none' = 'gzip'): Promise<Blob> {
    const bytes = (await this.call('dump', { compression })) as Uint8Array;
    return new Blob([bytes]);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.ended) await this.call('close').catch(() => {});
      await this.worker.terminate();
      this.end(new Error('PGlite is closed'));
    })();
    return this.closing;
  }

  private call(op: string, args: Record<string, unknown> = {}): Promise<unknown> {
    if (this.ended) return Promise.reject(this.ended);
    if (this.closing && op !== 'close') return Promise.reject(new Error('PGlite is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, ...args });
    });
  }

  private end(error: Error): void {
    this.ended ??= error;
    for (const call of this.pending.values()) call.reject(this.ended);
    this.pending.clear();
  }
}

/**
 * Runs in the worker (CommonJS, evaluated). int8 comes back as a number, as on node-postgres here.
 * Messages are handled one after another, so statements run in arrival order.
 */
const WORKER_SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const FIELDS = ['code', 'detail', 'hint', 'constraint', 'severity', 'schema', 'table', 'column', 'dataType', 'where', 'position'];
let queue = Promise.resolve();
let db;
parentPort.on('message', (message) => {
  queue = queue.then(() => handle(message));
});
async function handle({ id, op, sql, params, compression }) {
  try {
    if (op === 'ready') {
      const { PGlite } = require(workerData.engine);
      db = await PGlite.create(workerData.location, {
        parsers: { 20: (value) => Number(value) },
        loadDataDir: workerData.template ? new Blob([workerData.template]) : undefined,
        postgresqlconf: workerData.config,
      });
      return parentPort.postMessage({ id });
    }
    if (op === 'query') {
      const { rows, affectedRows } = await db.query(sql, params);
      return parentPort.postMessage({ id, result: { rows, affectedRows } });
    }
    if (op === 'dump') {
      const dump = await db.dumpDataDir(compression);
      return parentPort.postMessage({ id, result: new Uint8Array(await dump.arrayBuffer()) });
    }
    if (op === 'close') {
      if (db && !db.closed) await db.close();
      return parentPort.postMessage({ id });
    }
    throw new Error('unknown operation ' + op);
  } catch (error) {
    const fields = { message: error instanceof Error ? error.message : String(error) };
    for (const name of FIELDS) if (error && error[name] !== undefined) fields[name] = error[name];
    parentPort.postMessage({ id, error: fields });
  }
}
`;
