// Gemini GenerateContentResponse → OpenAI chat.completion, and the units billed from usageMetadata.
import { randomBytes } from 'node:crypto';
import type { Units } from '../../catalog/price';
import type { ChatCompletion, ChatUsage, ToolCall } from '../../tasks/chat';
import type { GeminiPart, GeminiResponse, GeminiUsage } from './api';

type FinishReason = ChatCompletion['choices'][number]['finish_reason'];

const FILTERED = new Set(['SAFETY', 'RECITATION', 'PROHIBITED_CONTENT', 'BLOCKLIST', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT', 'IMAGE_RECITATION']);

export function finishReason(reason: string | undefined, calledTools: boolean): FinishReason {
  if (!reason) return null;
  if (reason === 'MAX_TOKENS' || reason === 'CONTINUATION') return 'length';
  if (FILTERED.has(reason)) return 'content_filter';
  // Gemini says STOP after a function call too; OpenAI clients look for tool_calls.
  return calledTools ? 'tool_calls' : 'stop';
}

/** Thinking tokens are billed as output; tool-use prompt tokens (built-in tools) as input. */
export function geminiUnits(usage: GeminiUsage | undefined): Units {
  const cached = usage?.cachedContentTokenCount ?? 0;
  return {
    input_tokens: Math.max(0, (usage?.promptTokenCount ?? 0) - cached) + (usage?.toolUsePromptTokenCount ?? 0),
    cached_input_tokens: cached,
    output_tokens: (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0),
  };
}

export function chatUsage(usage: GeminiUsage | undefined): ChatUsage {
  const prompt = (usage?.promptTokenCount ?? 0) + (usage?.toolUsePromptTokenCount ?? 0);
  const thoughts = usage?.thoughtsTokenCount ?? 0;
  const completion = (usage?.candidatesTokenCount ?? 0) + thoughts;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: usage?.cachedContentTokenCount ?? 0 },
    completion_tokens_details: { reasoning_tokens: thoughts },
  };
}

export function answerText(parts: GeminiPart[]): string {
  return parts.filter((p) => p.text !== undefined && !p.thought).map((p) => p.text).join('');
}

export function toolCallsOf(parts: GeminiPart[]): ToolCall[] {
  return parts.flatMap((p) =>
    p.functionCall
      ? [{ id: p.functionCall.id ?? newToolCallId(), type: 'function' as const, function: { name: p.functionCall.name, arguments: JSON.stringify(p.functionCall.args ?? {}) } }]
      : [],
  );
}

function newToolCallId(): string {
  return `call_${randomBytes(12).toString('hex')}`;
}

export function completionId(response: GeminiResponse): string {
  return response.responseId ?? `gen-${randomBytes(12).toString('hex')}`;
}

export function toChatCompletion(response: GeminiResponse, fallbackModel: string): ChatCompletion {
  return {
    id: completionId(response),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: response.modelVersion ?? fallbackModel,
    choices: (response.candidates ?? []).map((candidate, position) => {
      const parts = candidate.content?.parts ?? [];
      const toolCalls = toolCallsOf(parts);
      const text = answerText(parts);
      return {
        index: candidate.index ?? position,
        message: {
          role: 'assistant' as const,
          content: text || !toolCalls.length ? text : null,
          ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
          refusal: null,
        },
        finish_reason: finishReason(candidate.finishReason, toolCalls.length > 0) ?? 'stop',
        logprobs: null,
      };
    }),
    usage: chatUsage(response.usageMetadata),
  };
}
