// Every endpoint at a glance: status, last latency, uptime 24 h, recent latency, all from one
// request per refresh (GET /api/v1/overview), whatever the number of endpoints.
import { api, items } from './api.js';
import { sparkline } from './charts.js';
import { STATUSES, announce, errorBox, fmtMs, fmtPercent, h, relTime, statusBadge } from './dom.js';

const TYPES = ['APIM', 'DOMAIN', 'TALEND'];
const SHOWN_MAX = 100; // rows drawn (DOM size); the filters reach every endpoint loaded
const LOAD_MAX = 10000; // the route's largest page
const SPARK_CHECKS = 30;
const REFRESH_MS = 15000;
const filters = { type: '', status: '', q: '' }; // kept while the tab lives

function select(id, label, options, value, onChange) {
  return h('div', { class: 'field' }, [
    h('label', { for: id }, [label]),
    h('select', { id, onchange: (e) => onChange(e.target.value) },
      [h('option', { value: '' }, ['All'])].concat(options.map((o) => h('option', { value: o, selected: o === value }, [o])))),
  ]);
}

// The latest checks of an overview item, oldest first, as the sparkline takes them.
function recentChecks(s) {
  return (s.recent_status || []).map((status, i) => ({ status, latency_ms: s.recent_latency_ms[i] }));
}

export function render(view) {
  let all = [];
  let total = 0;
  let timer = null;
  let alive = true;
  let announced = '';
  const summary = h('p', { class: 'summary', id: 'summary' });
  const updated = h('span', { class: 'updated', id: 'updated' });
  const body = h('tbody');
  const note = h('p', { class: 'note', hidden: true });
  const errorSlot = h('div');
  const auto = h('input', { type: 'checkbox', id: 'auto-refresh', checked: true, onchange: () => schedule() });
  const table = h('table', { class: 'endpoints', id: 'endpoints' }, [
    h('caption', { class: 'visually-hidden' }, ['Endpoints and their latest status']),
    h('thead', {}, [h('tr', {}, ['Status', 'Endpoint', 'Type', 'Latency', 'Uptime 24 h', 'Recent latency', 'Last check']
      .map((t) => h('th', { scope: 'col' }, [t])))]),
    body,
  ]);
  view.replaceChildren(
    h('div', { class: 'page-head' }, [h('h1', {}, ['Endpoints']), updated]),
    h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter endpoints', onsubmit: (e) => e.preventDefault() }, [
      select('filter-type', 'Type', TYPES, filters.type, (v) => { filters.type = v; draw(); }),
      select('filter-status', 'Status', STATUSES, filters.status, (v) => { filters.status = v; draw(); }),
      h('div', { class: 'field' }, [
        h('label', { for: 'filter-q' }, ['Name']),
        h('input', { id: 'filter-q', type: 'search', value: filters.q, autocomplete: 'off', oninput: (e) => { filters.q = e.target.value; draw(); } }),
      ]),
      h('div', { class: 'field check' }, [auto, h('label', { for: 'auto-refresh' }, ['Auto-refresh'])]),
      h('button', { type: 'button', class: 'secondary', onclick: () => load() }, ['Refresh now']),
    ]),
    summary, errorSlot, h('div', { class: 'table-wrap' }, [table]), note,
  );

  function row(s) {
    const error = s.error_message && s.status !== 'UP'
      ? h('div', { class: 'row-error' }, [s.error_message]) : null;
    return h('tr', { class: `row-${(s.status || 'UNKNOWN').toLowerCase()}`, 'data-id': s.endpoint_id, 'data-name': s.name }, [
      h('td', { 'data-label': 'Status' }, [statusBadge(s.status)]),
      h('td', { 'data-label': 'Endpoint', class: 'name' }, [
        h('a', { href: `#/endpoint/${s.endpoint_id}` }, [s.name]),
        s.enabled === false ? h('span', { class: 'tag' }, ['disabled']) : null,
        error,
      ]),
      h('td', { 'data-label': 'Type' }, [s.type]),
      h('td', { 'data-label': 'Latency', class: 'num' }, [fmtMs(s.latency_ms)]),
      h('td', { 'data-label': 'Uptime 24 h', class: 'num' }, [fmtPercent(s.uptime_24h_percent)]),
      h('td', { 'data-label': 'Recent latency' }, [sparkline(recentChecks(s))]),
      h('td', { 'data-label': 'Last check' }, [h('time', { datetime: s.last_check || '' }, [relTime(s.last_check)])]),
    ]);
  }

  function matching() {
    const q = filters.q.trim().toLowerCase();
    return all.filter((s) => (!filters.type || s.type === filters.type)
      && (!filters.status || (s.status || 'UNKNOWN') === filters.status)
      && (!q || s.name.toLowerCase().includes(q)));
  }

  function draw() {
    const shown = matching();
    const counts = STATUSES.map((st) => [st, all.filter((s) => (s.status || 'UNKNOWN') === st).length]);
    summary.replaceChildren(
      `${total} endpoint${total === 1 ? '' : 's'}: `,
      ...counts.flatMap(([st, n], i) => [i ? ', ' : '', h('span', { class: `count status-text-${st.toLowerCase()}` }, [`${n} ${st}`])]),
      shown.length !== all.length ? ` \u2014 ${shown.length} shown` : '',
      total > all.length ? ` (counts and filters over the first ${all.length})` : '',
    );
    // A refresh redraws the rows: keyboard focus stays on the same endpoint's link.
    const active = document.activeElement;
    const focusedId = body.contains(active) && active.closest('tr') ? active.closest('tr').dataset.id : null;
    body.replaceChildren(...(shown.length
      ? shown.slice(0, SHOWN_MAX).map(row)
      : [h('tr', {}, [h('td', { colspan: 7, class: 'empty' }, [all.length ? 'No endpoint matches the filters.' : 'No endpoints yet.'])])]));
    if (focusedId) {
      const link = body.querySelector(`tr[data-id="${focusedId}"] a`);
      if (link) link.focus();
    }
    note.hidden = shown.length <= SHOWN_MAX;
    note.textContent = `Showing the first ${SHOWN_MAX} of ${shown.length}: narrow the filters to see the others.`;
  }

  async function load() {
    let page;
    try {
      page = await api(`/overview?limit=${LOAD_MAX}&recent=${SPARK_CHECKS}`);
      errorSlot.replaceChildren();
    } catch (e) {
      if (alive) errorSlot.replaceChildren(errorBox(e));
      return;
    }
    if (!alive) return;
    all = items(page);
    total = page.total;
    draw();
    updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    view.setAttribute('data-loaded', 'true');
    view.dataset.loads = String(Number(view.dataset.loads || 0) + 1);
    if (summary.textContent !== announced) announce(summary.textContent); // only what changed
    announced = summary.textContent;
  }

  function schedule() {
    clearInterval(timer);
    timer = auto.checked ? setInterval(() => { if (!document.hidden) load(); }, REFRESH_MS) : null;
  }

  load();
  schedule();
  return () => { alive = false; clearInterval(timer); };
}
