// The benchmark's figures: ratios computed within one run, the targets of issue 10 checked, a
// table for the terminal and the JSON written under bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LoadResult, TtfbResult } from './load';
import type { CatalogResult, OcrBenchResult } from './micro';

export type TargetName = 'direct' | 'bare-proxy' | 'switchyard' | 'switchyard-postgres' | 'portkey';

export interface LoadRow extends LoadResult {
  target: TargetName;
  thinkMs: number;
  /** CPU the target's process used per answered request, µs (every target but direct): robust to a busy machine. */
  cpuUsPerRequest: number | null;
  /** p50/p99 minus direct's at the same think time and connections. */
  addedP50Ms: number | null;
  addedP99Ms: number | null;
  /** Requests/s as a multiple of direct's and of Portkey's from the same run. */
  xDirect: number | null;
  xPortkey: number | null;
  /** Portkey's CPU per request over this gateway's: the throughput ratio each would have on a core of its own. */
  cpuXPortkey: number | null;
  /** With --rounds: every round's requests/s, in the order run; the row's figures are the median round's. */
  roundsRps?: number[];
}

export interface StreamingResult {
  direct: TtfbResult;
  switchyard: TtfbResult | null;
  portkey: TtfbResult | null;
  switchyardOverheadP50Ms: number | null;
  switchyardOverheadP99Ms: number | null;
  portkeyOverheadP50Ms: number | null;
}

export interface BillingCheck {
  target: TargetName;
  thinkMs: number;
  /** 2xx answers the load generator got from this gateway (warm-up included). */
  served: number;
  /** Requests in flight when a load run stopped: answered and billed, but never counted by the client. */
  unobserved: number;
  usageEvents: number;
  ledgerMatchesBalance: boolean;
  openHolds: number;
  heldMicros: number;
  exitCode: number | null;
}

export interface BenchReport {
  date: string;
  machine: { cpu: string; cores: number; memoryGb: number; os: string; node: string };
  settings: { durationS: number; rounds: number; connections: number[]; thinkTimesMs: number[]; database: string[] };
  load: LoadRow[];
  peakRssMb: Partial<Record<TargetName, number>>;
  streaming: StreamingResult | null;
  catalog: CatalogResult | null;
  ocr: OcrBenchResult | null;
  billing: BillingCheck[];
  targets: Record<string, { goal: string; measured: string; met: boolean }>;
}

