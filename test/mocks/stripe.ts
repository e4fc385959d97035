// The Stripe API, mocked on 127.0.0.1 for the real `stripe` package: form-encoded requests with
// bracketed keys (line_items[0][price_data][unit_amount]=…), Bearer secret-key auth, Stripe's
// {"error":{type,message,param,code}} bodies with a Request-Id header, Checkout Sessions
// (POST /v1/checkout/sessions) and billing meter events (POST /v1/billing/meter_events), which like
// Stripe's refuse a second event with an identifier already seen. Also builds and signs the webhook
// events Stripe would send, with the package's own test-header helper.
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import Stripe from 'stripe';
import { MockUpstream, type RecordedRequest, type Route } from '../helpers/mock-upstream';

export const STRIPE_TEST_KEY = 'sk_test_switchyard_mock_0123456789';
export const STRIPE_TEST_WEBHOOK_SECRET = 'whsec_switchyard_mock_0123456789abcdef';

type Form = Map<string, string>;
type Json = Record<string, unknown>;

export interface StripeMock {
  upstream: MockUpstream;
  url: string;
  /** Sessions created, by id, as Stripe returned them. */
  sessions: Map<string, Json>;
  /** Meter events Stripe accepted, in order. */
  meterEvents: Json[];
  /** Requests that reached a route, parsed from the form encoding. */
  forms(path: RegExp): Form[];
  /** The session as Stripe holds it once the customer has paid (status complete, a customer created). */
  paidSession(id: string, overrides?: Json): Json;
  close(): Promise<void>;
}

function stripeId(prefix: string, length = 24): string {
  return `${prefix}_${randomBytes(length).toString('base64url').replace(/[-_]/g, 'x').slice(0, length)}`;
}

export function stripeErrorBody(status: number, message: string, extra: { param?: string; code?: string } = {}) {
  const type = status === 429 ? 'invalid_request_error' : status >= 500 ? 'api_error' : 'invalid_request_error';
  const code = extra.code ?? (status === 429 ? 'rate_limit' : undefined);
  return { error: { type, message, ...(code ? { code } : {}), ...(extra.param ? { param: extra.param } : {}) } };
}

export function parseForm(body: Buffer): Form {
  return new Map(new URLSearchParams(body.toString('utf8')));
}

/** The entries under a bracketed prefix: `metadata` → {account: "…"} from metadata[account]=…. */
export function formObject(form: Form, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of form) {
    const match = key.startsWith(`${prefix}[`) ? /^\[([^\]]+)\]$/.exec(key.slice(prefix.length)) : null;
    if (match) out[match[1]!] = value;
  }
  return out;
}

function reject(mock: MockUpstream, res: http.ServerResponse, message: string, param?: string, headers: Record<string, string> = {}): void {
  mock.sendJson(res, 400, stripeErrorBody(400, message, { param }), { 'request-id': stripeId('req', 14), ...headers });
}

