// GET /openapi.json, generated from the same zod schemas the routes validate with, and GET /docs,
// a plain page rendered from it (no script, no CDN).
import { Router } from 'express';
import { z } from 'zod';
import { CreateKeyInput, UpdateKeyInput } from '../billing/keys';
import { UsageEventsQuery, UsageQuery } from '../billing/usage';
import { ModelListQuery } from '../catalog/query';
import { ProviderPreferences } from '../dispatch/job';
import { ChatRequest } from '../tasks/chat';
import { ModerationRequest } from '../tasks/moderation';
import { SpeechRequest } from '../tasks/speech';
import { TranslationRequest } from '../tasks/translation';

interface Operation {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  summary: string;
  tag: 'Catalog' | 'Jobs' | 'Account' | 'Billing' | 'Admin' | 'Operations';
  auth: 'none' | 'key' | 'admin' | 'stripe-signature';
  json?: z.ZodType;
  multipart?: z.ZodType;
  query?: z.ZodObject;
  produces?: string;
}

const withRouting = (schema: z.ZodObject) => schema.extend({ provider: ProviderPreferences.optional() });

const OcrForm = z.object({
  file: z.string().describe('PNG, JPEG, WebP, TIFF or PDF (binary); or send JSON with image_url / image instead'),
  model: z.string().optional(),
  language: z.string().optional().describe('BCP 47 language hints, comma-separated'),
  pages: z.string().optional().describe('0-based pages or ranges, e.g. "0,2-4"'),
  provider: z.string().optional().describe('routing preferences as a JSON string'),
});
const OcrJson = z.object({
  image_url: z.string().optional().describe('http(s) URL of a public image or PDF, or a data: URL'),
  image: z.string().optional().describe('base64 file content'),
  model: z.string().optional(),
  language: z.union([z.string(), z.array(z.string())]).optional(),
  pages: z.union([z.string(), z.array(z.number().int().nonnegative())]).optional(),
  provider: ProviderPreferences.optional(),
});
const TranscriptionForm = z.object({
  file: z.string().describe('audio file (binary): mp3, mp4, m4a, wav, webm, ogg, flac …'),
  model: z.string().optional(),
  language: z.string().optional(),
  prompt: z.string().optional(),
  response_format: z.enum(['json', 'text', 'verbose_json', 'srt', 'vtt']).optional(),
  temperature: z.number().optional(),
  'timestamp_granularities[]': z.array(z.enum(['word', 'segment'])).optional(),
  provider: z.string().optional().describe('routing preferences as a JSON string'),
});
const AdminAccount = z.object({ name: z.string() });
const AdminCredit = z.object({ amount_usd: z.string(), reason: z.string().optional(), kind: z.enum(['grant', 'top_up', 'refund']).optional(), idempotency_key: z.string().optional() });
const Checkout = z.object({ amount_usd: z.string(), success_url: z.string().optional(), cancel_url: z.string().optional() });
const CompareQuery = z.object({ ids: z.string().describe('2–6 comma-separated model ids') });

export const OPERATIONS: Operation[] = [
  { method: 'get', path: '/v1/models', summary: 'List and filter the catalog (OpenAI-compatible list)', tag: 'Catalog', auth: 'none', query: ModelListQuery },
  { method: 'get', path: '/v1/models/compare', summary: 'Compare 2–6 models side by side with a sample-job cost', tag: 'Catalog', auth: 'none', query: CompareQuery },
  { method: 'get', path: '/v1/models/{author}/{name}', summary: 'One model, every offering with live health', tag: 'Catalog', auth: 'none' },
  { method: 'get', path: '/v1/providers', summary: 'Providers, whether they are enabled, their health', tag: 'Catalog', auth: 'none' },
  { method: 'post', path: '/v1/chat/completions', summary: 'Chat completion (OpenAI format; stream:true for SSE)', tag: 'Jobs', auth: 'key', json: withRouting(ChatRequest) },
  { method: 'post', path: '/v1/ocr', summary: 'Read the text of an image or PDF', tag: 'Jobs', auth: 'key', multipart: OcrForm, json: OcrJson },
  { method: 'post', path: '/v1/audio/transcriptions', summary: 'Transcribe audio (OpenAI format)', tag: 'Jobs', auth: 'key', multipart: TranscriptionForm },
  { method: 'post', path: '/v1/audio/speech', summary: 'Text to speech (OpenAI format); returns audio bytes', tag: 'Jobs', auth: 'key', json: withRouting(SpeechRequest), produces: 'audio/*' },
  { method: 'post', path: '/v1/translations', summary: 'Translate text', tag: 'Jobs', auth: 'key', json: withRouting(TranslationRequest) },
  { method: 'post', path: '/v1/moderations', summary: 'Classify text for safety (OpenAI format)', tag: 'Jobs', auth: 'key', json: withRouting(ModerationRequest) },
  { method: 'get', path: '/v1/balance', summary: "The key's account balance, held and available credit", tag: 'Account', auth: 'key' },
  { method: 'get', path: '/v1/usage', summary: 'Usage totals over a range, grouped', tag: 'Account', auth: 'key', query: UsageQuery },
  { method: 'get', path: '/v1/usage/events', summary: 'Usage events, newest first (format=csv for CSV)', tag: 'Account', auth: 'key', query: UsageEventsQuery },
  { method: 'post', path: '/v1/billing/checkout', summary: 'A Stripe Checkout session for a credit top-up', tag: 'Billing', auth: 'key', json: Checkout },
  { method: 'post', path: '/v1/billing/webhook', summary: "Stripe's webhook (signature verified; each top-up credited once)", tag: 'Billing', auth: 'stripe-signature' },
  { method: 'post', path: '/v1/admin/accounts', summary: 'Create an account', tag: 'Admin', auth: 'admin', json: AdminAccount },
  { method: 'get', path: '/v1/admin/accounts/{id}', summary: 'An account and its balance', tag: 'Admin', auth: 'admin' },
  { method: 'post', path: '/v1/admin/accounts/{id}/credits', summary: 'Credit an account', tag: 'Admin', auth: 'admin', json: AdminCredit },
  { method: 'post', path: '/v1/admin/keys', summary: 'Create an API key (the key is shown once)', tag: 'Admin', auth: 'admin', json: CreateKeyInput },
  { method: 'get', path: '/v1/admin/keys', summary: 'List API keys', tag: 'Admin', auth: 'admin' },
  { method: 'patch', path: '/v1/admin/keys/{id}', summary: 'Change an API key', tag: 'Admin', auth: 'admin', json: UpdateKeyInput },
  { method: 'delete', path: '/v1/admin/keys/{id}', summary: 'Revoke an API key', tag: 'Admin', auth: 'admin' },
  { method: 'get', path: '/healthz', summary: 'Liveness', tag: 'Operations', auth: 'none' },
  { method: 'get', path: '/readyz', summary: 'Readiness: database reachable, migrations applied', tag: 'Operations', auth: 'none' },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics', tag: 'Operations', auth: 'none', produces: 'text/plain' },
];

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'openapi-3.0' }) as Record<string, unknown>;
  return rest;
}

