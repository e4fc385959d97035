// The capability schema: the one source of truth for what a model is, who sells it and at what price.
// catalog/models/<author>.yaml and catalog/providers/<provider>.yaml are validated against it at start-up.
import { z } from 'zod';
import { UNITS } from './price';

export const TASKS = ['chat', 'ocr', 'transcription', 'speech', 'translation', 'moderation'] as const;
export const Task = z.enum(TASKS);
export type Task = z.infer<typeof Task>;

export const Unit = z.enum(UNITS);

/** BCP 47 language tag ("en", "pt-BR", "zh-Hans"), or "*" for "any language the model was trained on". */
export const LanguageTag = z
  .string()
  .regex(/^(\*|[a-z]{2,3}(-[A-Za-z]{4})?(-([A-Z]{2}|\d{3}))?)$/, 'expected a BCP 47 language tag like "en" or "pt-BR"');

const Slug = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'expected lower-case letters, digits, ".", "_" or "-"');
export const ModelId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._:-]*$/, 'expected "author/name" in lower case');
const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD');
const HttpsUrl = z.url({ protocol: /^https?$/ });

export const Modality = z.enum(['text', 'image', 'audio', 'pdf', 'video']);
export const ImageFormat = z.enum(['png', 'jpeg', 'webp', 'tiff', 'gif', 'bmp', 'pdf']);
export const AudioInputFormat = z.enum(['mp3', 'mp4', 'mpeg', 'mpga', 'm4a', 'wav', 'webm', 'ogg', 'flac', 'opus', 'aac', 'amr']);
export const AudioOutputFormat = z.enum(['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm']);
/** OpenAI's moderation category names: every provider's categories are mapped onto these. */
export const ModerationCategory = z.enum([
  'harassment',
  'harassment/threatening',
  'hate',
  'hate/threatening',
  'illicit',
  'illicit/violent',
  'self-harm',
  'self-harm/intent',
  'self-harm/instructions',
  'sexual',
  'sexual/minors',
  'violence',
  'violence/graphic',
]);

export const ChatCapabilities = z.strictObject({
  context_length: z.number().int().positive(),
  max_output_tokens: z.number().int().positive(),
  tools: z.boolean(),
  json_mode: z.boolean(),
  structured_output: z.boolean(),
  vision: z.boolean(),
  streaming: z.boolean(),
  reasoning: z.boolean(),
});

export const OcrCapabilities = z.strictObject({
  input_formats: z.array(ImageFormat).min(1),
  max_pages: z.number().int().positive(),
  max_file_mb: z.number().positive(),
  layout: z.boolean().describe('returns blocks with bounding boxes'),
  handwriting: z.boolean(),
});

export const TranscriptionCapabilities = z.strictObject({
  formats: z.array(AudioInputFormat).min(1),
  max_duration_seconds: z.number().int().positive(),
  max_file_mb: z.number().positive(),
  timestamps: z.boolean(),
  word_timestamps: z.boolean(),
  diarization: z.boolean(),
  translate_to_english: z.boolean(),
});

export const SpeechCapabilities = z.strictObject({
  voices: z.array(z.string().min(1)).min(1),
  output_formats: z.array(AudioOutputFormat).min(1),
  max_input_characters: z.number().int().positive(),
});

export const TranslationCapabilities = z.strictObject({
  source_languages: z.array(LanguageTag).min(1),
  target_languages: z.array(LanguageTag).min(1),
  formality: z.boolean(),
  glossary: z.boolean(),
  document_formats: z.array(z.enum(['docx', 'pptx', 'xlsx', 'pdf', 'html', 'txt'])),
});

export const ModerationCapabilities = z.strictObject({
  categories: z.array(ModerationCategory).min(1),
});

const modelCommon = {
  id: ModelId,
  name: z.string().min(1),
  description: z.string().min(1),
  license: z.string().min(1),
  open_weights: z.boolean(),
  languages: z.array(LanguageTag).min(1),
  input_modalities: z.array(Modality).min(1),
  output_modalities: z.array(Modality).min(1),
  release_date: IsoDate.optional(),
  links: z.strictObject({ homepage: HttpsUrl.optional(), docs: HttpsUrl.optional(), model_card: HttpsUrl.optional() }).optional(),
};

export const Model = z.discriminatedUnion('task', [
  z.strictObject({ ...modelCommon, task: z.literal('chat'), capabilities: ChatCapabilities }),
  z.strictObject({ ...modelCommon, task: z.literal('ocr'), capabilities: OcrCapabilities }),
  z.strictObject({ ...modelCommon, task: z.literal('transcription'), capabilities: TranscriptionCapabilities }),
  z.strictObject({ ...modelCommon, task: z.literal('speech'), capabilities: SpeechCapabilities }),
  z.strictObject({ ...modelCommon, task: z.literal('translation'), capabilities: TranslationCapabilities }),
  z.strictObject({ ...modelCommon, task: z.literal('moderation'), capabilities: ModerationCapabilities }),
]);
export type Model = z.infer<typeof Model>;

