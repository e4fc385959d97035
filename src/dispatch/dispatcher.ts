// Sends each job to the cheapest healthy offering that can serve it and falls back when one fails.
// plan() picks and orders the candidates and says how much to hold; run() tries them in order
// within the job's deadline, recording health from every attempt.
import type { Catalog, Offering } from '../catalog/catalog';
import { formatUsd, parseUsd } from '../catalog/price';
import type { Task } from '../catalog/schema';
import { AllOfferingsFailed, ApiError, InvalidRequest, NoOffering, UpstreamClientError, UpstreamError, type UpstreamFailureKind } from '../errors';
import type { ProviderEntry, ProviderRegistry } from '../providers/registry';
import type { CallContext, ProviderAdapter } from '../providers/types';
import { findCandidates, type Exclusion } from './candidates';
import { estimateJob } from './estimate';
import type { HealthTracker } from './health';
import type { Job } from './job';
import { rankOfferings, type RankedOffering } from './rank';
import { withoutCredentials } from './redact';

/** At most this many offerings are tried for one job. */
export const MAX_ATTEMPTS = 4;

export interface DispatcherOptions {
  catalog: Catalog;
  providers: ProviderRegistry;
  health: HealthTracker;
  markupPpm: bigint;
  upstreamTimeoutMs: number;
  jobDeadlineMs: number;
}

export interface Plan {
  job: Job;
  candidates: RankedOffering[];
  /** The most this job can cost the customer on any candidate it may try: the billing hold. */
  holdMicros: number;
}

export interface AttemptRecord {
  provider: string;
  model: string;
  provider_model_id: string;
  outcome: 'succeeded' | 'failed' | 'skipped';
  reason?: string;
  status?: number | null;
  kind?: UpstreamFailureKind;
  latency_ms?: number;
}

export interface Outcome<T> {
  value: T;
  served: RankedOffering;
  entry: ProviderEntry;
  attempts: AttemptRecord[];
  latencyMs: number;
}

export type Attempt<T> = (candidate: RankedOffering, ctx: CallContext, adapter: ProviderAdapter) => Promise<T>;

export class Dispatcher {
  private readonly throughputs = new Map<string, number[]>();

  constructor(readonly options: DispatcherOptions) {}

  get health(): HealthTracker {
    return this.options.health;
  }

  plan(job: Job): Plan {
    const { catalog, health, markupPpm } = this.options;
    const search = findCandidates(catalog, job, {
      routable: (o) => this.routable(o, job.task),
      healthy: (o) => health.available(o.key, o.provider),
    });
    let ranked = rankOfferings(
      search.fits.map((offering) => ({ offering, estimate: estimateJob(offering, job, markupPpm) })),
      job.preferences,
      { p50LatencyMs: (o) => health.p50(o.key), throughput: (o) => this.throughput(o.key) },
    );
    if (job.preferences.max_price !== undefined) {
      const ceiling = parseUsd(String(job.preferences.max_price));
      const within = ranked.filter((r) => r.estimate.customerMicros <= ceiling);
      if (!within.length && ranked.length) {
        throw new NoOffering(`No offering can serve this job for at most $${job.preferences.max_price}; the cheapest estimate is $${formatUsd(ranked[0]!.estimate.customerMicros)}.`);
      }
      ranked = within;
    }
    if (!ranked.length) {
      // Offerings that fit but are all cooling down or have their circuit open are a passing outage
      // (503, try again), not a job nothing can serve (422).
      const whenHealthy = findCandidates(catalog, job, { routable: (o) => this.routable(o, job.task), healthy: () => true });
      if (whenHealthy.fits.length) {
        const providers = [...new Set(whenHealthy.fits.map((o) => o.provider))].join(', ');
        throw new ApiError('upstream_unavailable', `Every offering that can serve this job is unavailable right now (circuit open or cooling down after rate limits: ${providers}); try again shortly.`);
      }
      throw new NoOffering(noOfferingMessage(job, search.excluded));
    }
    const tried = ranked.slice(0, job.preferences.allow_fallbacks ? MAX_ATTEMPTS : 1);
    const holdMicros = Math.max(...tried.map((r) => r.estimate.customerMicros));
    return { job, candidates: tried, holdMicros };
  }

