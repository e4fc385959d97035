// Stripe: the client, Checkout Sessions for credit top-ups, and how a paid session becomes credit.
// Money crosses the boundary in Stripe's minor unit (US cents) and is micro-USD everywhere else:
// 1 cent = 10,000 micro-USD, converted with integer arithmetic only.
import Stripe from 'stripe';
import { z } from 'zod';
import { formatUsd } from '../catalog/price';
import type { Config } from '../config';
import { ApiError, InvalidRequest, ServiceUnavailable } from '../errors';

export const MICROS_PER_CENT = 10_000;
/** Smallest and largest single top-up: Stripe's own minimum charge is $0.50, and a typo should not become a $1M charge. */
export const TOP_UP_MIN_MICROS = 1_000_000;
export const TOP_UP_MAX_MICROS = 10_000_000_000;

/** Metadata keys on our sessions: they tell our top-ups apart from anything else sold on the same Stripe account. */
export const METADATA_ACCOUNT = 'switchyard_account_id';
export const METADATA_AMOUNT = 'switchyard_amount_micros';

/**
 * A client for the configured secret key, or null when Stripe is not configured. STRIPE_API_BASE
 * points it elsewhere (a local mock, a proxy) through the package's host/port/protocol settings.
 */
export function createStripeClient(
  config: Pick<Config, 'STRIPE_SECRET_KEY' | 'STRIPE_API_BASE'>,
  options: { maxNetworkRetries?: number; timeoutMs?: number } = {},
): Stripe | null {
  if (!config.STRIPE_SECRET_KEY) return null;
  return new Stripe(config.STRIPE_SECRET_KEY, {
    ...(config.STRIPE_API_BASE ? apiBaseSettings(config.STRIPE_API_BASE) : {}),
    maxNetworkRetries: options.maxNetworkRetries ?? 1,
    timeout: options.timeoutMs ?? 20_000,
    appInfo: { name: 'switchyard' },
  });
}

function apiBaseSettings(base: string): { host: string; port: number; protocol: 'http' | 'https' } {
  const url = new URL(base);
  // The package joins its own /v1/... paths to the host: a base path would be silently dropped.
  if (url.pathname !== '/' && url.pathname !== '') throw new Error(`STRIPE_API_BASE must have no path: ${base}`);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: Number(url.port || (protocol === 'http' ? 80 : 443)), protocol };
}

/** Checks a top-up amount before anything is sent to Stripe: whole cents, within the limits. */
export function validateTopUp(amountMicros: number): void {
  if (!Number.isSafeInteger(amountMicros) || amountMicros <= 0) throw new InvalidRequest('amount_usd must be a positive amount.', 'amount_usd');
  if (amountMicros % MICROS_PER_CENT !== 0) throw new InvalidRequest('amount_usd must be a whole number of cents, like "25.50".', 'amount_usd');
  if (amountMicros < TOP_UP_MIN_MICROS) throw new InvalidRequest(`The smallest top-up is $${formatUsd(TOP_UP_MIN_MICROS)}.`, 'amount_usd');
  if (amountMicros > TOP_UP_MAX_MICROS) throw new InvalidRequest(`The largest single top-up is $${formatUsd(TOP_UP_MAX_MICROS)}.`, 'amount_usd');
}

export interface TopUpSession {
  id: string;
  url: string;
  expiresAt: Date;
}

/** A Checkout Session in payment mode selling `amountMicros` of prepaid credit to `account`. */
export async function createCheckoutSession(
  stripe: Stripe,
  input: { account: { id: string; stripe_customer_id: string | null }; amountMicros: number; successUrl: string; cancelUrl: string },
): Promise<TopUpSession> {
  const { account, amountMicros } = input;
  validateTopUp(amountMicros);
  const metadata = { [METADATA_ACCOUNT]: account.id, [METADATA_AMOUNT]: String(amountMicros) };
  const description = `$${formatUsd(amountMicros)} of Switchyard credit for account ${account.id}`;
  let session: Stripe.Checkout.Session;
  try {
    session = await stripe.checkout.sessions.create({
      mode: 'payment',
      client_reference_id: account.id,
      // A known customer keeps one Stripe customer per account; otherwise Checkout creates one, which
      // the webhook links to the account (postpaid metering needs it).
      ...(account.stripe_customer_id ? { customer: account.stripe_customer_id } : { customer_creation: 'always' as const }),
      line_items: [
        {
          quantity: 1,
          price_data: { currency: 'usd', unit_amount: amountMicros / MICROS_PER_CENT, product_data: { name: 'Switchyard credit', description } },
        },
      ],
      metadata,
      payment_intent_data: { description, metadata },
      success_url: input.successUrl,
      cancel_url: input.cancelUrl,
    });
  } catch (error) {
    throw stripeFailure(error, 'create the checkout session');
  }
  if (!session.url) throw new ServiceUnavailable('Stripe created a checkout session without a payment page URL.');
  return { id: session.id, url: session.url, expiresAt: new Date(session.expires_at * 1000) };
}

