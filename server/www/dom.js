// Small DOM helpers shared by the views.

export function h(tag, attrs = {}, children = []) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of [].concat(children)) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export const STATUSES = ['UP', 'DEGRADED', 'DOWN', 'UNKNOWN'];
const SYMBOL = { UP: '\u25CF', DEGRADED: '\u25B2', DOWN: '\u2716', UNKNOWN: '?' };

// The colour is never alone: a symbol and the word say it too.
export function statusBadge(status) {
  const s = STATUSES.includes(status) ? status : 'UNKNOWN';
  return h('span', { class: `badge status-${s.toLowerCase()}`, 'data-status': s }, [
    h('span', { class: 'badge-symbol', 'aria-hidden': 'true' }, [SYMBOL[s]]),
    ` ${s}`,
  ]);
}

export function fmtMs(v) {
  return v === null || v === undefined ? '\u2014' : `${Math.round(v)} ms`;
}

export function fmtPercent(v) {
  return v === null || v === undefined ? '\u2014' : `${v >= 99.995 ? '100' : v.toFixed(2)} %`;
}

export function fmtTime(iso) {
  if (!iso) return '\u2014';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function relTime(iso) {
  if (!iso) return 'never';
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (s < 5) return 'just now';
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 129600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export function announce(text) {
  const el = document.getElementById('announce');
  el.textContent = '';
  setTimeout(() => { el.textContent = text; }, 50);
}

export function errorBox(error) {
  return h('p', { class: 'error', role: 'alert' }, [error.message || String(error)]);
}

// A modal confirmation (native <dialog>: focus trap, Esc cancels). extra: an element shown in it.
// Resolves true when confirmed.
export function confirmDialog({ title, text, confirmLabel = 'Confirm', extra = null, danger = false }) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  const slot = document.getElementById('confirm-extra');
  slot.replaceChildren(...(extra ? [extra] : []));
  const ok = document.getElementById('confirm-ok');
  ok.textContent = confirmLabel;
  ok.className = danger ? 'danger' : '';
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.showModal();
    document.getElementById('confirm-cancel').focus();
  });
}
