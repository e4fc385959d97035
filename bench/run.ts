// npm run bench: Switchyard against a direct call, a forward-only proxy (the floor under any
// gateway, bench/bare-proxy.ts) and the Portkey AI gateway, all on 127.0.0.1, driven by autocannon;
// then streaming time to first byte, the catalog's filter+sort and local OCR throughput. Prints a
// table and writes bench/results/<date>.json and latest.json.
//
//   npm run bench -- [--duration=10] [--rounds=1] [--connections=10,50,100] [--think=0,50] [--skip=load,stream,catalog,ocr] [--profile] [--keep-logs]
//
// With DATABASE_URL set, Switchyard also runs on that PostgreSQL server (in a schema of its own,
// dropped afterwards); PGlite always runs. --profile drives Switchyard alone, writes its CPU
// profile (node --cpu-prof) and prints its top frames. --rounds=N measures every row N times, the
// targets taking turns, and reports the round with the median requests/s (all N are in the JSON):
// on a machine whose speed drifts from minute to minute, a ratio of medians is steadier than one of
// single runs.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { billingState } from './billing-check';
import { chatBody, GATEWAY_MODEL, MOCK_API_KEY, MOCK_MODEL } from './fixtures';
import { runLoad, streamTtfb, type LoadRequest } from './load';
import { catalogBench, ocrBench } from './micro';
import { summarizeProfiles } from './profile';
import { cpuMs, RssSampler } from './processes';
import { checkTargets, formatReport, machine, medianRound, withRatios, writeReport, type BenchReport, type BillingCheck, type MeasuredRow, type StreamingResult, type TargetName } from './report';
import { buildGateway, dropDatabase, freshDatabase, ROOT, startBareProxy, startGateway, startMock, startPortkey, type Gateway, type Mock, type Portkey } from './targets';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '1' },
    connections: { type: 'string', default: '10,50,100' },
    think: { type: 'string', default: '0,50' },
    skip: { type: 'string', default: '' },
    profile: { type: 'boolean', default: false },
    'keep-logs': { type: 'boolean', default: false },
  },
});
const durationS = Number(flags.duration);
const rounds = Number(flags.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a whole number of at least 1, not ${flags.rounds}`);
const connectionCounts = flags.connections.split(',').map(Number);
const thinkTimes = flags.think.split(',').map(Number);
const skip = new Set(flags.skip.split(',').filter(Boolean));
const engines: ('pglite' | 'postgres')[] = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
const WARMUP_S = 3;
/** How long the last gateway was under load: the window of its CPU profile worth reading. */
let loadSeconds: number | undefined;

const workDir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-'));
const profileDir = flags.profile ? mkdtempSync(path.join(os.tmpdir(), 'switchyard-profile-')) : undefined;

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

interface RunningGateway {
  name: TargetName;
  gateway: Gateway;
  sampler: RssSampler;
  served: number;
  /** Connections open when runs stopped: their last requests may be billed without the client seeing the answer. */
  unobserved: number;
}

/** Stops a target's RSS sampler and keeps its peak in MB, the larger one when the target ran before (at another think time). */
function keepPeak(peaks: BenchReport['peakRssMb'], name: TargetName, sampler: RssSampler): void {
  peaks[name] = Math.max(peaks[name] ?? 0, sampler.peak() / 2 ** 20);
  sampler.stop();
}

function gatewayRequest(g: Gateway, stream = false): LoadRequest {
  return { url: `${g.url}/v1/chat/completions`, headers: { authorization: `Bearer ${g.key}` }, body: chatBody(GATEWAY_MODEL, stream) };
}

function directRequest(upstream: string, stream = false): LoadRequest {
  return { url: `${upstream}/chat/completions`, headers: { authorization: `Bearer ${MOCK_API_KEY}` }, body: chatBody(MOCK_MODEL, stream) };
}

function bareRequest(url: string): LoadRequest {
  return { url: `${url}/v1/chat/completions`, headers: {}, body: chatBody(MOCK_MODEL) };
}

function portkeyRequest(portkey: Portkey, upstream: string, stream = false): LoadRequest {
  return {
    url: `${portkey.url}/v1/chat/completions`,
    headers: { authorization: `Bearer ${MOCK_API_KEY}`, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': upstream },
    body: chatBody(MOCK_MODEL, stream),
  };
}

/** One request first: a target that answers errors would otherwise look fast. */
async function checkAnswers(name: string, request: LoadRequest): Promise<void> {
  const response = await fetch(request.url, { method: 'POST', headers: { 'content-type': 'application/json', ...request.headers }, body: request.body });
  const text = await response.text();
  if (!response.ok || !text.includes('How can I help')) throw new Error(`${name} answered ${response.status}: ${text.slice(0, 300)}`);
}

async function measureThinkTime(thinkMs: number, mock: Mock, portkey: Portkey, rows: MeasuredRow[], peaks: BenchReport['peakRssMb'], billing: BillingCheck[]): Promise<StreamingResult | null> {
  const upstream = mock.urls[thinkMs]!;
  const gateways: RunningGateway[] = [];
  const bare = profileDir ? null : await startBareProxy(upstream, path.join(workDir, `bare-proxy-${thinkMs}.log`));
  const bareSampler = bare ? new RssSampler(bare.child.process.pid!) : null;
  let streaming: StreamingResult | null = null;
  try {
    for (const engine of engines) {
      const name: TargetName = engine === 'pglite' ? 'switchyard' : 'switchyard-postgres';
      const database = await freshDatabase(engine, workDir, `${engine}-${thinkMs}`);
      log(`starting switchyard (${engine}) against the ${thinkMs} ms mock`);
      const gateway = await startGateway({ upstream, database, logFile: path.join(workDir, `${name}-${thinkMs}.log`), cpuProfDir: profileDir });
      gateways.push({ name, gateway, sampler: new RssSampler(gateway.child.process.pid!), served: 0, unobserved: 0 });
    }
    // A profiling run drives Switchyard alone, so its profile is mostly load, not waiting.
    const targets: { name: TargetName; request: LoadRequest; gateway?: RunningGateway; pid?: number }[] = [
      ...(profileDir ? [] : [{ name: 'direct' as const, request: directRequest(upstream) }]),
      ...(bare ? [{ name: 'bare-proxy' as const, request: bareRequest(bare.url), pid: bare.child.process.pid }] : []),
      ...gateways.map((g) => ({ name: g.name, request: gatewayRequest(g.gateway), gateway: g, pid: g.gateway.child.process.pid })),
      ...(profileDir ? [] : [{ name: 'portkey' as const, request: portkeyRequest(portkey, upstream), pid: portkey.child.process.pid }]),
    ];
    const loadStarted = performance.now();
    for (const t of targets) {
      await checkAnswers(t.name, t.request);
      if (t.gateway) t.gateway.served++;
      const warm = await runLoad(t.request, 10, WARMUP_S);
      if (t.gateway) {
        t.gateway.served += warm.ok;
        t.gateway.unobserved += 10;
      }
    }
    for (const connections of connectionCounts) {
      const measured = new Map<TargetName, MeasuredRow[]>();
      for (let round = 1; round <= rounds; round++) {
        for (const t of targets) {
          const cpuBefore = t.pid ? cpuMs(t.pid) : null;
          const result = await runLoad(t.request, connections, durationS);
          const cpuAfter = t.pid ? cpuMs(t.pid) : null;
          const cpuUsPerRequest = cpuBefore !== null && cpuAfter !== null && result.ok ? ((cpuAfter - cpuBefore) * 1000) / result.ok : null;
          if (t.gateway) {
            t.gateway.served += result.ok;
            t.gateway.unobserved += connections + result.timeouts + result.errors;
          }
          measured.set(t.name, [...(measured.get(t.name) ?? []), { target: t.name, thinkMs, cpuUsPerRequest, ...result }]);
          const cpu = cpuUsPerRequest === null ? '' : `, ${cpuUsPerRequest.toFixed(0)} µs CPU/req`;
          const which = rounds > 1 ? ` (round ${round}/${rounds})` : '';
          log(`${t.name.padEnd(19)} ${thinkMs} ms mock, ${String(connections).padStart(3)} connections${which}: ${result.rps.toFixed(0).padStart(6)} req/s, p50 ${result.p50Ms.toFixed(3)} ms, p99 ${result.p99Ms.toFixed(3)} ms, ${result.non2xx + result.errors + result.timeouts} errors${cpu}`);
        }
      }
      for (const runs of measured.values()) rows.push(medianRound(runs));
    }
    if (thinkMs === 0 && !skip.has('stream')) {
      log('streaming time to first byte');
      const direct = await streamTtfb(directRequest(upstream, true), 300);
      const first = gateways[0]!;
      const switchyard = await streamTtfb(gatewayRequest(first.gateway, true), 300);
      first.served += switchyard.ok;
      first.unobserved += switchyard.failures;
      const viaPortkey = await streamTtfb(portkeyRequest(portkey, upstream, true), 300);
      streaming = {
        direct,
        switchyard,
        portkey: viaPortkey,
        switchyardOverheadP50Ms: switchyard.p50Ms - direct.p50Ms,
        switchyardOverheadP99Ms: switchyard.p99Ms - direct.p99Ms,
        portkeyOverheadP50Ms: viaPortkey.p50Ms - direct.p50Ms,
      };
    }
    loadSeconds = (performance.now() - loadStarted) / 1000;
  } finally {
    if (bareSampler) keepPeak(peaks, 'bare-proxy', bareSampler);
    await bare?.child.stop(5_000);
    for (const g of gateways) {
      keepPeak(peaks, g.name, g.sampler);
      const exitCode = await g.gateway.child.stop();
      const state = await billingState(g.gateway.database, g.gateway.accountId);
      billing.push({ target: g.name, thinkMs, served: g.served, unobserved: g.unobserved, exitCode, ...state });
      await dropDatabase(g.gateway.database);
    }
  }
  return streaming;
}

async function main(): Promise<void> {
  const date = new Date().toISOString();
  const rows: MeasuredRow[] = [];
  const peakRssMb: BenchReport['peakRssMb'] = {};
  const billing: BillingCheck[] = [];
  let streaming: StreamingResult | null = null;
  if (!skip.has('load')) {
    buildGateway();
    const mock = await startMock(thinkTimes, workDir);
    const portkey = await startPortkey(path.join(workDir, 'portkey.log'));
    const portkeySampler = new RssSampler(portkey.child.process.pid!);
    try {
      for (const thinkMs of thinkTimes) streaming = (await measureThinkTime(thinkMs, mock, portkey, rows, peakRssMb, billing)) ?? streaming;
    } finally {
      keepPeak(peakRssMb, 'portkey', portkeySampler);
      await portkey.child.stop(5_000);
      await mock.child.stop(5_000);
    }
  }
  const catalog = skip.has('catalog') ? null : (log('catalog filter+sort'), await catalogBench(ROOT));
  const ocr = skip.has('ocr') ? null : (log('OCR throughput'), await ocrBench());
  const partial: Omit<BenchReport, 'targets'> = {
    date,
    machine: machine(),
    settings: { durationS, rounds, connections: connectionCounts, thinkTimesMs: thinkTimes, database: engines },
    load: withRatios(rows),
    peakRssMb,
    streaming,
    catalog,
    ocr,
    billing,
  };
  const report: BenchReport = { ...partial, targets: checkTargets(partial) };
  process.stdout.write(`\n${formatReport(report)}\n`);
  const file = writeReport(report, path.join(ROOT, 'bench/results'));
  process.stdout.write(`\nWritten: ${path.relative(ROOT, file)} and bench/results/latest.json\n`);
  if (profileDir) process.stdout.write(`\n${await summarizeProfiles(profileDir, loadSeconds)}\n`);
}

main()
  .catch((error) => {
    process.stderr.write(`Benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\nLogs: ${workDir}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    if (process.exitCode !== 1 && !flags['keep-logs']) rmSync(workDir, { recursive: true, force: true });
    else process.stderr.write(`Logs kept in ${workDir}\n`);
  });
