// The usage view (#/usage): paste a key, see its account's balance, spend per day, a breakdown by task,
// model and provider over a chosen range, download the events as CSV, and top up when Stripe is set up.
import { api, forgetKey, queryString, request, storedKey, storeKey } from './api.js';
import { spendChart, spendTable } from './chart.js';
import { announce, h, replace } from './dom.js';
import { exactUsd, toMicros } from './money.js';
import { TASK_LABELS } from './model-card.js';
import { pageConfig, providerName, refreshProviders } from './state.js';
import { topUpPanel } from './top-up.js';

const DAY_MS = 86_400_000;
const DEFAULT_DAYS = 30;
const CSV_PAGE = 1000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const isoDay = (time) => new Date(time).toISOString().slice(0, 10);
const dayAfter = (day) => isoDay(Date.parse(`${day}T00:00:00Z`) + DAY_MS);

/** Every day from start to end inclusive, as "YYYY-MM-DD" (UTC, the way the API groups days). */
function daysBetween(start, end) {
  const days = [];
  for (let t = Date.parse(`${start}T00:00:00Z`); t <= Date.parse(`${end}T00:00:00Z`); t += DAY_MS) days.push(isoDay(t));
  return days;
}

function rangeFrom(params) {
  const end = DATE.test(params.get('end') ?? '') ? params.get('end') : isoDay(Date.now());
  const start = DATE.test(params.get('start') ?? '') ? params.get('start') : isoDay(Date.parse(`${end}T00:00:00Z`) - (DEFAULT_DAYS - 1) * DAY_MS);
  return { start, end };
}

export function usageView(main, params) {
  document.title = 'Usage — Switchyard';
  const dashboard = h('div', { class: 'dashboard' });
  const cleanups = [];
  replace(main, h('h1', { tabindex: '-1' }, 'Usage and balance'), keyPanel(() => showDashboard()), dashboard);
  if (params.get('checkout') === 'success') {
    main.insertBefore(h('p', { class: 'notice', role: 'status' }, 'Thank you: your payment went through. The credit appears here as soon as Stripe confirms it.'), dashboard);
  }

  function showDashboard() {
    while (cleanups.length) cleanups.pop()();
    const key = storedKey();
    replace(dashboard);
    if (key) renderDashboard(dashboard, key, rangeFrom(params), cleanups);
  }
  showDashboard();
  return () => {
    while (cleanups.length) cleanups.pop()();
  };
}

