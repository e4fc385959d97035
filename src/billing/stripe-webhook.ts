// Stripe's webhook: verify the signature on the raw body, then apply the event exactly once.
// Two guards make the credit exactly-once however Stripe retries: the ledger entry carries the
// Checkout Session id as its external id (unique), so no event for the same session — a replay, a
// concurrent delivery, or checkout.session.async_payment_succeeded after checkout.session.completed —
// can credit twice; and the event id is recorded in stripe_events once it has been applied, so a
// replayed event is answered without touching the ledger. The event is recorded only after it was
// applied: a crash in between makes Stripe retry, and the retry finds the credit already there.
import type { Kysely } from 'kysely';
import Stripe from 'stripe';
import type { Database } from '../db/schema';
import { InvalidRequest, NotFound } from '../errors';
import type { Logger } from '../log';
import { credit } from './ledger';
import { CheckoutSessionSchema, topUpFromSession } from './stripe';

/** Events that may carry a paid top-up; the second only matters for delayed payment methods. */
export const TOP_UP_EVENTS = ['checkout.session.completed', 'checkout.session.async_payment_succeeded'] as const;

export type WebhookOutcome = 'credited' | 'already_credited' | 'duplicate' | 'ignored';

/** The event, if the signature over these exact bytes is Stripe's (and at most 5 minutes old). */
export function verifyStripeEvent(rawBody: Buffer, signature: string | undefined, secret: string): Stripe.Event {
  if (!signature) throw new InvalidRequest('Missing Stripe-Signature header.');
  try {
    return Stripe.webhooks.constructEvent(rawBody, signature, secret);
  } catch (error) {
    if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
      throw new InvalidRequest('Invalid Stripe signature: the body was not signed with this endpoint\'s secret, was changed, or is too old.');
    }
    throw new InvalidRequest('Unreadable Stripe event.');
  }
}

export async function applyStripeEvent(db: Kysely<Database>, logger: Logger, event: Stripe.Event): Promise<WebhookOutcome> {
  const seen = await db.selectFrom('stripe_events').select('id').where('id', '=', event.id).executeTakeFirst();
  if (seen) return 'duplicate';
  const outcome = (TOP_UP_EVENTS as readonly string[]).includes(event.type) ? await applyTopUp(db, logger, event) : 'ignored';
  await db.insertInto('stripe_events').values({ id: event.id, type: event.type }).onConflict((oc) => oc.column('id').doNothing()).execute();
  return outcome;
}

async function applyTopUp(db: Kysely<Database>, logger: Logger, event: Stripe.Event): Promise<WebhookOutcome> {
  const parsed = CheckoutSessionSchema.safeParse(event.data?.object);
  if (!parsed.success) {
    // Retrying cannot fix a format we do not read; say so loudly and let Stripe stop.
    logger.error({ eventId: event.id, issues: parsed.error.issues.slice(0, 3) }, 'stripe webhook: unreadable checkout session');
    return 'ignored';
  }
  const session = parsed.data;
  const topUp = topUpFromSession(session);
  if (topUp.kind === 'ignore') {
    const log = { eventId: event.id, sessionId: session.id, reason: topUp.reason };
    if (topUp.suspicious) logger.error(log, 'stripe webhook: checkout session not credited');
    else logger.info(log, 'stripe webhook: checkout session ignored');
    return 'ignored';
  }
  if (topUp.paidMicros !== topUp.orderedMicros) {
    logger.warn({ sessionId: session.id, paidMicros: topUp.paidMicros, orderedMicros: topUp.orderedMicros }, 'stripe webhook: amount paid differs from the amount ordered; crediting the smaller');
  }
  let applied: boolean;
  try {
    ({ applied } = await credit(db, {
      accountId: topUp.accountId,
      amountMicros: topUp.amountMicros,
      kind: 'top_up',
      reason: `Stripe Checkout top-up ${session.id}`,
      externalId: session.id,
    }));
  } catch (error) {
    if (isUniqueViolation(error)) {
      applied = false; // a concurrent delivery for the same session committed first
    } else if (error instanceof NotFound) {
      logger.error({ eventId: event.id, sessionId: session.id, accountId: topUp.accountId }, 'stripe webhook: paid top-up for an unknown account');
      return 'ignored';
    } else {
      throw error;
    }
  }
  if (topUp.customerId) await linkCustomer(db, topUp.accountId, topUp.customerId);
  if (applied) logger.info({ eventId: event.id, sessionId: session.id, accountId: topUp.accountId, amountMicros: topUp.amountMicros }, 'stripe top-up credited');
  return applied ? 'credited' : 'already_credited';
}

/** The first Stripe customer seen for an account becomes its customer: postpaid meter events name it. */
async function linkCustomer(db: Kysely<Database>, accountId: string, customerId: string): Promise<void> {
  await db.updateTable('accounts').set({ stripe_customer_id: customerId }).where('id', '=', accountId).where('stripe_customer_id', 'is', null).execute();
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}
