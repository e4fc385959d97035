// Anthropic's named stream events → OpenAI chat.completion.chunk objects. Usage arrives in two
// halves (input in message_start, cumulative output in message_delta) and leaves as one final
// chunk with `choices: []`, the way OpenAI sends it with include_usage.
import { z } from 'zod';
import { UpstreamError } from '../../errors';
import type { ChatCompletionChunk } from '../../tasks/chat';
import { truncatedStream, type SseEvent } from '../shared/sse';
import { parseUpstreamJson } from '../shared/upstream';
import { AnthropicStreamEvent, anthropicStreamError, type AnthropicUsage } from './api';
import { chatUsage, finishReason } from './response';

type Delta = ChatCompletionChunk['choices'][number]['delta'];
type FinishReason = ChatCompletionChunk['choices'][number]['finish_reason'];

const EventHead = z.looseObject({ type: z.string() });
const KNOWN_EVENTS = new Set(['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);

export async function* anthropicChunks(events: AsyncIterable<SseEvent>, fallbackModel: string): AsyncGenerator<ChatCompletionChunk> {
  try {
    yield* translate(events, fallbackModel);
  } catch (error) {
    // A connection dropped after the 200 is a cut stream, whatever the socket layer called it.
    if (error instanceof UpstreamError && error.kind === 'connect') throw truncatedStream('anthropic');
    throw error;
  }
}

async function* translate(events: AsyncIterable<SseEvent>, fallbackModel: string): AsyncGenerator<ChatCompletionChunk> {
  let id = 'msg_unknown';
  let model = fallbackModel;
  const created = Math.floor(Date.now() / 1000);
  let usage: AnthropicUsage = { input_tokens: 0, output_tokens: 0 };
  // OpenAI numbers tool calls 0, 1, 2 …; Anthropic numbers every content block.
  const toolIndexByBlock = new Map<number, number>();

  const chunk = (delta: Delta, finish: FinishReason = null): ChatCompletionChunk => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });

  for await (const sse of events) {
    if (sse.event === 'ping') continue;
    if (sse.event === 'error') throw anthropicStreamError(sse.data);
    const head = parseUpstreamJson('anthropic', sse.data, EventHead);
    if (head.type === 'error') throw anthropicStreamError(sse.data);
    // Anthropic may add event types; the documented advice is to ignore the ones you don't know.
    if (!KNOWN_EVENTS.has(head.type)) continue;
    const event = knownEvent(head);
    switch (event.type) {
      case 'message_start':
        id = event.message.id;
        model = event.message.model;
        usage = { ...event.message.usage };
        yield chunk({ role: 'assistant', content: '' });
        break;
      case 'content_block_start': {
        const block = event.content_block;
        if (block.type === 'tool_use' && 'id' in block && 'name' in block) {
          const index = toolIndexByBlock.size;
          toolIndexByBlock.set(event.index, index);
          yield chunk({ tool_calls: [{ index, id: String(block.id), type: 'function', function: { name: String(block.name), arguments: '' } }] });
        } else if (block.type === 'text' && 'text' in block && block.text) {
          yield chunk({ content: String(block.text) });
        }
        break;
      }
      case 'content_block_delta': {
        const delta = event.delta;
        if (delta.type === 'text_delta' && 'text' in delta) yield chunk({ content: String(delta.text) });
        else if (delta.type === 'input_json_delta' && 'partial_json' in delta && delta.partial_json) {
          const index = toolIndexByBlock.get(event.index);
          if (index !== undefined) yield chunk({ tool_calls: [{ index, function: { arguments: String(delta.partial_json) } }] });
        }
        break;
      }
      case 'message_delta':
        usage = {
          ...usage,
          output_tokens: event.usage.output_tokens,
          input_tokens: event.usage.input_tokens ?? usage.input_tokens,
          cache_creation_input_tokens: event.usage.cache_creation_input_tokens ?? usage.cache_creation_input_tokens,
          cache_read_input_tokens: event.usage.cache_read_input_tokens ?? usage.cache_read_input_tokens,
        };
        if (event.delta.stop_reason) yield chunk({}, finishReason(event.delta.stop_reason));
        break;
      case 'message_stop':
        yield { id, object: 'chat.completion.chunk', created, model, choices: [], usage: chatUsage(usage) };
        return;
      default:
        break;
    }
  }
  throw truncatedStream('anthropic');
}

function knownEvent(head: unknown): AnthropicStreamEvent {
  const parsed = AnthropicStreamEvent.safeParse(head);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new UpstreamError('anthropic', 'protocol', `anthropic sent an unexpected stream event: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
}
