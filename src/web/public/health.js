// Health badges: the dispatcher's live view of a provider or an offering, in words (the colour only
// repeats what the text says, for readers who cannot tell the colours apart).
import { h } from './dom.js';

const STATUS = {
  healthy: { label: 'Healthy', tone: 'ok' },
  unknown: { label: 'Available', tone: 'neutral', hint: 'no traffic measured yet' },
  degraded: { label: 'Degraded', tone: 'warn' },
  cooldown: { label: 'Rate limited', tone: 'warn' },
  probing: { label: 'Recovering', tone: 'warn' },
  down: { label: 'Down', tone: 'bad' },
};

/** What a badge says for an `enabled` flag and a health view ({status, p50_latency_ms, cooldown_until, disabled_reason}). */
export function healthSummary(enabled, health) {
  if (!enabled) {
    return { label: 'Not configured', tone: 'off', hint: health?.disabled_reason ?? 'the gateway has no key for this provider' };
  }
  const known = STATUS[health?.status] ?? { label: 'Unknown', tone: 'neutral' };
  const hints = [];
  if (known.hint) hints.push(known.hint);
  if (health?.p50_latency_ms != null) hints.push(`median latency ${health.p50_latency_ms} ms`);
  if (health?.cooldown_until) hints.push(`until ${new Date(health.cooldown_until).toLocaleTimeString()}`);
  return { label: known.label, tone: known.tone, hint: hints.join(', ') };
}

export function healthBadge(enabled, health) {
  const summary = healthSummary(enabled, health);
  return h(
    'span',
    { class: `badge badge-${summary.tone}`, title: summary.hint || null, dataset: { status: summary.label } },
    h('span', { class: 'dot', 'aria-hidden': 'true' }),
    summary.label,
  );
}

/** The measured median latency, shown next to a badge when there is one. */
export function latencyNote(ms) {
  return ms == null ? null : h('span', { class: 'latency' }, `${ms} ms median`);
}
