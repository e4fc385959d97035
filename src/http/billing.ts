// /v1/billing: Checkout top-ups and Stripe's webhook. Mounted before the app's JSON parser, because
// the webhook's signature covers the exact bytes Stripe sent; the checkout route parses its own
// small JSON body after the API key is checked.
import express, { Router } from 'express';
import type { Kysely } from 'kysely';
import type Stripe from 'stripe';
import { z } from 'zod';
import { UsdAmount, type KeyCache } from '../billing/keys';
import { formatUsd } from '../catalog/price';
import type { Config } from '../config';
import type { Database } from '../db/schema';
import { InvalidRequest, NotFound, ServiceUnavailable, UnsupportedMediaType } from '../errors';
import { lazy } from '../lazy';
import type { Logger } from '../log';
import { keyOf, requireKey } from './auth';

/** Stripe's events are a few KB; anything near this is not from Stripe. */
const WEBHOOK_BODY_LIMIT = '512kb';

const RedirectUrl = z
  .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
  .max(2000);

const CheckoutInput = z.strictObject({
  amount_usd: UsdAmount,
  success_url: RedirectUrl.optional(),
  cancel_url: RedirectUrl.optional(),
});

export interface BillingDeps {
  config: Config;
  db: Kysely<Database>;
  logger: Logger;
  keys: KeyCache;
  /** Defaults to a client built from the config (STRIPE_SECRET_KEY, STRIPE_API_BASE). */
  stripe?: Stripe | null;
}

export function billingRouter(deps: BillingDeps): Router {
  const router = Router();
  // Stripe's SDK (about 20 MB resident) loads on first use, and only where Stripe is configured.
  const stripeClient = lazy(async () => {
    if (deps.stripe !== undefined) return deps.stripe;
    return deps.config.STRIPE_SECRET_KEY ? (await import('../billing/stripe')).createStripeClient(deps.config) : null;
  });

  router.post('/webhook', express.raw({ type: ['application/json', 'application/*+json'], limit: WEBHOOK_BODY_LIMIT, inflate: false }), async (req, res) => {
    const secret = deps.config.STRIPE_WEBHOOK_SECRET;
    if (!secret) throw new ServiceUnavailable('Stripe webhooks are not configured on this server (STRIPE_WEBHOOK_SECRET).');
    if (!Buffer.isBuffer(req.body)) throw new UnsupportedMediaType('A Stripe webhook body is application/json.');
    const { applyStripeEvent, verifyStripeEvent } = await import('../billing/stripe-webhook');
    const event = verifyStripeEvent(req.body, req.get('stripe-signature'), secret);
    const outcome = await applyStripeEvent(deps.db, deps.logger, event);
    res.json({ received: true, event_id: event.id, outcome });
  });

  router.post('/checkout', requireKey(deps.keys), express.json({ limit: '16kb', strict: true }), async (req, res) => {
    const stripe = await stripeClient();
    if (!stripe) throw new ServiceUnavailable('Card top-ups are not available: Stripe is not configured on this server.');
    if (!req.is('application/json')) throw new UnsupportedMediaType('Send the checkout request as application/json.');
    const input = CheckoutInput.parse(req.body);
    const accountId = keyOf(res).accountId;
    const account = await deps.db.selectFrom('accounts').select(['id', 'stripe_customer_id']).where('id', '=', accountId).executeTakeFirst();
    if (!account) throw new NotFound(`No account "${accountId}".`);
    const urls = redirectUrls(deps.config, input);
    const { createCheckoutSession } = await import('../billing/stripe');
    const session = await createCheckoutSession(stripe, { account, amountMicros: input.amount_usd, ...urls });
    res.json({
      id: session.id,
      object: 'checkout.session',
      url: session.url,
      amount_usd: formatUsd(input.amount_usd),
      expires_at: session.expiresAt.toISOString(),
    });
  });

  return router;
}

/** The caller's redirect URLs, else pages under PUBLIC_URL; Stripe fills in {CHECKOUT_SESSION_ID}. */
function redirectUrls(config: Config, input: z.infer<typeof CheckoutInput>): { successUrl: string; cancelUrl: string } {
  const base = config.PUBLIC_URL?.replace(/\/+$/, '');
  const successUrl = input.success_url ?? (base ? `${base}/?checkout=success&session_id={CHECKOUT_SESSION_ID}` : null);
  const cancelUrl = input.cancel_url ?? (base ? `${base}/?checkout=cancelled` : null);
  if (!successUrl) throw new InvalidRequest('success_url is required: this server has no PUBLIC_URL to return to.', 'success_url');
  if (!cancelUrl) throw new InvalidRequest('cancel_url is required: this server has no PUBLIC_URL to return to.', 'cancel_url');
  return { successUrl, cancelUrl };
}
