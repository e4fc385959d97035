// The last resort for billing a chat job: a host that reports no usage at all (some self-hosted
// OpenAI-compatible servers). We count tokens ourselves with OpenAI's o200k tokenizer, which is
// an estimate for other model families.
import type { ChatMessage, ChatRequest, ChatUsage } from '../../tasks/chat';
import { o200k } from '../../tokenizer/o200k';

export async function measureChatUsage(request: ChatRequest, output: string): Promise<ChatUsage> {
  const tokenizer = await o200k();
  const prompt = tokenizer.count(request.messages.map(messageText).join('\n'));
  const completion = tokenizer.count(output);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: 0 },
  };
}

function messageText(message: ChatMessage): string {
  const content = message.content;
  const text = typeof content === 'string' ? content : (content ?? []).map((part) => (part.type === 'text' ? part.text : '')).join('');
  const toolCalls = message.role === 'assistant' ? (message.tool_calls ?? []).map((t) => t.function.name + t.function.arguments).join('') : '';
  return text + toolCalls;
}
