// Spend per day as an inline SVG bar chart, drawn at the container's real width so its text stays
// readable on a phone, with the same numbers as a table for screen readers and keyboard users.
import { h, s } from './dom.js';
import { displayUsd, exactUsd, SCALE } from './money.js';

const HEIGHT = 240;
const MARGIN = { top: 16, right: 12, bottom: 32, left: 64 };
const MICRO = 10n ** BigInt(SCALE - 6);

const usdOfMicros = (micros) => displayUsd(BigInt(Math.round(micros)) * MICRO);

/** 1, 2 or 5 times a power of ten, at or above `value`: gridlines people can read. */
function niceCeiling(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

function shortDate(day) {
  const [, month, date] = day.split('-').map(Number);
  return new Date(Date.UTC(2000, month - 1, date)).toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

/**
 * days: [{day: "YYYY-MM-DD", cost: "0.0012", micros: number, jobs: number}] in date order, one per day of the range.
 * Micro-USD as numbers is exact here (far below 2^53); floats only place pixels.
 */
export function spendChart(days, width) {
  const plotWidth = Math.max(120, width - MARGIN.left - MARGIN.right);
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const peak = days.reduce((max, d) => Math.max(max, d.micros), 0);
  const top = niceCeiling(peak);
  const slot = plotWidth / Math.max(1, days.length);
  const barWidth = Math.max(1, Math.min(40, slot * 0.7));
  const y = (micros) => MARGIN.top + plotHeight - (micros / top) * plotHeight;
  const total = days.reduce((sum, d) => sum + d.micros, 0);
  const busiest = days.reduce((best, d) => (d.micros > (best?.micros ?? 0) ? d : best), null);
  const labelEvery = Math.max(1, Math.ceil(days.length / Math.max(2, Math.floor(plotWidth / 70))));

  const summary = busiest
    ? `Total ${usdOfMicros(total)} over ${days.length} days; highest ${usdOfMicros(busiest.micros)} on ${shortDate(busiest.day)}.`
    : `No spend in these ${days.length} days.`;

  return s(
    'svg',
    { class: 'chart', width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`, role: 'img', 'aria-labelledby': 'chart-title chart-desc' },
    s('title', { id: 'chart-title' }, 'Spend per day'),
    s('desc', { id: 'chart-desc' }, summary),
    [0, 0.25, 0.5, 0.75, 1].map((fraction) => {
      const value = top * fraction;
      return s(
        'g',
        { class: 'grid' },
        s('line', { x1: MARGIN.left, x2: MARGIN.left + plotWidth, y1: y(value), y2: y(value) }),
        s('text', { x: MARGIN.left - 6, y: y(value) + 4, 'text-anchor': 'end' }, peak === 0 && fraction > 0 ? '' : usdOfMicros(value)),
      );
    }),
    days.map((d, i) => {
      const x = MARGIN.left + slot * i + (slot - barWidth) / 2;
      const barTop = y(d.micros);
      return s(
        'g',
        { class: 'day', dataset: { day: d.day } },
        d.micros > 0
          ? s('rect', { class: 'bar', x, y: barTop, width: barWidth, height: Math.max(1, MARGIN.top + plotHeight - barTop), rx: 2 }, s('title', {}, `${shortDate(d.day)}: ${exactUsd(d.cost)}, ${d.jobs} job${d.jobs === 1 ? '' : 's'}`))
          : null,
        i % labelEvery === 0 || i === days.length - 1
          ? s('text', { class: 'axis', x: MARGIN.left + slot * i + slot / 2, y: HEIGHT - 10, 'text-anchor': 'middle' }, shortDate(d.day))
          : null,
      );
    }),
    s('line', { class: 'baseline', x1: MARGIN.left, x2: MARGIN.left + plotWidth, y1: y(0), y2: y(0) }),
  );
}

/** The chart's numbers as a table, folded away under a disclosure. */
export function spendTable(days) {
  return h(
    'details',
    { class: 'chart-data' },
    h('summary', {}, 'Show daily numbers'),
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'data-table' },
        h('caption', { class: 'visually-hidden' }, 'Spend per day'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Day'), h('th', { scope: 'col', class: 'num' }, 'Jobs'), h('th', { scope: 'col', class: 'num' }, 'Cost'))),
        h(
          'tbody',
          {},
          days
            .filter((d) => d.jobs > 0)
            .map((d) => h('tr', {}, h('th', { scope: 'row' }, d.day), h('td', { class: 'num' }, String(d.jobs)), h('td', { class: 'num' }, exactUsd(d.cost)))),
        ),
      ),
    ),
  );
}
