import { describe, expect, it } from 'vitest';
import { HealthTracker, type HealthOptions } from '../../src/dispatch/health';
import { FakeClock } from './market';

const OFFERING = 'groq:acme/open-70b';
const SIBLING = 'groq:acme/flat-8b';
const PROVIDER = 'groq';

function tracker(options: Partial<HealthOptions> = {}) {
  const clock = new FakeClock();
  const health = new HealthTracker({ failureThreshold: 3, cooldownMs: 30_000, ...options }, clock.now);
  return { clock, health };
}

function fail(health: HealthTracker, times = 1, key = OFFERING): void {
  for (let i = 0; i < times; i++) health.recordFailure(key, PROVIDER, { kind: 'failure', reason: '503 overloaded' });
}

describe('circuit breaker', () => {
  it('stays closed below the failure threshold and opens at it', () => {
    const { health } = tracker();
    fail(health, 2);
    expect(health.available(OFFERING, PROVIDER)).toBe(true);
    expect(health.offeringView(OFFERING)).toMatchObject({ status: 'degraded', breaker: 'closed', consecutive_failures: 2 });
    fail(health);
    expect(health.available(OFFERING, PROVIDER)).toBe(false);
    expect(health.admit(OFFERING, PROVIDER)).toBe(false);
    expect(health.offeringView(OFFERING)).toMatchObject({ status: 'down', breaker: 'open', last_error: '503 overloaded' });
  });

  it('a success resets the run of consecutive failures', () => {
    const { health } = tracker();
    fail(health, 2);
    health.recordSuccess(OFFERING, PROVIDER, 100);
    fail(health, 2);
    expect(health.available(OFFERING, PROVIDER)).toBe(true);
  });

  it('opens on the error rate over the window even without a run of failures', () => {
    const { health } = tracker({ failureThreshold: 100, windowSize: 10, minCalls: 10, errorRateThreshold: 0.5 });
    for (let i = 0; i < 4; i++) {
      fail(health);
      health.recordSuccess(OFFERING, PROVIDER, 50);
    }
    fail(health);
    expect(health.available(OFFERING, PROVIDER)).toBe(true); // 9 calls: below minCalls
    fail(health); // 10 calls, 6 failed
    expect(health.available(OFFERING, PROVIDER)).toBe(false);
  });

  it('after the cooldown admits exactly one probe; its success closes the breaker', () => {
    const { clock, health } = tracker();
    fail(health, 3);
    clock.advance(29_999);
    expect(health.admit(OFFERING, PROVIDER)).toBe(false);
    clock.advance(1);
    expect(health.available(OFFERING, PROVIDER)).toBe(true);
    expect(health.admit(OFFERING, PROVIDER)).toBe(true);
    // The probe is out: nobody else gets through until it answers.
    expect(health.available(OFFERING, PROVIDER)).toBe(false);
    expect(health.admit(OFFERING, PROVIDER)).toBe(false);
    expect(health.offeringView(OFFERING).status).toBe('probing');
    health.recordSuccess(OFFERING, PROVIDER, 80);
    expect(health.offeringView(OFFERING)).toMatchObject({ breaker: 'closed', consecutive_failures: 0 });
    expect(health.admit(OFFERING, PROVIDER)).toBe(true);
    expect(health.admit(OFFERING, PROVIDER)).toBe(true);
  });

  it('a failed probe re-opens the breaker for a full cooldown from then', () => {
    const { clock, health } = tracker();
    fail(health, 3);
    clock.advance(30_000);
    expect(health.admit(OFFERING, PROVIDER)).toBe(true);
    fail(health);
    expect(health.offeringView(OFFERING).breaker).toBe('open');
    clock.advance(29_999);
    expect(health.admit(OFFERING, PROVIDER)).toBe(false);
    clock.advance(1);
    expect(health.admit(OFFERING, PROVIDER)).toBe(true);
  });

  it('a probe answered with a client error (400) frees the breaker: the host is up', () => {
    const { clock, health } = tracker();
    fail(health, 3);
    clock.advance(30_000);
    expect(health.admit(OFFERING, PROVIDER)).toBe(true);
    health.recordFailure(OFFERING, PROVIDER, { kind: 'ignored', reason: '400 bad temperature' });
    expect(health.available(OFFERING, PROVIDER)).toBe(true);
    expect(health.providerView(PROVIDER).breaker).toBe('closed');
    expect(health.offeringView(OFFERING).breaker).toBe('closed');
  });

  it('a probe that ended without a verdict (client went away) lets the next caller probe', () => {
    const { clock, health } = tracker();
    fail(health, 3);
    clock.advance(30_000);
    expect(health.admit(OFFERING, PROVIDER)).toBe(true);
    health.recordFailure(OFFERING, PROVIDER, { kind: 'released', reason: 'client went away' });
    expect(health.offeringView(OFFERING).breaker).toBe('half_open');
    expect(health.admit(OFFERING, PROVIDER)).toBe(true);
  });

  it('answers that carry no latency (client errors, released probes) leave the median latency alone', () => {
    const { health } = tracker();
    health.recordSuccess(OFFERING, PROVIDER, 200);
    health.recordFailure(OFFERING, PROVIDER, { kind: 'ignored', reason: '400' });
    health.recordFailure(OFFERING, PROVIDER, { kind: 'released', reason: 'aborted' });
    expect(health.p50(OFFERING)).toBe(200);
  });

  it('failures of several offerings of one provider open the provider for all of them', () => {
    const { health } = tracker();
    fail(health, 2, OFFERING);
    fail(health, 1, SIBLING);
    expect(health.providerView(PROVIDER).breaker).toBe('open');
    expect(health.available(SIBLING, PROVIDER)).toBe(false);
    expect(health.available(OFFERING, PROVIDER)).toBe(false);
    expect(health.available('together:acme/open-70b', 'together')).toBe(true);
  });
});

describe('rate-limit cooldown', () => {
  it('keeps the offering out for the Retry-After it was given, without opening the breaker', () => {
    const { clock, health } = tracker();
    health.recordFailure(OFFERING, PROVIDER, { kind: 'rate_limited', reason: '429', retryAfterMs: 7_000 });
    expect(health.offeringView(OFFERING)).toMatchObject({ status: 'cooldown', breaker: 'closed', cooldown_until: new Date(clock.ms + 7_000).toISOString() });
    clock.advance(6_999);
    expect(health.admit(OFFERING, PROVIDER)).toBe(false);
    clock.advance(1);
    expect(health.admit(OFFERING, PROVIDER)).toBe(true);
  });

  it('uses the default cooldown when the 429 named no Retry-After', () => {
    const { clock, health } = tracker({ defaultRateLimitCooldownMs: 10_000 });
    health.recordFailure(OFFERING, PROVIDER, { kind: 'rate_limited', reason: '429', retryAfterMs: null });
    clock.advance(9_999);
    expect(health.available(OFFERING, PROVIDER)).toBe(false);
    clock.advance(1);
    expect(health.available(OFFERING, PROVIDER)).toBe(true);
  });
});

describe('latency', () => {
  it('reports the median of recent successful calls, keeping only the newest samples', () => {
    const { health } = tracker({ latencySamples: 3 });
    expect(health.p50(OFFERING)).toBeNull();
    for (const ms of [500, 100, 300]) health.recordSuccess(OFFERING, PROVIDER, ms);
    expect(health.p50(OFFERING)).toBe(300);
    health.recordSuccess(OFFERING, PROVIDER, 50); // 500 drops out: [100, 300, 50]
    expect(health.p50(OFFERING)).toBe(100);
  });
});
