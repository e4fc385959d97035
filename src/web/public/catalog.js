// The catalog view (#/): search and filters mapped one to one onto GET /v1/models, pages of cards with
// "Show more" following next_cursor, each card's typical-job cost from /v1/models/compare, and the
// providers' live health polled while the view is on screen.
import { api, queryString } from './api.js';
import { announce, h, replace } from './dom.js';
import { healthBadge } from './health.js';
import { exactUsd, parseAmount } from './money.js';
import { modelCard, TASK_LABELS } from './model-card.js';
import { onProviders, refreshProviders } from './state.js';

const PAGE_SIZE = 24;
const HEALTH_POLL_MS = 15_000;
const COMPARE_BATCH = 6;
const FILTERS = ['q', 'task', 'provider', 'language', 'max_price', 'min_context', 'open_weights', 'sort'];
const SORTS = [['name', 'Name'], ['price', 'Price (typical job)'], ['context', 'Context length'], ['latency', 'Latency']];
const CONTEXTS = [['', 'Any'], ['8000', '8K+'], ['32000', '32K+'], ['128000', '128K+'], ['200000', '200K+'], ['1000000', '1M+']];
const LANGUAGES = ['en', 'de', 'fr', 'es', 'it', 'pt', 'nl', 'pl', 'sv', 'ru', 'uk', 'tr', 'ar', 'hi', 'ja', 'ko', 'zh'];
const USD_AMOUNT = /^\d{1,9}(\.\d{1,6})?$/;
/** Filters folded under "Filters and sorting" on a phone. */
const SECONDARY = ['provider', 'language', 'max_price', 'min_context', 'open_weights'];

/** Typical-job costs by model id, kept across renders: the catalog does not change while the page is open. */
const typicalCosts = new Map();

export function catalogView(main, params) {
  document.title = 'Model catalog — Switchyard';
  const filters = Object.fromEntries(FILTERS.map((name) => [name, params.get(name) ?? '']));
  if (!filters.sort) filters.sort = 'name';
  let cursor = null;
  let generation = 0;
  let shown = 0;

  const list = h('ul', { class: 'model-grid', 'aria-label': 'Models' });
  const status = h('p', { class: 'result-status', role: 'status' });
  const more = h('button', { type: 'button', class: 'button secondary', hidden: true, onclick: () => load(true) }, 'Show more models');
  const providerStrip = h('div', { class: 'provider-strip' });

  const setFilter = (name, value) => {
    filters[name] = value;
    const visible = Object.fromEntries(Object.entries(filters).filter(([k, v]) => !(k === 'sort' && v === 'name')));
    history.replaceState(null, '', `#/${queryString(visible)}`);
    load(false);
  };

  const form = filterForm(filters, setFilter);
  replace(
    main,
    h('h1', { tabindex: '-1' }, 'Model catalog'),
    h('p', { class: 'lede' }, 'Every model Switchyard can route to, with each provider\u2019s list price and live health. One API key, billed per job.'),
    providerStrip,
    form,
    status,
    list,
    h('div', { class: 'more-row' }, more),
  );

  async function load(append) {
    const mine = ++generation;
    const query = { ...filters, open_weights: filters.open_weights ? 'true' : '', sort: filters.sort, limit: PAGE_SIZE, cursor: append ? cursor : '' };
    list.setAttribute('aria-busy', 'true');
    if (!append) status.textContent = 'Loading models…';
    try {
      const page = await api(`/v1/models${queryString(query)}`);
      if (mine !== generation) return;
      if (!append) {
        list.replaceChildren();
        shown = 0;
      }
      const cards = page.data.map((model, i) => modelCard(model, shown + i));
      list.append(...cards);
      shown += page.data.length;
      cursor = page.next_cursor;
      more.hidden = !page.has_more;
      const message = shown === 0 ? 'No models match these filters.' : `Showing ${shown} model${shown === 1 ? '' : 's'}${page.has_more ? ' — more below' : ''}.`;
      status.textContent = message;
      if (!append) announce(message);
      fillTypicalCosts(page.data.map((m) => m.id), list).catch(() => undefined);
    } catch (error) {
      if (mine !== generation) return;
      status.textContent = `Could not load models: ${error.message}`;
    } finally {
      if (mine === generation) list.removeAttribute('aria-busy');
    }
  }

  const stopListening = onProviders((providers) => {
    renderProviderStrip(providerStrip, providers);
    fillProviderOptions(form.querySelector('#filter-provider'), providers, filters.provider);
  });
  const poll = () => {
    if (document.visibilityState === 'visible') refreshProviders().catch(() => undefined);
  };
  poll();
  const timer = setInterval(poll, HEALTH_POLL_MS);
  load(false);

  return () => {
    generation++;
    clearInterval(timer);
    stopListening();
  };
}