  /**
   * Tries the plan's offerings in order until one answers. `opts.job` is the job's AbortController,
   * which the caller aborts when the client goes away and this aborts when the job's deadline passes;
   * the attempts get its signal, so either ends them (and a stream served from one, afterwards).
   * One controller per job, not one for the client and one for the attempts: Node 20's AbortSignals
   * always end up in the old generation, so each costs the garbage collector far more than its size
   * (measured: 1-10% of the CPU per request for the second one).
   */
  async run<T>(plan: Plan, attempt: Attempt<T>, opts: { requestId: string; job?: AbortController }): Promise<Outcome<T>> {
    const { health, providers, upstreamTimeoutMs, jobDeadlineMs } = this.options;
    const started = Date.now();
    const job = opts.job ?? new AbortController();
    const signal = job.signal;
    let deadlinePassed = false;
    const timer = setTimeout(() => {
      deadlinePassed = true;
      job.abort(new Error('job deadline passed'));
    }, jobDeadlineMs);
    const clientLeft = () => signal.aborted && !deadlinePassed;
    const attempts: AttemptRecord[] = [];
    try {
      for (const candidate of plan.candidates) {
        const { offering } = candidate;
        const record: AttemptRecord = { provider: offering.provider, model: offering.model.id, provider_model_id: offering.providerModelId, outcome: 'failed' };
        attempts.push(record);
        if (clientLeft()) throw clientWentAway();
        if (deadlinePassed) {
          Object.assign(record, { outcome: 'skipped', reason: 'job deadline passed', kind: 'timeout' });
          break;
        }
        if (!health.admit(offering.key, offering.provider)) {
          record.outcome = 'skipped';
          record.reason = 'circuit open or cooling down';
          continue;
        }
        const entry = providers.get(offering.provider)!;
        const remaining = jobDeadlineMs - (Date.now() - started);
        const ctx: CallContext = {
          provider: offering.provider,
          providerModelId: offering.providerModelId,
          credentials: entry.credentials,
          timeoutMs: Math.max(1, Math.min(upstreamTimeoutMs, remaining)),
          signal,
          requestId: opts.requestId,
        };
        const attemptStarted = Date.now();
        try {
          const value = await attempt(candidate, ctx, entry.adapter);
          record.outcome = 'succeeded';
          record.latency_ms = Date.now() - attemptStarted;
          health.recordSuccess(offering.key, offering.provider, record.latency_ms);
          return { value, served: candidate, entry, attempts, latencyMs: Date.now() - started };
        } catch (error) {
          record.latency_ms = Date.now() - attemptStarted;
          // An abort surfaces as whatever the adapter made of it (often a "connection failed"): the
          // signals say what really happened. A client that left says nothing about the host's health.
          if (clientLeft()) {
            health.recordFailure(offering.key, offering.provider, { kind: 'released', reason: 'client went away' });
            throw clientWentAway();
          }
          if (deadlinePassed) {
            Object.assign(record, { reason: 'job deadline passed', kind: 'timeout', status: null });
            health.recordFailure(offering.key, offering.provider, { kind: 'failure', reason: 'job deadline passed' });
            continue;
          }
          if (!(error instanceof UpstreamError)) {
            health.recordFailure(offering.key, offering.provider, { kind: 'released', reason: String(error) });
            throw error;
          }
          error.message = withoutCredentials(error.message, entry.credentials);
          record.reason = error.message;
          record.status = error.statusCode;
          record.kind = error.kind;
          if (error.kind === 'aborted') {
            health.recordFailure(offering.key, offering.provider, { kind: 'released', reason: error.message });
            continue;
          }
          this.recordUpstreamFailure(offering, error);
          if (!isProviderFault(error)) throw new UpstreamClientError(error.message, error.statusCode ?? 400, offering.provider);
          if (!plan.job.preferences.allow_fallbacks) break;
        }
      }
    } finally {
      clearTimeout(timer);
    }
    throw new AllOfferingsFailed(
      `Every offering tried for this job failed: ${attempts.map((a) => `${a.provider} (${a.reason ?? a.outcome})`).join('; ')}`,
      attempts.map((a) => ({ provider: a.provider, model: a.model, reason: a.reason ?? a.outcome, statusCode: a.status ?? null, kind: a.kind ?? 'http' })),
    );
  }

  /** A stream that failed after its first byte reached the client still counts against health. */
  recordUpstreamFailure(offering: Offering, error: UpstreamError): void {
    const health = this.options.health;
    error.message = withoutCredentials(error.message, this.options.providers.get(offering.provider)?.credentials);
    if (error.kind === 'aborted') return;
    if (error.statusCode === 429) {
      health.recordFailure(offering.key, offering.provider, { kind: 'rate_limited', reason: error.message, retryAfterMs: error.retryAfterMs });
    } else if (isProviderFault(error)) {
      health.recordFailure(offering.key, offering.provider, { kind: 'failure', reason: error.message });
    } else {
      health.recordFailure(offering.key, offering.provider, { kind: 'ignored', reason: error.message });
    }
  }

  /** Output tokens per second of a finished chat job, for `sort=throughput`. */
  recordThroughput(offering: Offering, outputTokens: number, elapsedMs: number): void {
    if (outputTokens <= 0 || elapsedMs <= 0) return;
    const samples = this.throughputs.get(offering.key) ?? [];
    samples.push((outputTokens * 1000) / elapsedMs);
    if (samples.length > 32) samples.shift();
    this.throughputs.set(offering.key, samples);
  }

  throughput(offeringKey: string): number | null {
    const samples = this.throughputs.get(offeringKey);
    if (!samples?.length) return null;
    const sorted = [...samples].sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)]!;
  }

  routable(offering: Offering, task: Task): boolean {
    const entry = this.options.providers.get(offering.provider);
    return Boolean(entry?.enabled && entry.adapter[task]);
  }
}

/** Nobody reads this answer; it ends the job without blaming a provider or logging a server error. */
function clientWentAway(): InvalidRequest {
  return new InvalidRequest('The client closed the connection before the job finished.');
}

/**
 * Failures another offering may not share: the retryable ones (connect, timeout, 408, 409, 429, 5xx),
 * and a host refusing Switchyard's own credentials or account (401, 403). Those are about the host,
 * not the client's request, so they fall back and count against health instead of reaching the
 * client as if its own key were wrong.
 */
function isProviderFault(error: UpstreamError): boolean {
  return error.isRetryable || (error.kind === 'http' && (error.statusCode === 401 || error.statusCode === 403));
}

function noOfferingMessage(job: Job, excluded: Exclusion[]): string {
  if (!excluded.length) return `No offering serves ${job.model === 'auto' ? `the ${job.task} task` : `the model "${job.model}"`}.`;
  const counts = new Map<string, number>();
  for (const e of excluded) counts.set(e.reason, (counts.get(e.reason) ?? 0) + 1);
  const reasons = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([reason]) => reason);
  return `No offering can serve this job: ${reasons.join('; ')}.`;
}