export function machine(): BenchReport['machine'] {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

/** A row as measured, before withRatios adds the ratios. */
export type MeasuredRow = Omit<LoadRow, 'addedP50Ms' | 'addedP99Ms' | 'xDirect' | 'xPortkey' | 'cpuXPortkey'>;

/**
 * One target's rounds of a row (--rounds) as one row: the round with the median requests/s (the
 * lower middle of an even count), with every round's requests/s beside it; its error counts are
 * those of all rounds, so "zero errors" means in every one.
 */
export function medianRound(runs: MeasuredRow[]): MeasuredRow {
  if (runs.length === 1) return runs[0]!;
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  const sum = (field: 'non2xx' | 'errors' | 'timeouts') => runs.reduce((total, r) => total + r[field], 0);
  return { ...median, non2xx: sum('non2xx'), errors: sum('errors'), timeouts: sum('timeouts'), roundsRps: runs.map((r) => r.rps) };
}

/** Adds the ratios: each proxy against direct and Portkey at the same think time and connections. */
export function withRatios(rows: MeasuredRow[]): LoadRow[] {
  const find = (target: TargetName, thinkMs: number, connections: number) => rows.find((r) => r.target === target && r.thinkMs === thinkMs && r.connections === connections);
  return rows.map((row) => {
    const direct = row.target === 'direct' ? undefined : find('direct', row.thinkMs, row.connections);
    const portkey = row.target === 'direct' || row.target === 'portkey' ? undefined : find('portkey', row.thinkMs, row.connections);
    return {
      ...row,
      addedP50Ms: direct ? row.p50Ms - direct.p50Ms : null,
      addedP99Ms: direct ? row.p99Ms - direct.p99Ms : null,
      xDirect: direct ? row.rps / direct.rps : null,
      xPortkey: portkey ? row.rps / portkey.rps : null,
      cpuXPortkey: portkey?.cpuUsPerRequest && row.cpuUsPerRequest ? portkey.cpuUsPerRequest / row.cpuUsPerRequest : null,
    };
  });
}

/** Issue 10's targets, from the 0 ms mock (where gateway cost is not hidden by upstream time). */
export function checkTargets(report: Omit<BenchReport, 'targets'>): BenchReport['targets'] {
  const targets: BenchReport['targets'] = {};
  const at = (target: TargetName, connections: number) => report.load.find((r) => r.target === target && r.thinkMs === 0 && r.connections === connections);
  const gateways = report.load.filter((r) => r.target.startsWith('switchyard') && r.thinkMs === 0);
  const worstX = Math.min(...gateways.map((r) => r.xPortkey ?? Number.POSITIVE_INFINITY));
  const failures = report.load.filter((r) => r.target.startsWith('switchyard')).reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0);
  if (gateways.length) targets.throughput = { goal: '≥ 5× Portkey at every connection count, zero errors', measured: `${fmt(worstX, 2)}× at worst, ${failures} errors`, met: worstX >= 5 && failures === 0 };
  const ten = at('switchyard', 10);
  if (ten?.addedP50Ms != null && ten.addedP99Ms != null) {
    targets.addedLatency = { goal: 'p50 ≤ 1 ms, p99 ≤ 5 ms over direct at 10 connections', measured: `+${fmt(ten.addedP50Ms, 3)} ms p50, +${fmt(ten.addedP99Ms, 3)} ms p99`, met: ten.addedP50Ms <= 1 && ten.addedP99Ms <= 5 };
  }
  const peaks = ([['switchyard', 'PGlite'], ['switchyard-postgres', 'PostgreSQL']] as const).flatMap(([target, engine]) => {
    const mb = report.peakRssMb[target];
    return mb == null ? [] : [{ engine, mb }];
  });
  if (peaks.length) {
    targets.memory = { goal: 'peak RSS under load ≤ 150 MB', measured: peaks.map((p) => `${fmt(p.mb, 0)} MB on ${p.engine}`).join(', '), met: peaks.every((p) => p.mb <= 150) };
  }
  if (report.billing.length) {
    const ok = report.billing.every((b) => billingHolds(b));
    targets.billing = {
      goal: 'a usage event for every 2xx, ledger = balance, no hold left after a graceful stop',
      measured: report.billing.map((b) => `${b.target}@${b.thinkMs}ms ${b.usageEvents} events for ${b.served} answers`).join(', '),
      met: ok,
    };
  }
  return targets;
}

/** Every answer the client saw was billed; at most the requests cut off at the end of a run were billed unseen. */
export function billingHolds(b: BillingCheck): boolean {
  return b.usageEvents >= b.served && b.usageEvents <= b.served + b.unobserved && b.ledgerMatchesBalance && b.openHolds === 0 && b.heldMicros === 0 && b.exitCode === 0;
}