/** A model author's file: catalog/models/<author>.yaml. Every model id starts with `<author>/`. */
export const AuthorFile = z.strictObject({
  author: Slug,
  name: z.string().min(1),
  homepage: HttpsUrl.optional(),
  models: z.array(Model).min(1),
});
export type AuthorFile = z.infer<typeof AuthorFile>;

/** A price as the provider quotes it: `usd` (an exact decimal string) for every `per` units. */
export const PriceQuote = z.strictObject({
  usd: z
    .string({ error: 'expected a quoted decimal string like "0.59" (unquoted numbers would pass through binary floats)' })
    .regex(/^\d{1,12}(\.\d{1,9})?$/, 'expected a quoted decimal string with at most 9 decimals, like "0.59"; quote a larger block with `per`'),
  per: z.number().int().positive().default(1),
});
export type PriceQuote = z.infer<typeof PriceQuote>;

export const PricingQuote = z.partialRecord(Unit, PriceQuote);
export type PricingQuote = z.infer<typeof PricingQuote>;

export const DataPolicy = z.strictObject({
  trains_on_data: z.boolean(),
  retention_days: z.number().int().nonnegative().nullable().describe('null when not stated'),
});
export type DataPolicy = z.infer<typeof DataPolicy>;

export const OfferingLimits = z.strictObject({
  context_length: z.number().int().positive().optional(),
  max_output_tokens: z.number().int().positive().optional(),
  max_file_mb: z.number().positive().optional(),
  max_pages: z.number().int().positive().optional(),
  max_duration_seconds: z.number().int().positive().optional(),
  max_input_characters: z.number().int().positive().optional(),
});
export type OfferingLimits = z.infer<typeof OfferingLimits>;

/**
 * Where a price was read. `provider-page`: seen on the provider's own pricing page or docs (url) on as_of.
 * `price-map`: taken from the LiteLLM price map mirror of as_of, not yet confirmed on the provider's page.
 * `third-party`: quoted from a third-party copy of the provider's page (named in `note`), not confirmed.
 */
export const PriceBasis = z.enum(['provider-page', 'price-map', 'third-party']);
export type PriceBasis = z.infer<typeof PriceBasis>;

export const PriceSource = z.strictObject({
  url: HttpsUrl,
  as_of: IsoDate,
  basis: PriceBasis,
  note: z.string().min(1).optional().describe('free tiers, tiering or conversions a reader should know'),
});
export type PriceSource = z.infer<typeof PriceSource>;

export const OfferingEntry = z.strictObject({
  model: ModelId,
  provider_model_id: z.string().min(1),
  pricing: PricingQuote.refine((p) => Object.keys(p).length > 0, 'an offering needs at least one price'),
  limits: OfferingLimits.default({}),
  data_policy: DataPolicy.optional(),
  regions: z.array(z.string().min(1)).optional(),
  source: PriceSource,
});
export type OfferingEntry = z.infer<typeof OfferingEntry>;

/** The providers Switchyard has adapters for; a provider file with another id is rejected at load. */
export const PROVIDER_IDS = [
  'openai',
  'anthropic',
  'google',
  'google-cloud',
  'mistral',
  'groq',
  'together',
  'fireworks',
  'deepinfra',
  'deepseek',
  'ollama',
  'azure-document-intelligence',
  'azure-translator',
  'azure-content-safety',
  'deepgram',
  'assemblyai',
  'elevenlabs',
  'deepl',
  'libretranslate',
  'aws-translate',
  'dashscope',
  'tesseract',
] as const;

/**
 * The metered units an offering of each task may be priced in. Token prices appear outside chat because
 * OCR, speech, transcription, translation and moderation models sold by chat-style hosts bill in tokens.
 */
export const TASK_UNITS: Record<Task, readonly z.infer<typeof Unit>[]> = {
  chat: ['input_tokens', 'output_tokens', 'cached_input_tokens', 'requests'],
  ocr: ['pages', 'requests', 'input_tokens', 'output_tokens', 'cached_input_tokens'],
  transcription: ['audio_seconds', 'requests', 'input_tokens', 'output_tokens'],
  speech: ['characters', 'requests', 'input_tokens', 'output_tokens'],
  translation: ['characters', 'requests', 'input_tokens', 'output_tokens'],
  moderation: ['requests', 'characters', 'input_tokens', 'output_tokens', 'cached_input_tokens'],
};

/** A provider's file: catalog/providers/<provider>.yaml. */
export const ProviderFile = z.strictObject({
  id: Slug,
  name: z.string().min(1),
  homepage: HttpsUrl,
  pricing_url: HttpsUrl,
  local: z.boolean().default(false).describe('runs inside Switchyard; needs no key'),
  data_policy: DataPolicy,
  regions: z.array(z.string().min(1)).default([]),
  offerings: z.array(OfferingEntry).min(1),
});
export type ProviderFile = z.infer<typeof ProviderFile>;