function keyPanel(onChange) {
  const panel = h('section', { class: 'panel key-panel', 'aria-labelledby': 'key-heading' });
  const render = () => {
    const key = storedKey();
    if (key) {
      replace(
        panel,
        h('h2', { id: 'key-heading' }, 'API key'),
        h('p', {}, 'Showing usage for key ', h('code', {}, `${key.slice(0, 10)}…`), '. It is kept in this browser tab only and sent nowhere but this server.'),
        h('button', { type: 'button', class: 'button secondary', onclick: () => (forgetKey(), render(), onChange(), announce('Key forgotten.')) }, 'Forget this key'),
      );
      return;
    }
    const input = h('input', { type: 'password', id: 'api-key', name: 'api-key', autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': 'key-hint' });
    replace(
      panel,
      h('h2', { id: 'key-heading' }, 'API key'),
      h(
        'form',
        {
          class: 'key-form',
          onsubmit: (event) => {
            event.preventDefault();
            const key = input.value.trim();
            if (!key) return;
            storeKey(key);
            render();
            onChange();
          },
        },
        h('div', { class: 'field' }, h('label', { for: 'api-key' }, 'Paste an API key'), input),
        h('button', { type: 'submit', class: 'button' }, 'Show usage'),
      ),
      h('p', { class: 'hint', id: 'key-hint' }, 'The key stays in this tab\u2019s session storage (gone when you close the tab) and is sent only to this server.'),
    );
  };
  render();
  return panel;
}

function renderDashboard(container, key, range, cleanups) {
  const status = h('p', { role: 'status', class: 'result-status' }, 'Loading usage…');
  const summary = h('div', { class: 'summary-grid' });
  const chartBox = h('div', { class: 'chart-box' });
  const breakdown = h('div', { class: 'breakdown-grid' });
  const topUp = h('div');
  const csvStatus = h('span', { role: 'status', class: 'hint' });

  const rangeForm = h(
    'form',
    {
      class: 'range-form',
      onsubmit: (event) => {
        event.preventDefault();
        const start = event.target.elements.start.value;
        const end = event.target.elements.end.value;
        if (!DATE.test(start) || !DATE.test(end) || start > end) {
          status.textContent = 'Pick a start date on or before the end date.';
          return;
        }
        history.replaceState(null, '', `#/usage${queryString({ start, end })}`);
        replace(container);
        while (cleanups.length) cleanups.pop()();
        renderDashboard(container, key, { start, end }, cleanups);
      },
    },
    h('div', { class: 'field' }, h('label', { for: 'range-start' }, 'From'), h('input', { type: 'date', id: 'range-start', name: 'start', value: range.start, required: true })),
    h('div', { class: 'field' }, h('label', { for: 'range-end' }, 'To'), h('input', { type: 'date', id: 'range-end', name: 'end', value: range.end, required: true })),
    h('button', { type: 'submit', class: 'button' }, 'Apply'),
    h('button', { type: 'button', class: 'button secondary', onclick: (e) => downloadCsv(key, range, e.currentTarget, csvStatus) }, 'Download CSV'),
    csvStatus,
  );

  replace(
    container,
    h('section', { 'aria-labelledby': 'balance-heading' }, h('h2', { id: 'balance-heading' }, 'Balance'), summary, topUp),
    h('section', { 'aria-labelledby': 'range-heading' }, h('h2', { id: 'range-heading' }, 'Spend'), rangeForm, status, chartBox),
    h('section', { 'aria-labelledby': 'breakdown-heading' }, h('h2', { id: 'breakdown-heading' }, 'Breakdown'), breakdown),
  );

  const usage = (group_by) => api(`/v1/usage${queryString({ start: range.start, end: dayAfter(range.end), group_by })}`, { key });
  Promise.all([api('/v1/balance', { key }), usage('day'), usage('task'), usage('model'), usage('provider'), pageConfig(), refreshProviders().catch(() => undefined)])
    .then(([balance, byDay, byTask, byModel, byProvider, config]) => {
      replace(
        summary,
        stat('Available', exactUsd(balance.available_usd), 'available'),
        stat('Balance', exactUsd(balance.balance_usd), 'balance'),
        stat('On hold for running jobs', exactUsd(balance.held_usd), 'held'),
        stat(`Spent ${range.start} to ${range.end}`, exactUsd(byDay.total_cost_usd), 'spent'),
        stat('Jobs in range', new Intl.NumberFormat('en-US').format(byDay.total_jobs), 'jobs'),
      );
      if (config.stripe_enabled) replace(topUp, topUpPanel(key));
      const perDay = new Map(byDay.data.map((row) => [row.day, row]));
      const days = daysBetween(range.start, range.end).map((day) => ({ day, micros: toMicros(perDay.get(day)?.cost_usd ?? '0'), jobs: perDay.get(day)?.jobs ?? 0, cost: perDay.get(day)?.cost_usd ?? '0' }));
      const holder = h('div', { class: 'chart-holder' });
      replace(chartBox, holder, spendTable(days));
      let drawnWidth = 0;
      const draw = () => {
        const width = Math.max(280, holder.clientWidth);
        if (width === drawnWidth) return;
        drawnWidth = width;
        replace(holder, spendChart(days, width));
      };
      draw();
      const observer = new ResizeObserver(draw);
      observer.observe(holder);
      cleanups.push(() => observer.disconnect());
      replace(
        breakdown,
        breakdownTable('By task', 'task', byTask, (v) => TASK_LABELS[v] ?? v),
        breakdownTable('By model', 'model', byModel, (v) => h('code', {}, v)),
        breakdownTable('By provider', 'provider', byProvider, providerName),
      );
      status.textContent = byDay.total_jobs === 0 ? 'No jobs in this range yet.' : '';
      announce(`Usage loaded: ${exactUsd(byDay.total_cost_usd)} over ${byDay.total_jobs} jobs.`);
    })
    .catch((error) => {
      status.textContent = error.status === 401 ? `This key was not accepted: ${error.message} Forget it and paste another.` : `Could not load usage: ${error.message}`;
      status.setAttribute('role', 'alert');
    });
}

function stat(label, value, name) {
  return h('div', { class: 'stat', dataset: { stat: name } }, h('span', { class: 'stat-label' }, label), h('span', { class: 'stat-value' }, value));
}

function breakdownTable(title, group, usage, label) {
  const rows = [...usage.data].sort((a, b) => toMicros(b.cost_usd) - toMicros(a.cost_usd) || b.jobs - a.jobs);
  return h(
    'div',
    { class: 'table-scroll breakdown', dataset: { group } },
    h(
      'table',
      { class: 'data-table' },
      h('caption', {}, title),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, title.replace('By ', '').replace(/^./, (c) => c.toUpperCase())), h('th', { scope: 'col', class: 'num' }, 'Jobs'), h('th', { scope: 'col', class: 'num' }, 'Cost'))),
      h(
        'tbody',
        {},
        rows.length
          ? rows.map((row) => h('tr', {}, h('th', { scope: 'row' }, label(row[group])), h('td', { class: 'num' }, String(row.jobs)), h('td', { class: 'num' }, exactUsd(row.cost_usd))))
          : h('tr', {}, h('td', { colspan: '3', class: 'muted' }, 'No jobs')),
      ),
    ),
  );
}

/** Every usage event of the range as one CSV file, following x-next-cursor page by page. */
async function downloadCsv(key, range, button, status) {
  button.disabled = true;
  status.textContent = 'Preparing CSV…';
  try {
    const parts = [];
    let cursor = '';
    do {
      const response = await request(`/v1/usage/events${queryString({ format: 'csv', limit: CSV_PAGE, start: range.start, end: dayAfter(range.end), cursor })}`, { key, accept: 'text/csv' });
      parts.push(await response.text());
      cursor = response.headers.get('x-next-cursor') ?? '';
    } while (cursor);
    const url = URL.createObjectURL(new Blob(parts, { type: 'text/csv' }));
    const link = h('a', { href: url, download: `switchyard-usage-${range.start}-to-${range.end}.csv`, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    status.textContent = 'CSV downloaded.';
  } catch (error) {
    status.textContent = `Could not download the CSV: ${error.message}`;
  } finally {
    button.disabled = false;
  }
}
