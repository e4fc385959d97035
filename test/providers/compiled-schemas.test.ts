// The schemas every chat job goes through are compiled with z.compile (zod's ahead-of-time fast
// path). z.compile never fails: a schema it cannot model quietly keeps the slower runtime parser.
// Strict mode says whether the fast path really exists, so a schema change that loses it shows here.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ProviderPreferences } from '../../src/dispatch/job';
import { deepseekChatProfile } from '../../src/providers/deepseek/chat';
import { groqChatProfile } from '../../src/providers/groq/chat';
import { mistralChatProfile } from '../../src/providers/mistral/chat';
import { openaiChatProfile } from '../../src/providers/openai/chat';
import { hostChatSchemas } from '../../src/providers/shared/openai-chat-schemas';
import { ChatRequest } from '../../src/tasks/chat';

describe('schemas on the chat path', () => {
  it('compile to the fast path: the chat request and the routing preferences', () => {
    expect(() => z.compile(ChatRequest, { strict: true })).not.toThrow();
    expect(() => z.compile(ProviderPreferences, { strict: true })).not.toThrow();
  });

  it.each([
    ['openai', openaiChatProfile],
    ['groq', groqChatProfile],
    ['mistral', mistralChatProfile],
    ['deepseek', deepseekChatProfile],
  ])('compile to the fast path: %s answers and stream chunks', (_name, profile) => {
    const { completion, chunk } = hostChatSchemas(profile);
    expect(() => z.compile(completion, { strict: true })).not.toThrow();
    expect(() => z.compile(chunk, { strict: true })).not.toThrow();
  });
});