function filterForm(filters, setFilter) {
  let debounce = null;
  const search = h('input', { type: 'search', id: 'filter-q', value: filters.q, placeholder: 'Name, author or capability', autocomplete: 'off' });
  search.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => setFilter('q', search.value.trim()), 250);
  });

  const taskGroup = h(
    'fieldset',
    { class: 'task-filter' },
    h('legend', {}, 'Task'),
    h(
      'div',
      { class: 'chips' },
      [['', 'All'], ...Object.entries(TASK_LABELS)].map(([value, label]) =>
        h('label', { class: 'chip' }, h('input', { type: 'radio', name: 'task', value, checked: filters.task === value, onchange: () => setFilter('task', value) }), label),
      ),
    ),
  );

  // Options arrive with the providers list (see fillProviderOptions); until then the current filter stays selectable.
  const provider = h(
    'select',
    { id: 'filter-provider', onchange: (e) => setFilter('provider', e.target.value) },
    h('option', { value: '' }, 'Any provider'),
    filters.provider ? h('option', { value: filters.provider, selected: true }, filters.provider) : null,
  );

  const names = new Intl.DisplayNames(['en'], { type: 'language' });
  const language = h('input', { id: 'filter-language', list: 'language-options', value: filters.language, autocomplete: 'off', placeholder: 'e.g. de' });
  language.addEventListener('change', () => setFilter('language', language.value.trim()));

  const priceError = h('span', { id: 'price-error', class: 'field-error', role: 'status' });
  const price = h('input', { id: 'filter-max-price', inputmode: 'decimal', value: filters.max_price, placeholder: 'e.g. 0.002', 'aria-describedby': 'price-error' });
  price.addEventListener('change', () => {
    const value = price.value.trim();
    const valid = value === '' || USD_AMOUNT.test(value);
    price.setAttribute('aria-invalid', String(!valid));
    priceError.textContent = valid ? '' : 'Enter a USD amount like 0.002 (at most 6 decimals).';
    if (valid) setFilter('max_price', value);
  });

  const select = (id, options, name) =>
    h('select', { id, onchange: (e) => setFilter(name, e.target.value) }, options.map(([value, label]) => h('option', { value, selected: filters[name] === value }, label)));

  const openWeights = h('input', { type: 'checkbox', id: 'filter-open', checked: filters.open_weights === 'true', onchange: (e) => setFilter('open_weights', e.target.checked ? 'true' : '') });

  const field = (id, label, control, hint) => {
    if (hint) control.setAttribute('aria-describedby', [hint[0], control.getAttribute('aria-describedby')].filter(Boolean).join(' '));
    return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('span', { class: 'hint', id: hint[0] }, hint[1]) : null);
  };

  return h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter models', onsubmit: (e) => e.preventDefault() },
    h('div', { class: 'field field-search' }, h('label', { for: 'filter-q' }, 'Search models'), search),
    taskGroup,
    h(
      'details',
      // Open on wide screens or when one of these filters is set; folded on a phone so the models come first.
      { class: 'more-filters', open: matchMedia('(min-width: 700px)').matches || SECONDARY.some((f) => filters[f]) || filters.sort !== 'name' },
      h('summary', {}, 'Filters and sorting'),
      h(
        'div',
        { class: 'filter-grid' },
        field('filter-provider', 'Provider', provider),
        field('filter-language', 'Language', language, ['language-hint', 'Language tag']),
        h('datalist', { id: 'language-options' }, LANGUAGES.map((code) => h('option', { value: code }, names.of(code)))),
        field('filter-max-price', 'Max price (USD)', price, ['price-hint', 'Per typical job']),
        field('filter-context', 'Context', select('filter-context', CONTEXTS, 'min_context'), ['context-hint', 'Chat models']),
        field('filter-sort', 'Sort by', select('filter-sort', SORTS, 'sort')),
        h('div', { class: 'field field-check' }, h('label', { for: 'filter-open' }, openWeights, ' Open weights only')),
      ),
      priceError,
    ),
    h('p', { class: 'actions' }, h('button', { type: 'button', class: 'text-button', onclick: () => (location.hash = '#/') }, 'Clear all filters')),
  );
}

