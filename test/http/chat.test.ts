// POST /v1/chat/completions driven by the official openai SDK: if the SDK cannot use Switchyard
// unchanged, the endpoint is wrong.
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fundedKey, settledDb } from '../helpers/app';
import { FLAT_MODEL, MODEL, startMarket, START_TIMEOUT_MS, type Market } from '../dispatch/market';

let market: Market;
let client: OpenAI;
let accountId: string;

beforeAll(async () => {
  market = await startMarket();
  const funded = await fundedKey(market.app, '5');
  accountId = funded.accountId;
  client = new OpenAI({ apiKey: funded.key, baseURL: `${market.app.url}/v1`, maxRetries: 0 });
}, START_TIMEOUT_MS);

afterAll(async () => {
  await market?.close();
});

beforeEach(() => market.reset());

/** Usage as Switchyard sends it: OpenAI's fields plus the job's cost. */
type CostedUsage = OpenAI.CompletionUsage & { cost_usd: string };

const weatherTool: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } },
};

describe('with the openai SDK', () => {
  it('gets a plain completion with usage.cost_usd and the job headers', async () => {
    const { data, response } = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hello there' }] }).withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.model).toBe(MODEL);
    expect(data.choices[0]!.message).toMatchObject({ role: 'assistant', content: 'echo: hello there' });
    expect(data.choices[0]!.finish_reason).toBe('stop');
    expect(data.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
    expect((data.usage as CostedUsage).cost_usd).toBe('0.000011');
    expect(response.headers.get('x-switchyard-provider')).toBe('groq');
    expect(response.headers.get('x-switchyard-model')).toBe(MODEL);
    expect(response.headers.get('x-switchyard-cost-usd')).toBe('0.000011');
    expect(response.headers.get('x-switchyard-attempts')).toBe('1');
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
  });

  it('serves a prompt that contains special-token text such as <|endoftext|>', async () => {
    // The prompt's size is estimated before dispatch; a tokenizer that refuses such text made this a 500.
    const content = 'what does <|endoftext|> mean?';
    const data = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content }] });
    expect(data.choices[0]!.message.content).toBe(`echo: ${content}`);
  });

  it('streams a completion whose final chunk carries usage with cost_usd', async () => {
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'count to three' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: CostedUsage | null = null;
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage as CostedUsage;
    }
    expect(text).toBe('echo: count to three');
    expect(finish).toBe('stop');
    // The host counted 3 + 3 prompt and 4 completion tokens: 6 × 1 + 4 × 2 micro-USD at groq.
    expect(usage).toMatchObject({ prompt_tokens: 6, completion_tokens: 4, cost_usd: '0.000014' });
  });

  it('streams with the SDK helper and gets the final message', async () => {
    const runner = client.chat.completions.stream({ model: MODEL, messages: [{ role: 'user', content: 'stream helper' }] });
    const completion = await runner.finalChatCompletion();
    expect(completion.choices[0]!.message.content).toBe('echo: stream helper');
    // No include_usage asked, yet the cost still arrives on the last chunk: 5 × 1 + 3 × 2 micro-USD.
    expect((completion.usage as CostedUsage | undefined)?.cost_usd).toBe('0.000011');
  });

  it('serves model "auto" from the cheapest offering of any chat model', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'hello there' }] }).withResponse();
    expect(data.model).toBe(MODEL);
    expect(response.headers.get('x-switchyard-provider')).toBe('groq');
    // With a key limited to the flat model, "auto" can only pick that one.
    const { key } = await fundedKey(market.app, '1', { allowed_models: [FLAT_MODEL] });
    const limited = new OpenAI({ apiKey: key, baseURL: `${market.app.url}/v1`, maxRetries: 0 });
    const flat = await limited.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] });
    expect(flat.model).toBe(FLAT_MODEL);
    expect((flat.usage as CostedUsage).cost_usd).toBe('0.05');
  });

  it('sends an image content part to a vision offering and passes it on upstream', async () => {
    const image = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    const completion = await client.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: image, detail: 'low' } }] }],
    });
    expect(completion.model).toBe(MODEL);
    expect(completion.choices[0]!.message.content).toBe('echo: what is this?');
    const sent = market.hosts.groq.mock.lastRequest!.json;
    expect(sent.messages[0].content[1]).toEqual({ type: 'image_url', image_url: { url: image, detail: 'low' } });
    // The flat model has no vision: asking it directly is a 422 naming why.
    const refused = client.chat.completions.create({ model: FLAT_MODEL, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: image } }] }] });
    await expect(refused).rejects.toMatchObject({ status: 422, code: 'no_offering', message: expect.stringContaining('image input') });
  });

  it('calls tools, plain and streamed', async () => {
    const completion = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'use get_weather for Lisbon' }],
      tools: [weatherTool],
      tool_choice: 'auto',
    });
    const call = completion.choices[0]!.message.tool_calls![0]!;
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.type).toBe('function');
    if (call.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ text: 'use get_weather for Lisbon' });
    expect(market.hosts.groq.mock.lastRequest!.json.tools).toEqual([weatherTool]);

    const runner = client.chat.completions.stream({ model: MODEL, messages: [{ role: 'user', content: 'use get_weather for Porto' }], tools: [weatherTool] });
    const streamed = await runner.finalChatCompletion();
    const streamedCall = streamed.choices[0]!.message.tool_calls![0]!;
    if (streamedCall.type !== 'function') throw new Error('expected a function call');
    expect(streamedCall.function.name).toBe('get_weather');
    expect(JSON.parse(streamedCall.function.arguments)).toEqual({ text: 'use get_weather for Porto' });
  });

  it('answers a tool result sent back in the conversation', async () => {
    const completion = await client.chat.completions.create({
      model: MODEL,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'weather in Lisbon?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"text":"Lisbon"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '21 °C and sunny' },
      ],
    });
    expect(completion.choices[0]!.message.content).toBe('echo: weather in Lisbon?');
  });

  it('surfaces Switchyard errors as the SDK error classes', async () => {
    await expect(client.chat.completions.create({ model: 'acme/unknown', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client.chat.completions.create({ model: MODEL, messages: [] })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    const anonymous = new OpenAI({ apiKey: 'sy_live_nottherightkey000000000000000000', baseURL: `${market.app.url}/v1`, maxRetries: 0 });
    await expect(anonymous.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const { key } = await fundedKey(market.app, '0');
    const broke = new OpenAI({ apiKey: key, baseURL: `${market.app.url}/v1`, maxRetries: 0 });
    await expect(broke.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 402, code: 'insufficient_credit' });
    for (const host of ['groq', 'together', 'deepinfra'] as const) market.hosts[host].mock.failNext({ kind: 'status', status: 503, message: 'busy' });
    await expect(client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.InternalServerError);
  });

  it('records one usage event per job the SDK ran', async () => {
    const before = await (await settledDb(market.app)).selectFrom('usage_events').select('request_id').where('account_id', '=', accountId).execute();
    await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'one more' }] });
    const after = await (await settledDb(market.app)).selectFrom('usage_events').select('request_id').where('account_id', '=', accountId).execute();
    expect(after.length).toBe(before.length + 1);
  });
});
