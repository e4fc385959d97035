// The gateway's own log destination (stdout, buffered): a line reaches stdout while the process
// runs on, without waiting for more lines to fill the buffer, and nothing buffered is lost at exit.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** Runs `script` (an ES module that may import src/log.ts) and collects stdout with the time each chunk came. */
function run(script: string): Promise<{ chunks: { at: number; text: string }[]; code: number | null }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: { at: number; text: string }[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push({ at: Date.now() - started, text: chunk.toString() }));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ chunks, code }));
  });
}

const LOGGER = `import { createLogger } from ${JSON.stringify(new URL('../../src/log.ts', import.meta.url).pathname)};
const logger = createLogger('info');`;

describe('the log on stdout', () => {
  it('writes a lone line within the flush interval, while the process keeps running', async () => {
    const { chunks, code } = await run(`${LOGGER}
      logger.info('first line');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      logger.info('second line');
      process.exit(0);`);
    expect(code).toBe(0);
    const first = chunks.find((c) => c.text.includes('first line'));
    const second = chunks.find((c) => c.text.includes('second line'));
    expect(first).toBeDefined();
    expect(second).toBeDefined();
    // The first line came on its own, well before the second was even logged.
    expect(first!.text.includes('second line')).toBe(false);
    expect(second!.at - first!.at).toBeGreaterThan(800);
  });

  it('writes every buffered line when the process exits right after logging', async () => {
    const { chunks, code } = await run(`${LOGGER}
      for (let i = 0; i < 500; i++) logger.info({ i }, 'line');
      process.exit(3);`);
    expect(code).toBe(3);
    const lines = chunks.map((c) => c.text).join('').trim().split('\n');
    expect(lines).toHaveLength(500);
    expect(JSON.parse(lines[499]!)).toMatchObject({ i: 499, msg: 'line', service: 'switchyard' });
  });

  it('keeps key material out of the line', async () => {
    const { chunks } = await run(`${LOGGER}
      logger.info({ req: { headers: { authorization: 'Bearer sk-live-secret' } }, apiKey: { key: 'sk-live-secret' } }, 'request');
      process.exit(0);`);
    const text = chunks.map((c) => c.text).join('');
    expect(text).toContain('[redacted]');
    expect(text).not.toContain('sk-live-secret');
  });
});