function validUrl(text: string | undefined): boolean {
  if (!text) return false;
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

function createSession(state: { sessions: Map<string, Json> }, form: Form, res: http.ServerResponse, mock: MockUpstream): void {
  const mode = form.get('mode');
  if (!mode) return reject(mock, res, 'Missing required param: mode.', 'mode');
  if (form.has('customer') && form.has('customer_creation')) {
    return reject(mock, res, 'You may only specify one of these parameters: customer, customer_creation.', 'customer_creation');
  }
  for (const param of ['success_url', 'cancel_url'] as const) {
    if (form.has(param) && !validUrl(form.get(param))) return reject(mock, res, 'Not a valid URL', param);
  }
  const currency = form.get('line_items[0][price_data][currency]');
  const unitAmount = form.get('line_items[0][price_data][unit_amount]') ?? '';
  const quantity = form.get('line_items[0][quantity]') ?? '';
  if (!currency) return reject(mock, res, 'Missing required param: line_items[0][price_data][currency].', 'line_items[0][price_data][currency]');
  if (!/^\d+$/.test(unitAmount)) return reject(mock, res, 'Invalid integer: ' + unitAmount, 'line_items[0][price_data][unit_amount]');
  if (!/^\d+$/.test(quantity)) return reject(mock, res, 'Invalid integer: ' + quantity, 'line_items[0][quantity]');
  const amount = Number(unitAmount) * Number(quantity);
  const id = stripeId('cs_test', 58);
  const now = Math.floor(Date.now() / 1000);
  const session: Json = {
    id,
    object: 'checkout.session',
    after_expiration: null,
    allow_promotion_codes: null,
    amount_subtotal: amount,
    amount_total: amount,
    automatic_tax: { enabled: false, liability: null, status: null },
    billing_address_collection: null,
    cancel_url: form.get('cancel_url') ?? null,
    client_reference_id: form.get('client_reference_id') ?? null,
    created: now,
    currency,
    customer: form.get('customer') ?? null,
    customer_creation: form.get('customer_creation') ?? null,
    customer_details: null,
    customer_email: null,
    expires_at: now + 24 * 3600,
    invoice: null,
    livemode: false,
    locale: null,
    metadata: formObject(form, 'metadata'),
    mode,
    payment_intent: null,
    payment_link: null,
    payment_method_types: ['card'],
    payment_status: 'unpaid',
    status: 'open',
    submit_type: null,
    success_url: form.get('success_url') ?? null,
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: 'hosted',
    url: `https://checkout.stripe.com/c/pay/${id}`,
  };
  state.sessions.set(id, session);
  mock.sendJson(res, 200, session, { 'request-id': stripeId('req', 14) });
}

function createMeterEvent(state: { meterEvents: Json[]; identifiers: Set<string> }, form: Form, res: http.ServerResponse, mock: MockUpstream): void {
  const eventName = form.get('event_name');
  const payload = formObject(form, 'payload');
  if (!eventName) return reject(mock, res, 'Missing required param: event_name.', 'event_name');
  if (!payload.stripe_customer_id) return reject(mock, res, 'The payload is missing stripe_customer_id.', 'payload');
  if (!/^-?\d+(\.\d+)?$/.test(payload.value ?? '')) return reject(mock, res, `The value in the event payload must be a number. Received ${payload.value}.`, 'payload');
  const identifier = form.get('identifier') ?? stripeId('idmp');
  if (identifier.length > 100) return reject(mock, res, 'identifier is longer than 100 characters.', 'identifier');
  // Stripe refuses a repeated identifier (rather than answering the first event again).
  if (state.identifiers.has(identifier)) return reject(mock, res, `An event already exists with identifier ${identifier}.`, undefined, { 'stripe-should-retry': 'false' });
  const now = Math.floor(Date.now() / 1000);
  const timestamp = form.has('timestamp') ? Number(form.get('timestamp')) : now;
  if (!Number.isInteger(timestamp) || timestamp < now - 35 * 86_400 || timestamp > now + 300) {
    return reject(mock, res, 'Timestamp must be within the past 35 calendar days or up to 5 minutes in the future.', 'timestamp');
  }
  state.identifiers.add(identifier);
  const event = { object: 'billing.meter_event', created: now, event_name: eventName, identifier, livemode: false, payload, timestamp };
  state.meterEvents.push(event);
  mock.sendJson(res, 200, event, { 'request-id': stripeId('req', 14) });
}

export async function startStripeMock(apiKey = STRIPE_TEST_KEY): Promise<StripeMock> {
  const state = { sessions: new Map<string, Json>(), meterEvents: [] as Json[], identifiers: new Set<string>() };
  const routes: Route[] = [
    { method: 'POST', path: /\/v1\/checkout\/sessions$/, handle: (req, res, ctx) => createSession(state, parseForm(req.body), res, ctx.mock) },
    { method: 'POST', path: /\/v1\/billing\/meter_events$/, handle: (req, res, ctx) => createMeterEvent(state, parseForm(req.body), res, ctx.mock) },
  ];
  const upstream = await MockUpstream.start({
    routes,
    errorBody: (status, message) => stripeErrorBody(status, message),
    authorize: (req: RecordedRequest) => req.headers.authorization === `Bearer ${apiKey}`,
  });
  return {
    upstream,
    url: upstream.url,
    sessions: state.sessions,
    meterEvents: state.meterEvents,
    forms: (path) => upstream.requests.filter((r) => path.test(r.path)).map((r) => parseForm(r.body)),
    paidSession: (id, overrides = {}) => {
      const session = state.sessions.get(id);
      if (!session) throw new Error(`no session ${id}`);
      return {
        ...session,
        status: 'complete',
        payment_status: 'paid',
        customer: session.customer ?? stripeId('cus', 14),
        payment_intent: stripeId('pi', 24),
        customer_details: { email: 'buyer@example.com', name: 'Test Buyer' },
        ...overrides,
      };
    },
    close: () => upstream.close(),
  };
}

/** The event Stripe posts to a webhook endpoint for `object`. */
export function stripeEvent(type: string, object: Json, id = stripeId('evt', 24)): Json {
  return {
    id,
    object: 'event',
    api_version: Stripe.API_VERSION,
    created: Math.floor(Date.now() / 1000),
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
}

/** A Stripe-Signature header for these exact bytes, made by the package's own test helper. */
export function signWebhook(payload: string, secret = STRIPE_TEST_WEBHOOK_SECRET, timestamp?: number): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp !== undefined ? { timestamp } : {}) });
}
