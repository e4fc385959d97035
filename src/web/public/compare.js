// The compare view (#/compare?ids=a,b): 2 to 4 models side by side, the cost of each task's sample job
// at its cheapest offering exactly as GET /v1/models/compare computes it, and every offering's prices.
import { api, queryString } from './api.js';
import { h, replace } from './dom.js';
import { healthBadge } from './health.js';
import { exactUsd, parseAmount, priceLines } from './money.js';
import { languageSummary, TASK_LABELS } from './model-card.js';
import { compareSelection, MAX_COMPARE, providerName, refreshProviders, setCompareSelection } from './state.js';

const count = new Intl.NumberFormat('en-US');

export function compareView(main, params) {
  document.title = 'Compare models — Switchyard';
  const fromUrl = (params.get('ids') ?? '').split(',').map((id) => id.trim()).filter(Boolean);
  const ids = [...new Set(fromUrl.length ? fromUrl : compareSelection().map((m) => m.id))].slice(0, MAX_COMPARE);
  const body = h('div', { class: 'compare-body' }, h('p', { role: 'status' }, ids.length >= 2 ? 'Loading comparison…' : ''));
  replace(main, h('h1', { tabindex: '-1' }, 'Compare models'), body);

  if (ids.length < 2) {
    replace(
      body,
      h('p', {}, `Pick 2 to ${MAX_COMPARE} models in the catalog with their "Compare" box, then come back here.`),
      h('p', {}, h('a', { href: '#/', class: 'button' }, 'Go to the catalog')),
    );
    return undefined;
  }

  let cancelled = false;
  Promise.all([
    api(`/v1/models/compare${queryString({ ids: ids.join(',') })}`),
    Promise.all(ids.map((id) => api(`/v1/models/${id.split('/').map(encodeURIComponent).join('/')}`))),
    refreshProviders().catch(() => undefined),
  ])
    .then(([comparison, models]) => {
      if (cancelled) return;
      setCompareSelection(models.map((m) => ({ id: m.id, name: m.name })));
      replace(body, comparisonTable(comparison, models));
    })
    .catch((error) => {
      if (!cancelled) replace(body, h('p', { class: 'error', role: 'alert' }, `Could not compare these models: ${error.message}`));
    });
  return () => {
    cancelled = true;
  };
}

function removeFromComparison(id) {
  const rest = compareSelection().filter((m) => m.id !== id);
  setCompareSelection(rest);
  location.hash = `#/compare${queryString({ ids: rest.map((m) => m.id).join(',') })}`;
}

function humanField(name) {
  const text = name.replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function capabilityValue(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (typeof value === 'number') return count.format(value);
  if (Array.isArray(value)) return value.length > 8 ? `${value.slice(0, 8).join(', ')} +${value.length - 8} more` : value.join(', ') || '—';
  return String(value);
}

/** The lowest sample-job cost among models whose sample job is the same (comparing a page with a minute means nothing). */
function cheapestIds(rows) {
  const groups = new Map();
  for (const row of rows) {
    if (!row.cheapest_offering) continue;
    const group = groups.get(row.sample_job) ?? [];
    group.push({ id: row.id, cost: parseAmount(row.cheapest_offering.estimated_cost_usd) });
    groups.set(row.sample_job, group);
  }
  const ids = new Set();
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const min = group.reduce((low, entry) => (entry.cost < low ? entry.cost : low), group[0].cost);
    for (const entry of group) if (entry.cost === min) ids.add(entry.id);
  }
  return ids;
}

function offeringsList(model) {
  if (model.offerings.length === 0) return 'No provider';
  return h(
    'ul',
    { class: 'compare-offerings' },
    model.offerings.map((o) =>
      h(
        'li',
        {},
        h('strong', {}, providerName(o.provider)),
        ' ',
        healthBadge(o.enabled, { ...o.health, p50_latency_ms: o.p50_latency_ms }),
        h('ul', { class: 'price-lines' }, priceLines(o.pricing).map((line) => h('li', {}, `${line.label} `, h('span', { class: 'price' }, line.price), ` / ${line.block}`))),
      ),
    ),
  );
}

function comparisonTable(comparison, models) {
  const rows = comparison.data;
  const byId = new Map(models.map((m) => [m.id, m]));
  const lowest = cheapestIds(rows);
  const row = (label, cell, attrs = {}) => h('tr', attrs, h('th', { scope: 'row' }, label), rows.map((r) => h('td', {}, cell(r))));

  const costRow = h(
    'tr',
    { class: 'cost-row' },
    h('th', { scope: 'row' }, 'Estimated cost of the sample job'),
    rows.map((r) =>
      h(
        'td',
        {},
        r.cheapest_offering
          ? [h('span', { class: 'price big', dataset: { costFor: r.id } }, exactUsd(r.cheapest_offering.estimated_cost_usd)), lowest.has(r.id) ? h('span', { class: 'badge badge-ok lowest' }, 'Lowest') : null]
          : h('span', { dataset: { costFor: r.id } }, 'Not sold'),
      ),
    ),
  );

  return h(
    'div',
    {},
    h('p', { class: 'lede' }, 'The sample job is what one typical job of each task costs at the cheapest provider\u2019s list price, before any markup.'),
    h(
      'div',
      { class: 'table-scroll compare-scroll', tabindex: '0', role: 'region', 'aria-label': 'Comparison table, scrolls sideways' },
      h(
        'table',
        { class: 'compare-table' },
        h('caption', { class: 'visually-hidden' }, `Comparison of ${rows.map((r) => r.name).join(', ')}`),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('td', {}),
            rows.map((r) =>
              h(
                'th',
                { scope: 'col' },
                h('span', { class: 'compare-name' }, r.name),
                h('code', { class: 'model-id' }, r.id),
                h('button', { type: 'button', class: 'text-button', 'aria-label': `Remove ${r.name} from the comparison`, onclick: () => removeFromComparison(r.id) }, 'Remove'),
              ),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          row('Sample job', (r) => r.sample_job),
          costRow,
          row('Cheapest provider', (r) => (r.cheapest_offering ? providerName(r.cheapest_offering.provider) : '—')),
          row('All offerings', (r) => offeringsList(byId.get(r.id))),
          row('Task', (r) => TASK_LABELS[r.task] ?? r.task),
          row('Author', (r) => r.owned_by),
          row('License', (r) => r.license),
          row('Open weights', (r) => (r.open_weights ? 'Yes' : 'No')),
          row('Languages', (r) => languageSummary(r.languages)),
          comparison.capability_fields.map((field) => row(humanField(field), (r) => capabilityValue(r.capabilities[field]))),
        ),
      ),
    ),
    h('p', {}, h('a', { href: '#/', class: 'text-link' }, '\u2190 Back to the catalog')),
  );
}
