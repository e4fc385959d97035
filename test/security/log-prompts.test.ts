// Prompts and outputs reach the logs only when LOG_PROMPTS is set: the same jobs (buffered chat,
// streamed chat, speech) run against a gateway without it and one with it; the first logs none of the
// texts, the second logs each job's input and output once (audio as its size), and neither logs a key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fundedKey, postJson, startTestApp, type TestApp } from '../helpers/app';
import type { MockUpstream } from '../helpers/mock-upstream';
import { startOpenAIMock } from '../mocks/openai/index';

const OPENAI_SECRET = 'sk-proj-LOGPROMPTS0secret0123456789ab';
const PROMPT = 'the marmalade cipher is tangerine-7';
const SPOKEN = 'read this aloud: quince lantern';

let openai: MockUpstream;
const apps: TestApp[] = [];

beforeAll(async () => {
  openai = await startOpenAIMock(OPENAI_SECRET);
}, 60_000);

afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await openai?.close();
});

/** Runs the same three jobs against a fresh gateway and returns its log and the key used. */
async function session(env: Record<string, string>) {
  const app = await startTestApp({ env: { OPENAI_API_KEY: OPENAI_SECRET, OPENAI_BASE_URL: `${openai.url}/v1`, ...env } });
  apps.push(app);
  const { key } = await fundedKey(app, '5');
  const chat = { model: 'auto', messages: [{ role: 'user', content: PROMPT }], provider: { only: ['openai'] } };
  const buffered = await postJson(app, '/v1/chat/completions', chat, key);
  expect(buffered.status).toBe(200);
  const answer = ((await buffered.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
  const streamed = await postJson(app, '/v1/chat/completions', { ...chat, stream: true }, key);
  expect(streamed.status).toBe(200);
  await streamed.text();
  const speech = await postJson(app, '/v1/audio/speech', { model: 'tts-1', input: SPOKEN, voice: 'alloy' }, key);
  expect(speech.status).toBe(200);
  const audioBytes = (await speech.arrayBuffer()).byteLength;
  return { app, key, answer, audioBytes, lines: () => app.log.lines.map((l) => JSON.parse(l) as Record<string, any>) };
}

describe('LOG_PROMPTS', () => {
  it('is off by default: no prompt, output or spoken text in any log line', async () => {
    const s = await session({});
    const text = s.app.log.text();
    expect(text).not.toContain(PROMPT);
    expect(text).not.toContain(SPOKEN);
    expect(s.answer.length).toBeGreaterThan(0);
    expect(text).not.toContain(s.answer);
    expect(s.lines().filter((l) => l.msg === 'job content')).toEqual([]);
    for (const secret of [s.key, OPENAI_SECRET]) expect(text).not.toContain(secret);
  });

  it('when set, logs each job once with its input and output (audio by size), and still no key', async () => {
    const s = await session({ LOG_PROMPTS: 'true' });
    const jobs = s.lines().filter((l) => l.msg === 'job content');
    expect(jobs).toHaveLength(3);
    const [buffered, streamed, speech] = jobs;
    expect(buffered).toMatchObject({ task: 'chat', provider: 'openai', input: { messages: [{ role: 'user', content: PROMPT }] } });
    expect(JSON.stringify(buffered!.output)).toContain(s.answer);
    expect(streamed).toMatchObject({ task: 'chat', input: { stream: true }, output: { complete: true } });
    expect(streamed!.output.delivered.length).toBeGreaterThan(0);
    expect(speech).toMatchObject({ task: 'speech', input: { input: SPOKEN } });
    expect(JSON.stringify(speech!.output)).toContain(`"bytes":${s.audioBytes}`);
    for (const job of jobs) expect(job.requestId).toMatch(/^req_/);
    const text = s.app.log.text();
    for (const secret of [s.key, OPENAI_SECRET]) expect(text).not.toContain(secret);
  });
});
