// GET /metrics in Prometheus' text format: process metrics, HTTP requests by route and status, jobs by
// task, provider and outcome, the dispatcher's live health per offering and provider, and whether
// rate limits are counted in Redis or, while it does not answer, in memory.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { Router } from 'express';
import client from 'prom-client';
import type { RateLimiter } from '../billing/rate-limit';
import type { HealthTracker } from '../dispatch/health';

const BREAKER_STATE = { closed: 0, half_open: 1, open: 2 } as const;

export class Metrics {
  readonly registry = new client.Registry();
  private readonly requests: client.Counter<'method' | 'route' | 'status'>;
  private readonly duration: client.Histogram<'route'>;
  readonly jobs: client.Counter<'task' | 'provider' | 'status'>;
  readonly jobCost: client.Counter<'task' | 'provider'>;

  constructor(health: HealthTracker, rateLimiter?: RateLimiter) {
    client.collectDefaultMetrics({ register: this.registry, prefix: 'switchyard_' });
    this.requests = new client.Counter({ name: 'switchyard_http_requests_total', help: 'HTTP requests by route and status.', labelNames: ['method', 'route', 'status'], registers: [this.registry] });
    this.duration = new client.Histogram({
      name: 'switchyard_http_request_duration_seconds',
      help: 'HTTP request duration by route.',
      labelNames: ['route'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [this.registry],
    });
    this.jobs = new client.Counter({ name: 'switchyard_jobs_total', help: 'Finished jobs by task, provider and status.', labelNames: ['task', 'provider', 'status'], registers: [this.registry] });
    this.jobCost = new client.Counter({ name: 'switchyard_job_cost_usd_total', help: 'Customer cost of finished jobs, USD.', labelNames: ['task', 'provider'], registers: [this.registry] });
    const breaker = (name: string, help: string, read: (view: ReturnType<HealthTracker['offeringView']>) => number | null) =>
      new client.Gauge({
        name,
        help,
        labelNames: ['scope', 'id'],
        registers: [this.registry],
        collect() {
          this.reset();
          const snapshot = health.snapshot();
          for (const [scope, entries] of [['offering', snapshot.offerings], ['provider', snapshot.providers]] as const) {
            for (const [id, view] of entries) {
              const value = read(view);
              if (value !== null) this.set({ scope, id }, value);
            }
          }
        },
      });
    breaker('switchyard_breaker_state', 'Circuit breaker state: 0 closed, 1 half-open, 2 open.', (v) => BREAKER_STATE[v.breaker]);
    breaker('switchyard_error_rate', 'Error rate over the recent window.', (v) => v.error_rate);
    breaker('switchyard_latency_p50_seconds', 'Moving median latency of successful calls.', (v) => (v.p50_latency_ms === null ? null : v.p50_latency_ms / 1000));
    breaker('switchyard_in_cooldown', '1 while a 429 cooldown runs.', (v) => (v.cooldown_until ? 1 : 0));
    if (rateLimiter?.shared()) this.rateLimitBackend(rateLimiter);
  }

  private rateLimitBackend(rateLimiter: RateLimiter): void {
    const read = (pick: (state: NonNullable<ReturnType<RateLimiter['shared']>>) => number) =>
      function collect(this: client.Gauge) {
        const state = rateLimiter.shared();
        if (state) this.set(pick(state));
      };
    new client.Gauge({
      name: 'switchyard_rate_limit_redis_up',
      help: '1 while rate limits are counted in Redis, 0 while Redis does not answer and they are counted in memory per replica.',
      registers: [this.registry],
      collect: read((s) => (s.redisAvailable ? 1 : 0)),
    });
    new client.Gauge({
      name: 'switchyard_rate_limit_redis_fallbacks',
      help: 'Times rate-limit counting fell back from Redis to memory since start.',
      registers: [this.registry],
      collect: read((s) => s.fallbacks),
    });
  }

  /** Counts every request under its route pattern (never the raw path, which would explode labels). */
  middleware() {
    return (req: Request, res: Response, next: NextFunction) => {
      this.track(req, res, () => (req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched'));
      next();
    };
  }

  /** Counts the request and its duration once its response is finished, under `route()`. */
  track(req: IncomingMessage, res: ServerResponse, route: () => string): void {
    const end = this.duration.startTimer();
    res.on('finish', () => {
      const label = route();
      this.requests.inc({ method: req.method ?? 'GET', route: label, status: String(res.statusCode) });
      end({ route: label });
    });
  }

  router(): Router {
    const router = Router();
    router.get('/metrics', async (_req, res) => {
      res.type(this.registry.contentType).send(await this.registry.metrics());
    });
    return router;
  }
}
