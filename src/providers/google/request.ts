// OpenAI chat request → Gemini GenerateContentRequest. Gemini calls the assistant "model", keeps
// the system prompt in systemInstruction, answers function calls with functionResponse parts in
// a user turn, and takes JSON Schema for tools and structured output as it is.
import { InvalidRequest } from '../../errors';
import { requestedMaxTokens, type ChatMessage, type ChatRequest, type ContentPart } from '../../tasks/chat';

type Part = Record<string, unknown>;
interface Content {
  role: 'user' | 'model';
  parts: Part[];
}

/**
 * Gemini 3 rejects a replayed function call without the thoughtSignature it was issued with, and
 * OpenAI's format has nowhere to keep one. Google documents this value for exactly that case:
 * history rebuilt by a client, or written by another model.
 */
export const SKIP_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';

const EXTENSION_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif', heic: 'image/heic', heif: 'image/heif' };

export function toGeminiRequest(request: ChatRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { contents: toContents(request.messages) };
  const system = request.messages.flatMap((m) => (m.role === 'system' || m.role === 'developer' ? [textOf(m.content)] : [])).filter(Boolean);
  if (system.length) body.systemInstruction = { parts: system.map((text) => ({ text })) };
  const config = generationConfig(request);
  if (Object.keys(config).length) body.generationConfig = config;
  if (request.tools?.length) {
    body.tools = [
      {
        functionDeclarations: request.tools.map((t) => ({
          name: t.function.name,
          ...(t.function.description ? { description: t.function.description } : {}),
          ...(t.function.parameters ? { parametersJsonSchema: t.function.parameters } : {}),
        })),
      },
    ];
    const toolConfig = functionCallingConfig(request);
    if (toolConfig) body.toolConfig = { functionCallingConfig: toolConfig };
  }
  return body;
}

function generationConfig(request: ChatRequest): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  if (request.temperature != null) config.temperature = request.temperature;
  if (request.top_p != null) config.topP = request.top_p;
  const maxTokens = requestedMaxTokens(request);
  if (maxTokens) config.maxOutputTokens = maxTokens;
  if (request.stop != null) config.stopSequences = typeof request.stop === 'string' ? [request.stop] : request.stop;
  if (request.n != null && request.n > 1) config.candidateCount = request.n;
  if (request.seed != null) config.seed = request.seed;
  if (request.presence_penalty != null) config.presencePenalty = request.presence_penalty;
  if (request.frequency_penalty != null) config.frequencyPenalty = request.frequency_penalty;
  const format = request.response_format;
  if (format?.type === 'json_object' || format?.type === 'json_schema') config.responseMimeType = 'application/json';
  // responseJsonSchema takes JSON Schema as OpenAI clients write it; responseSchema wants Google's OpenAPI subset.
  if (format?.type === 'json_schema' && format.json_schema.schema) config.responseJsonSchema = format.json_schema.schema;
  return config;
}

function functionCallingConfig(request: ChatRequest): Record<string, unknown> | null {
  const choice = request.tool_choice;
  if (choice === 'none') return { mode: 'NONE' };
  if (choice === 'required') return { mode: 'ANY' };
  if (choice === 'auto') return { mode: 'AUTO' };
  if (typeof choice === 'object' && choice) return { mode: 'ANY', allowedFunctionNames: [choice.function.name] };
  return null;
}

function toContents(messages: ChatMessage[]): Content[] {
  const contents: Content[] = [];
  const toolNames = new Map<string, string>();
  for (const message of messages) {
    if (message.role === 'system' || message.role === 'developer') continue;
    const role = message.role === 'assistant' ? 'model' : 'user';
    const parts = toParts(message, toolNames);
    if (!parts.length) continue;
    const last = contents.at(-1);
    // Parallel tool results must answer in one turn, and Gemini wants user and model to alternate.
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  }
  for (const content of contents) {
    const firstCall = content.role === 'model' ? content.parts.find((p) => 'functionCall' in p) : undefined;
    if (firstCall) firstCall.thoughtSignature = SKIP_THOUGHT_SIGNATURE;
  }
  return contents;
}

function toParts(message: ChatMessage, toolNames: Map<string, string>): Part[] {
  switch (message.role) {
    case 'user':
      return typeof message.content === 'string' ? textParts(message.content) : message.content.flatMap(partToParts);
    case 'assistant': {
      const parts = textParts(message.content == null ? '' : textOf(message.content));
      for (const call of message.tool_calls ?? []) {
        toolNames.set(call.id, call.function.name);
        parts.push({ functionCall: { name: call.function.name, args: parseArguments(call.function.arguments) } });
      }
      return parts;
    }
    case 'tool': {
      const name = toolNames.get(message.tool_call_id);
      if (!name) throw new InvalidRequest(`No assistant tool call has the id "${message.tool_call_id}".`, 'messages');
      return [{ functionResponse: { name, response: toolResponse(textOf(message.content)) } }];
    }
    default:
      return [];
  }
}

/** functionResponse.response must be an object; a JSON object result goes as it is, anything else wrapped. */
function toolResponse(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // plain text result
  }
  return { result: text };
}

function textParts(text: string): Part[] {
  return text ? [{ text }] : [];
}

function partToParts(part: ContentPart): Part[] {
  if (part.type === 'text') return textParts(part.text);
  const url = part.image_url.url;
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (data) return [{ inlineData: { mimeType: data[1]!.toLowerCase(), data: data[2]! } }];
  if (/^https?:\/\//i.test(url)) {
    const extension = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(new URL(url).pathname)?.[1]?.toLowerCase();
    const mimeType = extension ? EXTENSION_TYPES[extension] : undefined;
    return [{ fileData: { fileUri: url, ...(mimeType ? { mimeType } : {}) } }];
  }
  throw new InvalidRequest('image_url must be an http(s) URL or a base64 data: URL.', 'messages');
}

function parseArguments(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text || '{}');
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new InvalidRequest('tool_calls[].function.arguments must be a JSON object.', 'messages');
}

function textOf(content: string | { text: string }[]): string {
  return typeof content === 'string' ? content : content.map((p) => p.text).join('');
}
