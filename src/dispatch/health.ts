// Health from real traffic, per offering and per provider: a circuit breaker (consecutive failures,
// or the error rate over a window of recent calls, opens it; after a cooldown one half-open probe
// decides), a cooldown for a 429's Retry-After, and a moving p50 of latency for ranking.

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface HealthOptions {
  /** Consecutive failures that open a breaker. */
  failureThreshold: number;
  /** Error rate over the window that opens a breaker, once the window has `minCalls` calls. */
  errorRateThreshold: number;
  windowSize: number;
  minCalls: number;
  /** How long an open breaker waits before letting one probe through. */
  cooldownMs: number;
  /** Cooldown after a 429 that named no Retry-After. */
  defaultRateLimitCooldownMs: number;
  latencySamples: number;
}

export const DEFAULT_HEALTH_OPTIONS: HealthOptions = {
  failureThreshold: 5,
  errorRateThreshold: 0.5,
  windowSize: 20,
  minCalls: 10,
  cooldownMs: 30_000,
  defaultRateLimitCooldownMs: 10_000,
  latencySamples: 64,
};

export interface HealthView {
  status: 'healthy' | 'degraded' | 'cooldown' | 'down' | 'probing' | 'unknown';
  breaker: BreakerState;
  consecutive_failures: number;
  error_rate: number;
  calls: number;
  p50_latency_ms: number | null;
  cooldown_until: string | null;
  last_error: string | null;
}

class Breaker {
  state: BreakerState = 'closed';
  consecutiveFailures = 0;
  /** Recent outcomes, true = failure; a ring of `windowSize`. */
  private readonly outcomes: boolean[] = [];
  openedAt = 0;
  probeInFlight = false;
  cooldownUntil = 0;
  lastError: string | null = null;
  calls = 0;
  private readonly latencies: number[] = [];
  private sortedLatencies: number[] | null = null;

  constructor(private readonly options: HealthOptions) {}

  /** May a call go through now? Claims the half-open probe when it is this call's turn. */
  admit(now: number): boolean {
    if (now < this.cooldownUntil) return false;
    if (this.state === 'closed') return true;
    if (this.state === 'open' && now - this.openedAt >= this.options.cooldownMs) {
      this.state = 'half_open';
      this.probeInFlight = false;
    }
    if (this.state === 'half_open' && !this.probeInFlight) {
      this.probeInFlight = true;
      return true;
    }
    return false;
  }

  /** Would a call be admitted now (without claiming anything)? */
  available(now: number): boolean {
    if (now < this.cooldownUntil) return false;
    if (this.state === 'closed') return true;
    if (this.state === 'open') return now - this.openedAt >= this.options.cooldownMs;
    return !this.probeInFlight;
  }

  success(latencyMs: number): void {
    this.answered();
    this.latencies.push(latencyMs);
    if (this.latencies.length > this.options.latencySamples) this.latencies.shift();
    this.sortedLatencies = null;
  }

  /** The host answered (perhaps with a client error): it is up, but the call says nothing about latency. */
  answered(): void {
    this.calls++;
    this.push(false);
    this.consecutiveFailures = 0;
    this.state = 'closed';
    this.probeInFlight = false;
  }

  /** The call ended without a verdict (the client went away): a probe it held goes back. */
  release(): void {
    this.probeInFlight = false;
  }

  failure(now: number, reason: string): void {
    this.calls++;
    this.push(true);
    this.consecutiveFailures++;
    this.lastError = reason;
    if (this.state === 'half_open' || this.consecutiveFailures >= this.options.failureThreshold || this.errorRateTripped()) {
      this.state = 'open';
      this.openedAt = now;
      this.probeInFlight = false;
    }
  }

  rateLimited(now: number, retryAfterMs: number | null, reason: string): void {
    this.lastError = reason;
    this.cooldownUntil = Math.max(this.cooldownUntil, now + (retryAfterMs ?? this.options.defaultRateLimitCooldownMs));
    // A probe that met a 429 says nothing about health: let the next one try after the cooldown.
    this.probeInFlight = false;
  }

  errorRate(): number {
    return this.outcomes.length ? this.outcomes.filter(Boolean).length / this.outcomes.length : 0;
  }

  p50(): number | null {
    if (!this.latencies.length) return null;
    this.sortedLatencies ??= [...this.latencies].sort((a, b) => a - b);
    return this.sortedLatencies[Math.floor((this.sortedLatencies.length - 1) / 2)]!;
  }

  private errorRateTripped(): boolean {
    return this.outcomes.length >= this.options.minCalls && this.errorRate() >= this.options.errorRateThreshold;
  }

