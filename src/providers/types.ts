// The adapter contract: one small interface per task. Each takes the task's normalized request and
// returns the normalized result plus the units the provider itself reported, for billing.
import type { Units } from '../catalog/price';
import type { ChatCompletion, ChatCompletionChunk, ChatRequest } from '../tasks/chat';
import type { ModerationJob, ModerationResult } from '../tasks/moderation';
import type { OcrRequest, OcrResult } from '../tasks/ocr';
import type { SpeechRequest, SpeechResult } from '../tasks/speech';
import type { TranscriptionRequest, TranscriptionResult } from '../tasks/transcription';
import type { TranslationJob, TranslationResult } from '../tasks/translation';

/** Where and how to reach one provider, from `<ID>_API_KEY`, `<ID>_BASE_URL` and friends. */
export interface ProviderCredentials {
  apiKey: string | null;
  baseUrl: string;
  /** Other `<ID>_*` settings a provider needs (Azure region, Google project …), keyed in lower case. */
  extra: Record<string, string>;
}

export interface CallContext {
  provider: string;
  /** The provider's own model id for this offering. */
  providerModelId: string;
  credentials: ProviderCredentials;
  /** Per-attempt bound for waiting on upstream (headers, and gaps between body chunks). */
  timeoutMs: number;
  /** Aborted when the client goes away or the job's deadline passes. */
  signal: AbortSignal;
  requestId: string;
}

export interface Metered<T> {
  result: T;
  units: Units;
}

/** A chat stream in OpenAI chunk shape. The adapter always asks upstream for usage; the last
 * chunk carrying `usage` holds the totals. Ending before the provider's end marker throws. */
export type ChatStream = AsyncIterable<ChatCompletionChunk>;

export interface ChatAdapter {
  chat(request: ChatRequest, ctx: CallContext): Promise<Metered<ChatCompletion>>;
  /** Resolves once upstream accepted the request (a 2xx status); errors before that throw here. */
  chatStream(request: ChatRequest, ctx: CallContext): Promise<ChatStream>;
}

export interface OcrAdapter {
  ocr(request: OcrRequest, ctx: CallContext): Promise<Metered<OcrResult>>;
}

export interface TranscriptionAdapter {
  transcribe(request: TranscriptionRequest, ctx: CallContext): Promise<Metered<TranscriptionResult>>;
}

export interface SpeechAdapter {
  speak(request: SpeechRequest, ctx: CallContext): Promise<Metered<SpeechResult>>;
}

export interface TranslationAdapter {
  translate(job: TranslationJob, ctx: CallContext): Promise<Metered<TranslationResult>>;
}

export interface ModerationAdapter {
  moderate(job: ModerationJob, ctx: CallContext): Promise<Metered<ModerationResult>>;
}

/** One provider: what it sells (the tasks it implements) and how to reach it by default. */
export interface ProviderAdapter {
  id: string;
  defaultBaseUrl: string;
  /** Runs inside Switchyard or on the user's own host: routable without an API key. */
  keyless?: boolean;
  chat?: ChatAdapter;
  ocr?: OcrAdapter;
  transcription?: TranscriptionAdapter;
  speech?: SpeechAdapter;
  translation?: TranslationAdapter;
  moderation?: ModerationAdapter;
  /** Frees pools and workers at shutdown. */
  close?(): Promise<void>;
}
