// How the benchmark folds --rounds into one row per target: the median round, all rounds kept.
import { describe, expect, it } from 'vitest';
import { medianRound, withRatios, type MeasuredRow } from '../../bench/report';

function round(rps: number, errors = 0): MeasuredRow {
  return { target: 'switchyard', thinkMs: 0, cpuUsPerRequest: 1_000_000 / rps, connections: 10, durationS: 10, rps, ok: rps * 10, non2xx: errors, errors: 0, timeouts: 0, p50Ms: 10_000 / rps, p99Ms: 40_000 / rps, meanMs: 12_000 / rps };
}

describe('medianRound', () => {
  it('reports the round with the median req/s, its own latency and CPU with it, and every round in order', () => {
    const rounds = [round(2_500), round(1_500), round(2_000)];
    const row = medianRound(rounds);
    expect(row).toMatchObject({ rps: 2_000, p50Ms: 5, cpuUsPerRequest: 500, roundsRps: [2_500, 1_500, 2_000] });
  });

  it('takes the lower middle of an even number of rounds', () => {
    expect(medianRound([round(4_000), round(1_000), round(3_000), round(2_000)]).rps).toBe(2_000);
  });

  it('counts the errors of every round, so a row has zero errors only when each round had none', () => {
    const row = medianRound([round(2_000), round(1_000, 3), round(3_000, 2)]);
    expect(row.rps).toBe(2_000);
    expect(row.non2xx).toBe(5);
  });

  it('leaves a single round as it was', () => {
    const only = round(1_234);
    expect(medianRound([only])).toBe(only);
  });
});

describe('withRatios', () => {
  const row = (target: MeasuredRow['target'], rps: number, p50Ms: number): MeasuredRow => ({ ...round(rps), target, p50Ms, p99Ms: p50Ms * 4 });

  it('compares every proxy, the forward-only one included, with direct and Portkey from the same run', () => {
    const rows = withRatios([row('direct', 40_000, 0.2), row('bare-proxy', 12_000, 0.6), row('switchyard', 3_000, 2.5), row('portkey', 1_000, 7)]);
    const by = Object.fromEntries(rows.map((r) => [r.target, r]));
    expect(by['bare-proxy']).toMatchObject({ xPortkey: 12, xDirect: 0.3 });
    expect(by['bare-proxy']!.addedP50Ms).toBeCloseTo(0.4);
    expect(by.switchyard).toMatchObject({ xPortkey: 3 });
    expect(by.switchyard!.addedP50Ms).toBeCloseTo(2.3);
    expect(by.direct).toMatchObject({ xPortkey: null, addedP50Ms: null });
    expect(by.portkey).toMatchObject({ xPortkey: null });
    expect(by.portkey!.addedP50Ms).toBeCloseTo(6.8);
  });
});
