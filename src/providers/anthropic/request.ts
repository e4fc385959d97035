// OpenAI chat request → Anthropic Messages request. Anthropic keeps the system prompt out of the
// turns, wants strictly alternating user/assistant turns, carries tool results inside a user turn
// and requires max_tokens.
import { InvalidRequest } from '../../errors';
import { requestedMaxTokens, type ChatMessage, type ChatRequest, type ContentPart } from '../../tasks/chat';
import type { CallContext } from '../types';

const DEFAULT_MAX_TOKENS = 4096;
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

type Block = Record<string, unknown> & { type: string };
interface Turn {
  role: 'user' | 'assistant';
  content: Block[];
}

export function toAnthropicRequest(request: ChatRequest, ctx: CallContext, stream: boolean): Record<string, unknown> {
  if ((request.n ?? 1) > 1) throw new InvalidRequest('Anthropic models return one choice per request; n must be 1.', 'n');
  const body: Record<string, unknown> = {
    model: ctx.providerModelId,
    max_tokens: requestedMaxTokens(request) ?? defaultMaxTokens(ctx),
    messages: toTurns(request.messages),
  };
  const system = systemPrompt(request);
  if (system) body.system = system;
  if (request.temperature != null) {
    // Anthropic's range is 0–1 where OpenAI's is 0–2; the top of ours is the top of theirs.
    body.temperature = Math.min(request.temperature, 1);
  } else if (request.top_p != null) {
    // Recent Claude models reject temperature and top_p together; temperature wins.
    body.top_p = request.top_p;
  }
  if (request.stop != null) body.stop_sequences = typeof request.stop === 'string' ? [request.stop] : request.stop;
  if (request.user) body.metadata = { user_id: request.user };
  if (request.tools?.length) {
    body.tools = request.tools.map((t) => ({
      name: t.function.name,
      ...(t.function.description ? { description: t.function.description } : {}),
      input_schema: t.function.parameters ?? { type: 'object', properties: {} },
    }));
    const choice = toolChoice(request);
    if (choice) body.tool_choice = choice;
  }
  if (request.response_format?.type === 'json_schema' && request.response_format.json_schema.schema) {
    body.output_config = { format: { type: 'json_schema', schema: request.response_format.json_schema.schema } };
  }
  if (stream) body.stream = true;
  return body;
}

function defaultMaxTokens(ctx: CallContext): number {
  const configured = Number(ctx.credentials.extra.default_max_tokens);
  return Number.isInteger(configured) && configured > 0 ? configured : DEFAULT_MAX_TOKENS;
}

function systemPrompt(request: ChatRequest): string {
  const parts = request.messages.flatMap((m) => (m.role === 'system' || m.role === 'developer' ? [textOf(m.content)] : []));
  // Anthropic has no JSON mode; the instruction is the documented way to ask for one.
  if (request.response_format?.type === 'json_object') parts.push('Respond with a single valid JSON object and nothing else.');
  return parts.filter(Boolean).join('\n\n');
}

function toolChoice(request: ChatRequest): Record<string, unknown> | null {
  const disableParallel = request.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {};
  const choice = request.tool_choice;
  // Tools stay declared under 'none': Anthropic rejects a history with tool_use blocks but no tools.
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any', ...disableParallel };
  if (typeof choice === 'object' && choice) return { type: 'tool', name: choice.function.name, ...disableParallel };
  if (choice === 'auto' || request.parallel_tool_calls === false) return { type: 'auto', ...disableParallel };
  return null;
}

function toTurns(messages: ChatMessage[]): Turn[] {
  const turns: Turn[] = [];
  for (const message of messages) {
    if (message.role === 'system' || message.role === 'developer') continue;
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const blocks = toBlocks(message);
    if (!blocks.length) continue;
    const last = turns.at(-1);
    // Consecutive same-role turns (several tool results, a tool result then a user note) merge into one.
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  }
  return turns;
}

function toBlocks(message: ChatMessage): Block[] {
  switch (message.role) {
    case 'user':
      return typeof message.content === 'string' ? textBlocks(message.content) : message.content.flatMap(partToBlocks);
    case 'assistant': {
      const blocks = textBlocks(message.content == null ? '' : textOf(message.content));
      for (const call of message.tool_calls ?? []) {
        blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input: parseArguments(call.function.arguments) });
      }
      return blocks;
    }
    case 'tool':
      return [{ type: 'tool_result', tool_use_id: message.tool_call_id, content: textOf(message.content) }];
    default:
      return [];
  }
}

/** Anthropic rejects empty text blocks, so an empty string contributes nothing. */
function textBlocks(text: string): Block[] {
  return text ? [{ type: 'text', text }] : [];
}

function partToBlocks(part: ContentPart): Block[] {
  if (part.type === 'text') return textBlocks(part.text);
  return [{ type: 'image', source: imageSource(part.image_url.url) }];
}

function imageSource(url: string): Record<string, string> {
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (data) {
    const mediaType = data[1]!.toLowerCase();
    if (!IMAGE_TYPES.has(mediaType)) throw new InvalidRequest(`Anthropic accepts JPEG, PNG, GIF and WebP images, not ${mediaType}.`, 'messages');
    return { type: 'base64', media_type: mediaType, data: data[2]! };
  }
  if (/^https?:\/\//i.test(url)) return { type: 'url', url };
  throw new InvalidRequest('image_url must be an http(s) URL or a base64 data: URL.', 'messages');
}

function parseArguments(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text || '{}');
    if (value && typeof value === 'object' && !Array.isArray(value)) return value;
  } catch {
    // reported below
  }
  throw new InvalidRequest('tool_calls[].function.arguments must be a JSON object.', 'messages');
}

function textOf(content: string | { text: string }[]): string {
  return typeof content === 'string' ? content : content.map((p) => p.text).join('');
}
