// Every job endpoint runs through here: check the key may run it, plan it, hold its maximum cost,
// dispatch it, charge the real cost from the provider's reported units (or release the hold when it
// fails), and put the job headers on the response.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { AuthenticatedKey } from '../billing/keys';
import { CreditLeases } from '../billing/leases';
import type { RateLimiter } from '../billing/rate-limit';
import type { Offering } from '../catalog/catalog';
import { costMicros, formatUsd, UNITS, type Units } from '../catalog/price';
import { retryWhileDatabaseUnavailable } from '../db/availability';
import type { Database } from '../db/schema';
import type { Attempt, Dispatcher, Outcome, Plan } from '../dispatch/dispatcher';
import { ProviderPreferences, type Job } from '../dispatch/job';
import { InvalidRequest } from '../errors';
import { newId } from '../ids';
import type { Logger } from '../log';
import type { Metered } from '../providers/types';
import { keyOf, requireTask, type KeyedResponse } from './auth';

/** A job request as the routes see it, from express or from the direct JSON routes (fast-routes.ts). */
export type JobRequest = IncomingMessage & { body?: unknown };
export type JobResponse = ServerResponse & KeyedResponse;
/** A JSON job route's handler: it answers, or throws for the error middleware to answer. */
export type JobHandler = (req: JobRequest, res: JobResponse) => Promise<void>;

export interface JobServices {
  db: Kysely<Database>;
  dispatcher: Dispatcher;
  rateLimiter: RateLimiter;
  logger: Logger;
  markupPpm: bigint;
  /** Report usage to a Stripe billing meter through the outbox. */
  meterUsage: boolean;
  /** LOG_PROMPTS: log each finished job's input and output (never logged otherwise). */
  logPrompts: boolean;
}

export interface Charge {
  units: Units;
  providerCostMicros: number;
  costMicros: number;
}

/** Compiled (zod's AOT fast path): every job's preferences are parsed with it. */
const providerPreferences = z.compile(ProviderPreferences);

/** Parses `provider` routing preferences: an object in JSON bodies, a JSON string in multipart forms. */
export function parsePreferences(raw: unknown): ProviderPreferences {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new InvalidRequest('provider must be a JSON object.', 'provider');
    }
  }
  const parsed = providerPreferences.safeParse(value ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = ['provider', ...issue.path.map(String)].join('.');
    throw new InvalidRequest(`${path}: ${issue.message}`, path);
  }
  return parsed.data;
}

/** Aborted when the client goes away before the response is complete. */
export function clientSignal(req: JobRequest, res: JobResponse): AbortSignal {
  return clientController(req, res).signal;
}

/** A controller the client's going away aborts; the dispatcher aborts it too at the job's deadline. */
function clientController(req: JobRequest, res: JobResponse): AbortController {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort(new Error('client went away'));
  });
  req.on('aborted', () => controller.abort(new Error('client went away')));
  return controller;
}

/** Units to bill: the provider's own report, with any priced unit it left out taken from the estimate. */
export function billableUnits(reported: Units, estimated: Units, offering: Offering): Units {
  const given: Units = { ...reported };
  // Cached prompt tokens bill as ordinary input where the offering has no cached price.
  if (given.cached_input_tokens && !offering.pricing.cached_input_tokens) {
    given.input_tokens = (given.input_tokens ?? 0) + given.cached_input_tokens;
    delete given.cached_input_tokens;
  }
  const units: Units = {};
  for (const unit of UNITS) {
    if (!offering.pricing[unit]) continue;
    const value = given[unit] ?? estimated[unit];
    if (value !== undefined) units[unit] = value;
  }
  return units;
}

export function chargeFor(units: Units, offering: Offering, markupPpm: bigint): Charge {
  return { units, providerCostMicros: costMicros(units, offering.pricing), costMicros: costMicros(units, offering.pricing, markupPpm) };
}

export function setJobHeaders(res: ServerResponse, outcome: Outcome<unknown>, charge: Charge | null): void {
  const { offering } = outcome.served;
  res.setHeader('x-switchyard-provider', offering.provider);
  res.setHeader('x-switchyard-model', offering.model.id);
  res.setHeader('x-switchyard-attempts', String(outcome.attempts.length));
  if (charge) res.setHeader('x-switchyard-cost-usd', formatUsd(charge.costMicros));
}

export interface Admitted {
  key: AuthenticatedKey;
  plan: Plan;
  requestId: string;
  /** Aborted when the client goes away, or by the dispatcher when the job's deadline passes. */
  job: AbortController;
}

/**
 * The id a job is held, billed and metered under: always Switchyard's own. A client's x-request-id
 * is kept for tracing (echoed as x-client-request-id, in the logs) but never used for that, since a
 * reused one (the client's own, or another account's) would collide with an earlier job's settlement
 * and run the job for free.
 */