function fmt(value: number | null | undefined, digits: number): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '-';
  if (!Number.isFinite(value)) return '∞';
  return value.toFixed(digits);
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function formatReport(report: BenchReport): string {
  const out: string[] = [`Switchyard benchmark ${report.date} — ${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.memoryGb} GB, Node ${report.machine.node}`];
  const rounds = report.settings.rounds > 1 ? `, the median of ${report.settings.rounds} rounds taken in turns` : '';
  out.push('', `Chat completions through each target, ${report.settings.durationS} s per row${rounds} (mock upstream answering after the think time):`);
  out.push(
    table(
      ['target', 'mock', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'errors', '+p50 ms', '+p99 ms', '×direct', '×portkey', 'cpu µs/req', 'cpu ×portkey'],
      report.load.map((r) => [
        r.target,
        `${r.thinkMs} ms`,
        String(r.connections),
        fmt(r.rps, 0),
        fmt(r.p50Ms, 3),
        fmt(r.p99Ms, 3),
        String(r.non2xx + r.errors + r.timeouts),
        fmt(r.addedP50Ms, 3),
        fmt(r.addedP99Ms, 3),
        fmt(r.xDirect, 3),
        fmt(r.xPortkey, 2),
        fmt(r.cpuUsPerRequest, 0),
        fmt(r.cpuXPortkey, 2),
      ]),
    ),
  );
  out.push('', `Peak RSS under load: ${Object.entries(report.peakRssMb).map(([t, mb]) => `${t} ${fmt(mb, 0)} MB`).join(', ')}`);
  const s = report.streaming;
  if (s) {
    out.push(
      `Streaming time to first byte (p50 / p99, ${s.direct.requests} sequential requests): direct ${fmt(s.direct.p50Ms, 3)} / ${fmt(s.direct.p99Ms, 3)} ms, ` +
        `switchyard ${fmt(s.switchyard?.p50Ms, 3)} / ${fmt(s.switchyard?.p99Ms, 3)} ms (+${fmt(s.switchyardOverheadP50Ms, 3)} / +${fmt(s.switchyardOverheadP99Ms, 3)}), ` +
        `portkey ${fmt(s.portkey?.p50Ms, 3)} / ${fmt(s.portkey?.p99Ms, 3)} ms (+${fmt(s.portkeyOverheadP50Ms, 3)})`,
    );
    for (const [name, t] of Object.entries({ direct: s.direct, switchyard: s.switchyard, portkey: s.portkey })) {
      if (t?.failures) out.push(`  ${name}: ${t.failures} streams failed, first: ${t.firstError}`);
    }
  }
  if (report.catalog) {
    const c = report.catalog;
    out.push(`Catalog filter+sort over ${c.models} models / ${c.offerings} offerings (index built once in ${fmt(c.indexMs, 1)} ms):`);
    for (const q of c.queries) out.push(`  ${JSON.stringify(q.query).padEnd(80)} ${String(q.matches).padStart(4)} models  ${fmt(q.usPerCall, 1).padStart(7)} µs/call`);
  }
  if (report.ocr) {
    const o = report.ocr;
    out.push(`OCR (local tesseract, ${o.workers} workers): ${o.pages} pages of ${o.pageSize} px in ${fmt(o.seconds, 2)} s = ${fmt(o.pagesPerSecond, 2)} pages/s, ${fmt(o.wordsRecognized * 100, 0)}% of words read`);
  }
  for (const b of report.billing) {
    out.push(
      `Billing after graceful stop (${b.target}, ${b.thinkMs} ms mock): ${b.usageEvents} usage events for ${b.served} answers seen (+ up to ${b.unobserved} cut off at run ends), ` +
        `ledger ${b.ledgerMatchesBalance ? '=' : '≠'} balance, ${b.openHolds} holds open, ${b.heldMicros} µUSD held, exit ${b.exitCode} — ${billingHolds(b) ? 'ok' : 'WRONG'}`,
    );
  }
  out.push('', 'Targets (issue 10):');
  for (const [name, t] of Object.entries(report.targets)) out.push(`  ${t.met ? 'MET ' : 'MISS'} ${name}: ${t.goal} — ${t.measured}`);
  return out.join('\n');
}

/** bench/results/<YYYY-MM-DD>.json and latest.json. */
export function writeReport(report: BenchReport, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${report.date.slice(0, 10)}.json`);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(file, json);
  writeFileSync(path.join(dir, 'latest.json'), json);
  return file;
}
