// The page's entry: a hash router over three views (#/ catalog, #/compare, #/usage) and the compare
// tray that follows the reader across them. Each view renders into <main> and returns its cleanup.
import { catalogView } from './catalog.js';
import { compareView } from './compare.js';
import { h, replace } from './dom.js';
import { compareSelection, MAX_COMPARE, onCompareChange, setCompareSelection } from './state.js';
import { usageView } from './usage.js';

const VIEWS = { '': catalogView, compare: compareView, usage: usageView };

let cleanup = null;
let firstRender = true;

function currentRoute() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path = '', query = ''] = raw.split('?');
  return { path, params: new URLSearchParams(query) };
}

function render() {
  const { path, params } = currentRoute();
  const main = document.getElementById('main');
  if (cleanup) cleanup();
  cleanup = null;
  for (const link of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('[data-route]'))) {
    if (link.dataset.route === path) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const view = VIEWS[path];
  if (view) cleanup = view(main, params) ?? null;
  else {
    document.title = 'Not found — Switchyard';
    replace(main, h('h1', { tabindex: '-1' }, 'Page not found'), h('p', {}, h('a', { href: '#/' }, 'Go to the catalog')));
  }
  document.body.dataset.view = view ? path || 'catalog' : 'missing';
  // A route change moves focus to the new heading so keyboard and screen-reader users start there.
  if (!firstRender) main.querySelector('h1')?.focus();
  firstRender = false;
  renderTray();
}

function renderTray() {
  const tray = document.getElementById('compare-tray');
  const picked = compareSelection();
  // The tray belongs to browsing: hidden on the comparison itself and on the usage page.
  const browsing = currentRoute().path === '';
  tray.hidden = picked.length === 0 || !browsing;
  document.body.classList.toggle('has-tray', !tray.hidden);
  if (tray.hidden) return;
  const ready = picked.length >= 2;
  replace(
    tray,
    h(
      'div',
      { class: 'tray-inner', role: 'region', 'aria-label': 'Models to compare' },
      h('p', { class: 'tray-text' }, h('strong', {}, `${picked.length} of ${MAX_COMPARE} picked: `), picked.map((m) => m.name).join(', ')),
      h(
        'div',
        { class: 'tray-actions' },
        ready
          ? h('a', { class: 'button', href: `#/compare?ids=${picked.map((m) => encodeURIComponent(m.id)).join(',')}` }, 'Compare')
          : h('span', { class: 'hint' }, 'Pick one more to compare'),
        h(
          'button',
          {
            type: 'button',
            class: 'button secondary',
            onclick: () => {
              setCompareSelection([]);
              for (const box of /** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll('[data-compare]'))) box.checked = false;
            },
          },
          'Clear',
        ),
      ),
    ),
  );
}

// The skip link's "#main" would read as a route here, so it moves focus itself.
document.querySelector('.skip-link')?.addEventListener('click', (event) => {
  event.preventDefault();
  document.getElementById('main')?.focus();
});
onCompareChange(renderTray);
window.addEventListener('hashchange', render);
render();
