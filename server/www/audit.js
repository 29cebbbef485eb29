// The audit log (admins): newest first, filters, paging by cursor, chain verification.
import { api, items } from './api.js';
import { errorBox, fmtTime, h } from './dom.js';

const PAGE = 50;

export function render(view) {
  let alive = true;
  let cursor = null;
  const f = { action: '', user_id: '', result: '' };
  const body = h('tbody');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true, onclick: () => load(false) }, ['Load more']);
  const errorSlot = h('div');
  const verifyOut = h('p', { class: 'note', 'aria-live': 'polite' });

  const input = (id, label, key) => h('div', { class: 'field' }, [
    h('label', { for: id }, [label]),
    h('input', { id, type: 'search', autocomplete: 'off', onchange: (e) => { f[key] = e.target.value.trim(); load(true); } }),
  ]);
  view.replaceChildren(
    h('div', { class: 'page-head' }, [h('h1', {}, ['Audit log']),
      h('button', { type: 'button', class: 'secondary', onclick: verify }, ['Verify chain'])]),
    verifyOut,
    h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter the audit log', onsubmit: (e) => { e.preventDefault(); load(true); } }, [
      input('audit-action', 'Action', 'action'),
      input('audit-user', 'User id', 'user_id'),
      h('div', { class: 'field' }, [h('label', { for: 'audit-result' }, ['Result']),
        h('select', { id: 'audit-result', onchange: (e) => { f.result = e.target.value; load(true); } },
          ['', 'SUCCESS', 'FAILURE'].map((v) => h('option', { value: v }, [v || 'All'])))]),
    ]),
    errorSlot,
    h('div', { class: 'table-wrap' }, [h('table', { class: 'audit', id: 'audit' }, [
      h('thead', {}, [h('tr', {}, ['When', 'User', 'Action', 'Target', 'Result', 'Error'].map((t) => h('th', { scope: 'col' }, [t])))]),
      body,
    ])]),
    more,
  );

  async function verify() {
    verifyOut.textContent = 'Verifying\u2026';
    try {
      const r = await api('/audit/verify');
      verifyOut.textContent = r.ok
        ? `Chain intact: ${r.rows_checked} rows checked.`
        : `Chain broken at row ${r.broken_seq} (${r.reason}).`;
    } catch (e) {
      verifyOut.replaceChildren(errorBox(e));
    }
  }

  async function load(reset) {
    if (reset) cursor = null;
    const q = new URLSearchParams({ limit: String(PAGE) });
    for (const [k, v] of Object.entries(f)) if (v) q.set(k, v);
    if (cursor) q.set('cursor', cursor);
    try {
      const page = await api(`/audit?${q}`);
      if (!alive) return;
      const rows = items(page).map((r) => h('tr', { class: r.result === 'FAILURE' ? 'row-failure' : '', 'data-action': r.action }, [
        h('td', { 'data-label': 'When' }, [h('time', { datetime: r.created_at }, [fmtTime(r.created_at)])]),
        h('td', { 'data-label': 'User' }, [r.user_email || r.user_id]),
        h('td', { 'data-label': 'Action' }, [h('code', {}, [r.action])]),
        h('td', { 'data-label': 'Target', class: 'target' }, [r.target]),
        h('td', { 'data-label': 'Result' }, [h('span', { class: `badge result-${r.result.toLowerCase()}` }, [r.result])]),
        h('td', { 'data-label': 'Error', class: 'error-text' }, [r.error_message || '']),
      ]));
      if (reset) body.replaceChildren(...rows);
      else body.append(...rows);
      if (reset && !rows.length) body.replaceChildren(h('tr', {}, [h('td', { colspan: 6, class: 'empty' }, ['No rows.'])]));
      cursor = page.next_cursor || null;
      more.hidden = !cursor;
      errorSlot.replaceChildren();
    } catch (e) {
      errorSlot.replaceChildren(errorBox(e));
    }
    view.setAttribute('data-loaded', 'true');
  }

  load(true);
  return () => { alive = false; };
}
