// Reads the CPU profiles node --cpu-prof wrote and says where the time went: the functions with the
// most self time, and the same time summed per package or source file.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: a package name, a file of ours, or node's internals. */
function home(url: string): string {
  if (!url) return '(native/gc/idle)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return url.split('/')[0]!.replace(/:.*/, ':') + url.slice(5).split('/')[0];
  const ours = /\/(src|bench)\/(.+)$/.exec(url);
  return ours ? `${ours[1]}/${ours[2]}` : url;
}

/** Self time per frame of the samples in the profile's last `lastSeconds` (all when absent). */
function selfTimes(profile: CpuProfile, lastSeconds?: number): Map<number, number> {
  const self = new Map<number, number>();
  const from = lastSeconds === undefined ? -Infinity : profile.endTime - lastSeconds * 1e6;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at >= from) self.set(id, (self.get(id) ?? 0) + delta);
  });
  return self;
}

export function summarizeProfile(file: string, top = 25, lastSeconds?: number): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = selfTimes(profile, lastSeconds);
  // Shares of busy time: idle samples say only that the process waited (for load, or between runs).
  const busy = [...self].filter(([id]) => byId.get(id)!.callFrame.functionName !== '(idle)');
  const total = busy.reduce((sum, [, us]) => sum + us, 0);
  const frames = new Map<string, number>();
  const homes = new Map<string, number>();
  for (const [id, us] of busy) {
    const frame = byId.get(id)!.callFrame;
    const name = `${frame.functionName || '(anonymous)'} ${frame.url ? `${home(frame.url)}:${frame.lineNumber + 1}` : ''}`.trim();
    frames.set(name, (frames.get(name) ?? 0) + us);
    homes.set(home(frame.url), (homes.get(home(frame.url)) ?? 0) + us);
  }
  const pct = (us: number) => `${((us * 100) / total).toFixed(1).padStart(5)}%`;
  const window = lastSeconds === undefined ? 'whole run' : `last ${lastSeconds.toFixed(0)} s`;
  const lines = [`${path.basename(file)} (${window}): ${(total / 1e6).toFixed(1)} s busy (shares below are of busy time)`, '  self time by function:'];
  for (const [name, us] of [...frames].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(us)}  ${name}`);
  lines.push('  self time by package / file:');
  for (const [name, us] of [...homes].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(us)}  ${name}`);
  return lines.join('\n');
}

/** The main thread's profile of each process in `dir`, over the last `lastSeconds` (the load, not start-up). */
export async function summarizeProfiles(dir: string, lastSeconds?: number): Promise<string> {
  // node --cpu-prof names files CPU.<date>.<time>.<pid>.<thread>.<seq>; thread 0 is the main thread.
  const files = readdirSync(dir).filter((f) => /\.0\.\d+\.cpuprofile$/.test(f));
  if (!files.length) return `No CPU profile was written to ${dir}.`;
  return [`CPU profiles in ${dir}:`, ...files.map((f) => summarizeProfile(path.join(dir, f), 25, lastSeconds))].join('\n\n');
}

// `npx tsx bench/profile.ts <file.cpuprofile> [last seconds]` summarizes one profile.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const [file, seconds] = process.argv.slice(2);
  if (file) process.stdout.write(`${summarizeProfile(file, 40, seconds ? Number(seconds) : undefined)}\n`);
}