/**
 * A Stripe error as one of ours: a URL Stripe refused is the caller's 400; anything else (Stripe
 * down, rate limited, a bad secret key) is a 503, since the client cannot fix it.
 */
export function stripeFailure(error: unknown, doing: string): ApiError {
  if (error instanceof Stripe.errors.StripeInvalidRequestError && (error.param === 'success_url' || error.param === 'cancel_url')) {
    return new InvalidRequest(`Stripe refused ${error.param}: ${error.message}`, error.param);
  }
  const detail = error instanceof Stripe.errors.StripeError ? `${error.type}${error.statusCode ? ` ${error.statusCode}` : ''}` : 'unexpected error';
  return new ServiceUnavailable(`Stripe could not ${doing} (${detail}); try again shortly.`);
}

/** The fields of a Checkout Session a top-up depends on, checked so a changed format fails loudly. */
export const CheckoutSessionSchema = z.object({
  id: z.string().min(1),
  object: z.literal('checkout.session'),
  mode: z.string(),
  payment_status: z.string(),
  amount_total: z.number().int().nonnegative().nullable(),
  currency: z.string().nullable(),
  client_reference_id: z.string().nullable(),
  customer: z.union([z.string(), z.object({ id: z.string() }).loose()]).nullable(),
  metadata: z.record(z.string(), z.string()).nullable(),
});
export type CheckoutSession = z.infer<typeof CheckoutSessionSchema>;

export type TopUp =
  | { kind: 'credit'; accountId: string; amountMicros: number; paidMicros: number; orderedMicros: number; customerId: string | null }
  | { kind: 'ignore'; reason: string; suspicious: boolean };

/**
 * What a completed session is worth. Not ours (no account in the metadata) or not paid yet → ignore.
 * The credit is the smaller of what was paid and what was ordered: never more than the customer
 * paid (a discount), never more than they bought (tax collected on top).
 */
export function topUpFromSession(session: CheckoutSession): TopUp {
  const accountId = session.metadata?.[METADATA_ACCOUNT];
  if (!accountId) return { kind: 'ignore', reason: 'not a Switchyard top-up', suspicious: false };
  if (session.mode !== 'payment') return { kind: 'ignore', reason: `mode ${session.mode}`, suspicious: true };
  if (session.payment_status !== 'paid') return { kind: 'ignore', reason: `payment_status ${session.payment_status}`, suspicious: false };
  if (session.client_reference_id !== accountId) {
    return { kind: 'ignore', reason: `client_reference_id ${session.client_reference_id} does not match the metadata's account ${accountId}`, suspicious: true };
  }
  if (session.currency !== 'usd') return { kind: 'ignore', reason: `currency ${session.currency}, expected usd`, suspicious: true };
  const ordered = session.metadata?.[METADATA_AMOUNT] ?? '';
  if (!/^\d{1,15}$/.test(ordered)) return { kind: 'ignore', reason: `unreadable ${METADATA_AMOUNT} "${ordered}"`, suspicious: true };
  if (session.amount_total === null) return { kind: 'ignore', reason: 'no amount_total', suspicious: true };
  const paidMicros = session.amount_total * MICROS_PER_CENT;
  const orderedMicros = Number(ordered);
  if (!Number.isSafeInteger(paidMicros)) return { kind: 'ignore', reason: `amount_total ${session.amount_total} out of range`, suspicious: true };
  const amountMicros = Math.min(paidMicros, orderedMicros);
  if (amountMicros <= 0) return { kind: 'ignore', reason: 'nothing was paid', suspicious: true };
  const customerId = typeof session.customer === 'string' ? session.customer : (session.customer?.id ?? null);
  return { kind: 'credit', accountId, amountMicros, paidMicros, orderedMicros, customerId };
}