function fillProviderOptions(select, providers, current) {
  if (!select || select.dataset.filled) return;
  select.dataset.filled = 'true';
  const options = [...providers.values()].sort((a, b) => a.name.localeCompare(b.name));
  replace(
    select,
    h('option', { value: '' }, 'Any provider'),
    options.map((p) => h('option', { value: p.id, selected: p.id === current }, p.name)),
  );
}

function renderProviderStrip(strip, providers) {
  const all = [...providers.values()];
  const live = all.filter((p) => p.enabled).sort((a, b) => a.name.localeCompare(b.name));
  const off = all.filter((p) => !p.enabled);
  replace(
    strip,
    h('h2', { class: 'strip-title' }, 'Provider status'),
    live.length
      ? h('ul', { class: 'provider-list', 'aria-label': 'Configured providers' }, live.map((p) => h('li', { dataset: { provider: p.id } }, h('span', { class: 'provider-name' }, p.name), ' ', healthBadge(true, p.health))))
      : h('p', { class: 'muted' }, 'No provider is configured on this gateway yet.'),
    off.length ? h('p', { class: 'muted small' }, `${off.length} more provider${off.length === 1 ? '' : 's'} listed but not configured here.`) : null,
    h('p', { class: 'muted small' }, `Updated ${new Date().toLocaleTimeString()}`),
  );
}

/** Each card's cheapest typical-job cost, from the compare endpoint (it takes 2 to 6 ids per call). */
async function fillTypicalCosts(ids, list) {
  const missing = ids.filter((id) => !typicalCosts.has(id));
  const batches = [];
  for (let i = 0; i < missing.length; i += COMPARE_BATCH) batches.push(missing.slice(i, i + COMPARE_BATCH));
  await Promise.all(
    batches.map(async (batch) => {
      // A batch of one borrows a neighbour, since a comparison needs two models.
      const partner = ids.find((id) => id !== batch[0]);
      const query = batch.length === 1 && partner ? [batch[0], partner] : batch;
      if (query.length < 2) return;
      const comparison = await api(`/v1/models/compare${queryString({ ids: query.join(',') })}`);
      for (const row of comparison.data) typicalCosts.set(row.id, row);
    }),
  );
  for (const card of list.querySelectorAll('.model-card')) {
    const row = typicalCosts.get(card.dataset.modelId);
    const cell = card.querySelector('.typical-cost');
    if (!row || !cell || cell.dataset.filled) continue;
    cell.dataset.filled = 'true';
    replace(
      cell,
      !row.cheapest_offering
        ? 'not sold'
        : parseAmount(row.cheapest_offering.estimated_cost_usd) === 0n
          ? h('span', { class: 'price' }, 'Free')
          : h('span', { class: 'price' }, exactUsd(row.cheapest_offering.estimated_cost_usd)),
      h('span', { class: 'unit' }, ` for ${row.sample_job}`),
    );
  }
}
