// Anthropic Message → OpenAI chat.completion, and the units billed from Anthropic's own usage.
import type { Units } from '../../catalog/price';
import type { ChatCompletion, ChatUsage, ToolCall } from '../../tasks/chat';
import type { AnthropicMessage, AnthropicUsage } from './api';

type FinishReason = ChatCompletion['choices'][number]['finish_reason'];

const FINISH_REASONS: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

export function finishReason(stopReason: string | null | undefined): FinishReason {
  if (!stopReason) return null;
  return FINISH_REASONS[stopReason] ?? 'stop';
}

/** OpenAI's prompt_tokens counts every prompt token, cached or not; Anthropic reports three disjoint parts. */
export function chatUsage(usage: AnthropicUsage): ChatUsage {
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const prompt = usage.input_tokens + cacheRead + (usage.cache_creation_input_tokens ?? 0);
  return {
    prompt_tokens: prompt,
    completion_tokens: usage.output_tokens,
    total_tokens: prompt + usage.output_tokens,
    prompt_tokens_details: { cached_tokens: cacheRead },
  };
}

/**
 * Cache writes are billed as plain input here: the catalog has no unit for Anthropic's 1.25×
 * write premium, and charging them nothing would be worse.
 */
export function anthropicUnits(usage: AnthropicUsage): Units {
  return {
    input_tokens: usage.input_tokens + (usage.cache_creation_input_tokens ?? 0),
    cached_input_tokens: usage.cache_read_input_tokens ?? 0,
    output_tokens: usage.output_tokens,
  };
}

export function toChatCompletion(message: AnthropicMessage): ChatCompletion {
  const text: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of message.content) {
    if (block.type === 'text' && 'text' in block) text.push(String(block.text));
    else if (block.type === 'tool_use' && 'id' in block && 'name' in block) {
      toolCalls.push({ id: String(block.id), type: 'function', function: { name: String(block.name), arguments: JSON.stringify(block.input ?? {}) } });
    }
  }
  return {
    id: message.id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: message.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text.length || !toolCalls.length ? text.join('') : null,
          ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
          refusal: null,
        },
        finish_reason: finishReason(message.stop_reason) ?? 'stop',
        logprobs: null,
      },
    ],
    usage: chatUsage(message.usage),
  };
}