const ERROR = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { message: { type: 'string' }, type: { type: 'string' }, code: { type: 'string' }, param: { type: 'string', nullable: true } },
      required: ['message', 'type', 'code', 'param'],
    },
  },
};

export function buildOpenApi(serverUrl?: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const content: Record<string, unknown> = {};
    if (op.json) content['application/json'] = { schema: jsonSchema(op.json) };
    if (op.multipart) content['multipart/form-data'] = { schema: jsonSchema(op.multipart) };
    const parameters = [
      ...(op.query ? Object.keys(op.query.shape).map((name) => ({ name, in: 'query', required: false, schema: jsonSchema(op.query!.shape[name] as z.ZodType) })) : []),
      ...[...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } })),
    ];
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      summary: op.summary,
      tags: [op.tag],
      security: op.auth === 'key' ? [{ apiKey: [] }] : op.auth === 'admin' ? [{ adminToken: [] }] : [],
      ...(parameters.length ? { parameters } : {}),
      ...(Object.keys(content).length ? { requestBody: { required: true, content } } : {}),
      responses: {
        '200': { description: 'OK', content: { [op.produces ?? 'application/json']: {} } },
        default: { description: 'An error, always in this shape', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
  }
  return {
    openapi: '3.0.3',
    info: { title: 'Switchyard', version: '0.1.0', description: 'Self-hosted multi-modal AI marketplace API: one API for chat, OCR, transcription, speech, translation and moderation.' },
    servers: serverUrl ? [{ url: serverUrl }] : [],
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: sy_live_…' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'The ADMIN_TOKEN' },
      },
      schemas: { Error: ERROR },
    },
    paths,
  };
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function docsPage(doc: ReturnType<typeof buildOpenApi>): string {
  const rows = OPERATIONS.map((op) => {
    const fields = op.json ?? op.multipart;
    const props = fields ? Object.keys((jsonSchema(fields).properties as Record<string, unknown>) ?? {}) : [];
    return `<tr><td><code>${op.method.toUpperCase()}</code></td><td><code>${escape(op.path)}</code></td><td>${escape(op.summary)}</td><td>${op.auth}</td><td>${props.map((p) => `<code>${escape(p)}</code>`).join(' ')}</td></tr>`;
  }).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchyard API</title><style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#111}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}code{font-size:13px}</style></head>
<body><h1>${escape(doc.info.title)} API</h1><p>${escape(doc.info.description)} The machine-readable document is <a href="/openapi.json">/openapi.json</a>. Errors always look like <code>{"error":{"message","type","code","param"}}</code>.</p>
<table><thead><tr><th>Method</th><th>Path</th><th>What it does</th><th>Auth</th><th>Body fields</th></tr></thead><tbody>${rows}</tbody></table></body></html>`;
}

export function openapiRouter(publicUrl?: string): Router {
  const doc = buildOpenApi(publicUrl);
  const html = docsPage(doc);
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(doc);
  });
  router.get('/docs', (_req, res) => {
    res.set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'").type('html').send(html);
  });
  return router;
}
