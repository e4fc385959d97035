// The benchmark's forward-only proxy, as the benchmark starts it, in front of the benchmark's mock:
// the floor row is only a floor if it really carries the request and brings the answer back whole.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatBody, MOCK_API_KEY, MOCK_MODEL } from '../../bench/fixtures';
import { startBareProxy, startMock, type Mock } from '../../bench/targets';

const logDir = mkdtempSync(path.join(tmpdir(), 'bare-proxy-'));
let mock: Mock;
let proxy: Awaited<ReturnType<typeof startBareProxy>>;

beforeAll(async () => {
  mock = await startMock([0], logDir);
  proxy = await startBareProxy(mock.urls[0]!, path.join(logDir, 'bare-proxy.log'));
}, 30_000);

afterAll(async () => {
  await proxy?.child.stop(5_000);
  await mock?.child.stop(5_000);
  rmSync(logDir, { recursive: true, force: true });
});

const post = (url: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: chatBody(MOCK_MODEL) });

describe('the forward-only proxy', () => {
  it('answers a chat completion with the upstream’s own status and bytes, supplying the upstream key itself', async () => {
    const direct = await post(`${mock.urls[0]}/chat/completions`, { authorization: `Bearer ${MOCK_API_KEY}` });
    const proxied = await post(`${proxy.url}/v1/chat/completions`);
    expect(proxied.status).toBe(200);
    expect(proxied.headers.get('content-type')).toBe('application/json');
    expect(await proxied.text()).toBe(await direct.text());
  });
});
