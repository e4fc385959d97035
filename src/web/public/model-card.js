// One model in the catalog grid: what it is, what it can do, who sells it at what price, and whether
// those providers are healthy right now.
import { h } from './dom.js';
import { healthBadge, latencyNote } from './health.js';
import { priceLines } from './money.js';
import { compareSelection, MAX_COMPARE, providerName, toggleCompare } from './state.js';

export const TASK_LABELS = {
  chat: 'Chat',
  ocr: 'OCR',
  transcription: 'Transcription',
  speech: 'Speech',
  translation: 'Translation',
  moderation: 'Moderation',
};

const count = new Intl.NumberFormat('en-US');

/** 131072 → "131K", 1048576 → "1M": the way context windows are quoted. */
export function shortTokens(n) {
  if (n >= 1_000_000) return `${Math.round(n / 100_000) / 10}M`;
  if (n >= 1_000) return `${Math.round(n / 1_000)}K`;
  return String(n);
}

export function languageSummary(languages) {
  if (languages.includes('*')) return 'Many languages';
  if (languages.length <= 4) return languages.join(', ');
  return `${languages.slice(0, 3).join(', ')} +${languages.length - 3} more`;
}

/** The two or three facts that matter most when choosing a model of this task. */
function keyFacts(model) {
  const c = model.capabilities;
  const facts = [];
  if (model.task === 'chat') {
    facts.push(['Context', `${shortTokens(c.context_length)} tokens`], ['Max output', `${shortTokens(c.max_output_tokens)} tokens`]);
    const features = ['tools', 'vision', 'json_mode', 'reasoning'].filter((f) => c[f]).map((f) => f.replace('_', ' '));
    if (features.length) facts.push(['Features', features.join(', ')]);
  } else if (model.task === 'ocr') {
    facts.push(['Formats', c.input_formats.join(', ')], ['Max pages', count.format(c.max_pages)]);
  } else if (model.task === 'transcription') {
    facts.push(['Max length', `${Math.round(c.max_duration_seconds / 60)} min`]);
    const features = ['timestamps', 'diarization'].filter((f) => c[f]);
    if (features.length) facts.push(['Features', features.join(', ')]);
  } else if (model.task === 'speech') {
    facts.push(['Voices', count.format(c.voices.length)], ['Formats', c.output_formats.join(', ')]);
  } else if (model.task === 'translation') {
    facts.push(['Targets', `${count.format(c.target_languages.length)} languages`]);
  } else if (model.task === 'moderation') {
    facts.push(['Categories', count.format(c.categories.length)]);
  }
  facts.push(['Languages', languageSummary(model.languages)]);
  return facts;
}

function priceList(pricing) {
  const lines = priceLines(pricing);
  if (lines.length === 0) return h('p', { class: 'muted' }, 'No list price');
  if (lines.every((line) => line.price === '$0')) return h('p', { class: 'price-lines' }, h('span', { class: 'price' }, 'Free'), h('span', { class: 'unit' }, ' (runs locally)'));
  return h(
    'ul',
    { class: 'price-lines' },
    lines.map((line) =>
      h(
        'li',
        { dataset: { unit: line.unit } },
        lines.length > 1 ? h('span', { class: 'price-label' }, `${line.label} `) : null,
        h('span', { class: 'price' }, line.price),
        h('span', { class: 'unit' }, ` / ${line.block}`),
      ),
    ),
  );
}

/** A list rather than a table: provider names are long and price lines many, which a phone-width table cannot hold. */
function offeringsList(model) {
  if (model.offerings.length === 0) return h('p', { class: 'muted' }, 'No provider sells this model at the moment.');
  return h(
    'div',
    { class: 'offerings' },
    h('h3', { class: 'offerings-title' }, model.offerings.length === 1 ? 'Provider' : `${model.offerings.length} providers`),
    h(
      'ul',
      { class: 'offering-list' },
      model.offerings.map((o) =>
        h(
          'li',
          { class: 'offering', dataset: { provider: o.provider } },
          h(
            'div',
            { class: 'offering-head' },
            h('span', { class: 'provider-name' }, providerName(o.provider)),
            h('span', { class: 'offering-status' }, latencyNote(o.p50_latency_ms), healthBadge(o.enabled, { ...o.health, p50_latency_ms: o.p50_latency_ms })),
          ),
          priceList(o.pricing),
        ),
      ),
    ),
  );
}

function compareToggle(model) {
  const picked = compareSelection().some((m) => m.id === model.id);
  const input = h('input', { type: 'checkbox', checked: picked, dataset: { compare: model.id } });
  input.addEventListener('change', () => {
    if (!toggleCompare(model, input.checked)) {
      input.checked = false;
      hint.textContent = `You can compare up to ${MAX_COMPARE} models; remove one first.`;
      return;
    }
    hint.textContent = '';
  });
  const hint = h('span', { class: 'field-error', role: 'status' });
  return h('div', { class: 'compare-toggle' }, h('label', {}, input, ' Compare'), hint);
}

/** The card; `typical` is filled in later with the cost of the task's sample job (see catalog.js). */
export function modelCard(model, index) {
  const headingId = `model-${index}`;
  return h(
    'li',
    { class: 'model-card', dataset: { modelId: model.id, task: model.task } },
    h(
      'article',
      { 'aria-labelledby': headingId },
      h(
        'div',
        { class: 'card-head' },
        h('h2', { id: headingId }, model.name),
        h('p', { class: 'model-id' }, h('code', {}, model.id)),
        h(
          'ul',
          { class: 'tags', 'aria-label': 'Tags' },
          h('li', { class: `tag tag-${model.task}` }, TASK_LABELS[model.task] ?? model.task),
          model.open_weights ? h('li', { class: 'tag tag-open' }, 'Open weights') : null,
          h('li', { class: 'tag' }, model.license),
        ),
      ),
      h('p', { class: 'description' }, model.description),
      h(
        'dl',
        { class: 'facts' },
        keyFacts(model).map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value))),
        h('div', { class: 'typical' }, h('dt', {}, 'Typical job'), h('dd', { class: 'typical-cost' }, '…')),
      ),
      offeringsList(model),
      compareToggle(model),
    ),
  );
}