  private push(failed: boolean): void {
    this.outcomes.push(failed);
    if (this.outcomes.length > this.options.windowSize) this.outcomes.shift();
  }

  view(now: number): HealthView {
    let status: HealthView['status'];
    if (now < this.cooldownUntil) status = 'cooldown';
    else if (this.state === 'open') status = 'down';
    else if (this.state === 'half_open') status = 'probing';
    else if (this.calls === 0) status = 'unknown';
    else status = this.consecutiveFailures > 0 || this.errorRate() > 0.1 ? 'degraded' : 'healthy';
    return {
      status,
      breaker: this.state,
      consecutive_failures: this.consecutiveFailures,
      error_rate: Math.round(this.errorRate() * 1000) / 1000,
      calls: this.calls,
      p50_latency_ms: this.p50(),
      cooldown_until: now < this.cooldownUntil ? new Date(this.cooldownUntil).toISOString() : null,
      last_error: this.lastError,
    };
  }
}

/**
 * failure: counts against health; rate_limited: a 429, cooldown only; ignored: the host answered with
 * a client error, so it is up; released: no verdict at all (the call was aborted).
 */
export type FailureClass = 'failure' | 'rate_limited' | 'ignored' | 'released';

export class HealthTracker {
  private readonly offerings = new Map<string, Breaker>();
  private readonly providers = new Map<string, Breaker>();
  private readonly options: HealthOptions;

  constructor(
    options: Partial<HealthOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.options = { ...DEFAULT_HEALTH_OPTIONS, ...options };
  }

  /** Whether the offering (and its provider) would take a call now; claims nothing. */
  available(offeringKey: string, provider: string): boolean {
    const now = this.now();
    return this.breaker(this.providers, provider).available(now) && this.breaker(this.offerings, offeringKey).available(now);
  }

  /** Claims the right to call: false while a breaker is open, a probe is out, or a cooldown runs. */
  admit(offeringKey: string, provider: string): boolean {
    const now = this.now();
    const providerBreaker = this.breaker(this.providers, provider);
    const offeringBreaker = this.breaker(this.offerings, offeringKey);
    if (!providerBreaker.available(now) || !offeringBreaker.available(now)) return false;
    return providerBreaker.admit(now) && offeringBreaker.admit(now);
  }

  recordSuccess(offeringKey: string, provider: string, latencyMs: number): void {
    this.breaker(this.offerings, offeringKey).success(latencyMs);
    this.breaker(this.providers, provider).success(latencyMs);
  }

  /** Records a failed attempt. Client errors are the caller's fault and leave health alone. */
  recordFailure(offeringKey: string, provider: string, failure: { kind: FailureClass; reason: string; retryAfterMs?: number | null }): void {
    const now = this.now();
    // Both breakers: admit() claimed a half-open probe on each, and each must get it back.
    if (failure.kind === 'ignored') {
      this.breaker(this.offerings, offeringKey).answered();
      this.breaker(this.providers, provider).answered();
      return;
    }
    if (failure.kind === 'released') {
      this.breaker(this.offerings, offeringKey).release();
      this.breaker(this.providers, provider).release();
      return;
    }
    if (failure.kind === 'rate_limited') {
      this.breaker(this.offerings, offeringKey).rateLimited(now, failure.retryAfterMs ?? null, failure.reason);
      this.breaker(this.providers, provider).release();
      return;
    }
    this.breaker(this.offerings, offeringKey).failure(now, failure.reason);
    this.breaker(this.providers, provider).failure(now, failure.reason);
  }

  offeringView(offeringKey: string): HealthView {
    return this.breaker(this.offerings, offeringKey).view(this.now());
  }

  providerView(provider: string): HealthView {
    return this.breaker(this.providers, provider).view(this.now());
  }

  p50(offeringKey: string): number | null {
    return this.offerings.get(offeringKey)?.p50() ?? null;
  }

  /** Every tracked breaker, for /metrics. */
  snapshot(): { offerings: [string, HealthView][]; providers: [string, HealthView][] } {
    const now = this.now();
    return {
      offerings: [...this.offerings].map(([k, b]) => [k, b.view(now)]),
      providers: [...this.providers].map(([k, b]) => [k, b.view(now)]),
    };
  }

  private breaker(map: Map<string, Breaker>, key: string): Breaker {
    let breaker = map.get(key);
    if (!breaker) {
      breaker = new Breaker(this.options);
      map.set(key, breaker);
    }
    return breaker;
  }
}
