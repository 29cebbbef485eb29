// Connectors: the state of each, a connectivity test and actions for the roles that may run them.
import { ApiError, api, items } from './api.js';
import { announce, confirmDialog, errorBox, fmtTime, h } from './dom.js';

const ROLE_PERMISSION = { reader: 'read', operator: 'operate', admin: 'admin' };

// Running any action (or a test) takes the operator role; an action may ask for more.
function allowed(me, minRole) {
  const p = me.permissions || {};
  const perm = ROLE_PERMISSION[String(minRole || 'operator').toLowerCase()] || 'admin';
  return Boolean(p.operate && p[perm]);
}

function stateOf(c) {
  if (c.configured === false) return ['unconfigured', 'Not configured'];
  if (!c.enabled) return ['disabled', 'Disabled'];
  return ['enabled', 'Enabled'];
}

function resultText(value) {
  return h('pre', { class: 'result' }, [JSON.stringify(value, null, 2)]);
}

// A JSON object with a placeholder for each required parameter of the action's schema.
function paramsTemplate(schema) {
  const out = {};
  const props = (schema && schema.properties) || {};
  for (const name of (schema && schema.required) || []) {
    const t = props[name] && props[name].type;
    out[name] = t === 'integer' || t === 'number' ? 0 : t === 'boolean' ? false : t === 'object' ? {} : t === 'array' ? [] : '';
  }
  return JSON.stringify(out, null, 2);
}

export function render(view, { me }) {
  let alive = true;
  const list = h('div', { class: 'cards', id: 'connectors' });
  const errorSlot = h('div');
  view.replaceChildren(h('div', { class: 'page-head' }, [h('h1', {}, ['Connectors'])]), errorSlot, list);

  async function run(c, action, out) {
    // Parameters only for an action that takes some.
    const props = Object.keys((action.params_schema && action.params_schema.properties) || {});
    const area = props.length ? h('textarea', { id: 'action-params', rows: 6, spellcheck: 'false' }, [paramsTemplate(action.params_schema)]) : null;
    const extra = area ? h('div', { class: 'field' }, [
      h('label', { for: 'action-params' }, ['Parameters (JSON object)']), area,
      h('p', { class: 'note' }, [`Accepted: ${props.join(', ')}`]),
    ]) : null;
    const ok = await confirmDialog({
      title: `Run ${action.name}?`,
      text: `${action.description || ''} This runs against ${c.name} now and is recorded in the audit log.`.trim(),
      confirmLabel: `Run ${action.name}`,
      extra,
      danger: true,
    });
    if (!ok) return;
    let params;
    try {
      params = area ? JSON.parse(area.value || '{}') : {};
    } catch (e) {
      out.replaceChildren(errorBox(new Error(`parameters: ${e.message}`)));
      return;
    }
    out.replaceChildren('Running\u2026');
    try {
      const r = await api(`/connectors/${encodeURIComponent(c.name)}/actions/${encodeURIComponent(action.name)}`, { method: 'POST', body: params });
      out.replaceChildren(h('p', { class: 'ok' }, [`${action.name}: done`]), resultText(r));
      announce(`${action.name} done`);
    } catch (e) {
      out.replaceChildren(errorBox(e));
    }
  }

  async function test(c, out) {
    out.replaceChildren('Testing\u2026');
    try {
      const r = await api(`/connectors/${encodeURIComponent(c.name)}/test`, { method: 'POST' });
      out.replaceChildren(h('p', { class: 'ok' }, ['Test passed']), resultText(r));
      announce(`${c.name}: test passed`);
    } catch (e) {
      out.replaceChildren(errorBox(e));
    }
  }

  async function card(c) {
    const [cls, label] = stateOf(c);
    const out = h('div', { class: 'card-out', 'aria-live': 'polite' });
    const actionsSlot = h('div', { class: 'actions' });
    const el = h('article', { class: `card connector connector-${cls}`, 'data-name': c.name, 'aria-labelledby': `c-${c.name}` }, [
      h('div', { class: 'card-head' }, [
        h('h2', { id: `c-${c.name}` }, [c.name]),
        h('span', { class: `badge state-${cls}` }, [label]),
      ]),
      c.description ? h('p', { class: 'muted' }, [c.description]) : null,
      h('dl', { class: 'facts small' }, [
        h('dt', {}, ['Base URL']), h('dd', {}, [c.base_url || '\u2014']),
        h('dt', {}, ['Credentials']), h('dd', {}, [c.credentials_set ? 'set' : 'not set']),
        h('dt', {}, ['Updated']), h('dd', {}, [fmtTime(c.updated_at)]),
      ]),
      actionsSlot, out,
    ]);
    if (me.permissions && me.permissions.operate && c.enabled) {
      actionsSlot.append(h('button', { type: 'button', class: 'secondary', onclick: () => test(c, out) }, ['Test connection']));
    }
    let actions = c.actions;
    if (!actions) {
      try {
        actions = items(await api(`/connectors/${encodeURIComponent(c.name)}/actions`));
      } catch {
        actions = [];
      }
    }
    for (const a of actions) {
      if (c.enabled && allowed(me, a.min_role)) {
        actionsSlot.append(h('button', { type: 'button', class: 'action', 'data-action': a.name, title: a.description || '', onclick: () => run(c, a, out) }, [`Run ${a.name}\u2026`]));
      }
    }
    return el;
  }

  (async () => {
    try {
      const connectors = items(await api('/connectors'));
      const cards = await Promise.all(connectors.map(card));
      if (!alive) return;
      list.replaceChildren(...(cards.length ? cards : [h('p', {}, ['No connectors.'])]));
    } catch (e) {
      if (!alive) return;
      errorSlot.replaceChildren(e instanceof ApiError && e.status === 404
        ? h('p', { class: 'note' }, ['This server does not serve connectors yet.'])
        : errorBox(e));
    }
    view.setAttribute('data-loaded', 'true');
  })();
  return () => { alive = false; };
}