function jobRequestId(services: JobServices, req: JobRequest, res: JobResponse): string {
  const sent = req.headers['x-request-id'];
  const clientChosen = Array.isArray(sent) ? sent[0] : sent;
  if (clientChosen === undefined || clientChosen !== req.id) return req.id;
  const id = newId('req', 24);
  res.setHeader('x-client-request-id', clientChosen);
  res.setHeader('x-request-id', id);
  services.logger.debug({ clientRequestId: clientChosen, requestId: id }, 'job filed under its own request id');
  return id;
}

/** Checks, rate limit, plan and hold: after this the job may run; nothing upstream has been called. */
export async function admitJob(services: JobServices, req: JobRequest, res: JobResponse, job: Omit<Job, 'policy'>, tokens = 0): Promise<Admitted> {
  const key = keyOf(res);
  requireTask(key, job.task);
  await services.rateLimiter.check(key, tokens, res);
  const plan = services.dispatcher.plan({ ...job, policy: key.policy });
  const requestId = jobRequestId(services, req, res);
  await CreditLeases.for(services.db).placeHold({ requestId, key, amountMicros: plan.holdMicros });
  return { key, plan, requestId, job: clientController(req, res) };
}

/**
 * Runs a buffered (non-streaming) job end to end and returns the provider's result; headers are set.
 * A failure releases the hold and rethrows.
 */
export async function runBufferedJob<T>(
  services: JobServices,
  req: JobRequest,
  res: JobResponse,
  job: Omit<Job, 'policy'>,
  attempt: Attempt<Metered<T>>,
  tokens = 0,
): Promise<{ result: T; charge: Charge; outcome: Outcome<Metered<T>> }> {
  const admitted = await admitJob(services, req, res, job, tokens);
  let outcome: Outcome<Metered<T>>;
  try {
    outcome = await services.dispatcher.run(admitted.plan, attempt, { requestId: admitted.requestId, job: admitted.job });
  } catch (error) {
    await releaseJobHold(services, admitted.requestId);
    throw error;
  }
  const { offering, estimate } = outcome.served;
  const charge = chargeFor(billableUnits(outcome.value.units, estimate.units, offering), offering, services.markupPpm);
  await recordUsage(services, admitted, outcome, charge, 'succeeded');
  setJobHeaders(res, outcome, charge);
  logJobContent(services, req, admitted.requestId, outcome, outcome.value.result);
  return { result: outcome.value.result, charge, outcome };
}

/**
 * With LOG_PROMPTS set, one line per finished job with what was asked and what came back: the request
 * body's fields (an uploaded file is not among them) and the result, binary data shown by its size.
 * Without it nothing of either is logged. Key material is redacted as on every line.
 */
export function logJobContent(services: JobServices, req: JobRequest, requestId: string, outcome: Outcome<unknown>, output: unknown): void {
  if (!services.logPrompts) return;
  const { offering } = outcome.served;
  services.logger.info(
    { requestId, task: offering.model.task, model: offering.model.id, provider: offering.provider, input: printable(req.body), output: printable(output) },
    'job content',
  );
}

/** A copy safe to log: bytes become their length, depth and array length are bounded. */
function printable(value: unknown, depth = 0): unknown {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return { bytes: value.byteLength };
  if (value === null || typeof value !== 'object') return value;
  if (depth >= 8) return '[nested]';
  if (Array.isArray(value)) return value.slice(0, 1000).map((item) => printable(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v !== 'function') out[k] = printable(v, depth + 1);
  return out;
}

/** A job that failed costs nothing: its hold goes back (through a short database outage too). */
export async function releaseJobHold(services: JobServices, requestId: string): Promise<void> {
  await retryWhileDatabaseUnavailable(() => CreditLeases.for(services.db).releaseHold(requestId));
}

/**
 * Settles a finished job: one usage event, one ledger entry, hold released. The provider has done the
 * work, so a database outage is waited out (bounded; settling is idempotent by request id).
 */
export async function recordUsage(services: JobServices, admitted: Admitted, outcome: Outcome<unknown>, charge: Charge, status: 'succeeded' | 'partial'): Promise<void> {
  const { offering } = outcome.served;
  const settlement = {
    requestId: admitted.requestId,
    key: admitted.key,
    task: offering.model.task,
    model: offering.model.id,
    provider: offering.provider,
    providerModelId: offering.providerModelId,
    units: charge.units as Record<string, number>,
    providerCostMicros: charge.providerCostMicros,
    costMicros: charge.costMicros,
    latencyMs: outcome.latencyMs,
    status,
    attempts: outcome.attempts.length,
    meter: services.meterUsage,
  };
  await retryWhileDatabaseUnavailable(() => CreditLeases.for(services.db).settle(settlement));
}
