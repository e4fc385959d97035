// A mock OpenAI chat completions upstream for the benchmark, run as its own process so it never
// shares an event loop with the gateway or the load generator. One server per think time given on
// the command line (`0 50` → one answering at once, one after 50 ms). A think time of 0 answers in
// the request's own 'end' callback: even a setTimeout(fn, 0) would cap it far below the gateways.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MOCK_API_KEY, MOCK_MODEL } from './fixtures';

const COMPLETION = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench0000000000000000000000',
    object: 'chat.completion',
    created: 1_764_000_000,
    model: `${MOCK_MODEL}-2025-08-07`,
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello! How can I help you today?', refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
    usage: {
      prompt_tokens: 12,
      completion_tokens: 9,
      total_tokens: 21,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
    service_tier: 'default',
    system_fingerprint: null,
  }),
);

function chunk(delta: Record<string, unknown>, finish: string | null, usage: Record<string, unknown> | null = null, withChoice = true): string {
  const body = {
    id: 'chatcmpl-bench0000000000000000000000',
    object: 'chat.completion.chunk',
    created: 1_764_000_000,
    model: `${MOCK_MODEL}-2025-08-07`,
    service_tier: 'default',
    system_fingerprint: null,
    choices: withChoice ? [{ index: 0, delta, logprobs: null, finish_reason: finish }] : [],
    usage,
  };
  return `data: ${JSON.stringify(body)}\n\n`;
}

const STREAM_HEAD = [chunk({ role: 'assistant', content: '', refusal: null }, null), chunk({ content: 'Hello!' }, null), chunk({ content: ' How can I help' }, null), chunk({ content: ' you today?' }, null), chunk({}, 'stop')].join('');
const STREAM_USAGE = chunk({}, null, { prompt_tokens: 12, completion_tokens: 9, total_tokens: 21, prompt_tokens_details: { cached_tokens: 0 } }, false);

function answer(res: http.ServerResponse, body: string): void {
  if (!/"stream"\s*:\s*true/.test(body)) {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': COMPLETION.length });
    res.end(COMPLETION);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  const usage = /"include_usage"\s*:\s*true/.test(body) ? STREAM_USAGE : '';
  res.end(`${STREAM_HEAD}${usage}data: [DONE]\n\n`);
}

function startMock(thinkMs: number): Promise<http.Server> {
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (part: string) => (body += part));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found","type":"invalid_request_error"}}');
        return;
      }
      if (req.headers.authorization !== `Bearer ${MOCK_API_KEY}`) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","code":"invalid_api_key"}}');
        return;
      }
      if (thinkMs === 0) answer(res, body);
      else setTimeout(() => answer(res, body), thinkMs);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const thinkTimes = process.argv.slice(2).map(Number);
const servers = await Promise.all(thinkTimes.map(startMock));
process.send?.({ ready: true, ports: servers.map((s) => (s.address() as AddressInfo).port) });
// The parent going away (even killed) ends the mock too.
process.on('disconnect', () => process.exit(0));
