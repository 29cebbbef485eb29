// One endpoint: latency over 24 h / 7 d / 30 d, uptime and percentiles, recent failures, check now.
import { api, items } from './api.js';
import { latencyChart } from './charts.js';
import { announce, confirmDialog, errorBox, fmtMs, fmtPercent, fmtTime, h, statusBadge } from './dom.js';

const WINDOWS = { '24h': 24 * 3600e3, '7d': 7 * 24 * 3600e3, '30d': 30 * 24 * 3600e3 };
const HISTORY_MAX = 10000;

export function render(view, { id, me }) {
  let win = '24h';
  let alive = true;
  const head = h('div', { class: 'page-head' });
  const facts = h('dl', { class: 'facts' });
  const errorSlot = h('div');
  const stats = h('dl', { class: 'stats', id: 'uptime-stats' });
  const chartSlot = h('div', { class: 'chart-wrap', id: 'latency-chart' });
  const chartNote = h('p', { class: 'note', hidden: true });
  const failures = h('tbody');
  const checkResult = h('p', { class: 'note', id: 'check-result', 'aria-live': 'polite' });
  const buttons = Object.keys(WINDOWS).map((w) => h('button', {
    type: 'button', class: 'toggle', 'aria-pressed': String(w === win), 'data-window': w,
    onclick: () => { win = w; buttons.forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.window === w))); loadWindow(); },
  }, [w]));

  view.replaceChildren(
    h('p', { class: 'crumbs' }, [h('a', { href: '#/' }, ['\u2190 All endpoints'])]),
    head, errorSlot, facts,
    h('section', { 'aria-labelledby': 'latency-title' }, [
      h('div', { class: 'section-head' }, [
        h('h2', { id: 'latency-title' }, ['Latency']),
        h('div', { class: 'toggles', role: 'group', 'aria-label': 'Window' }, buttons),
      ]),
      stats, chartSlot, chartNote,
    ]),
    h('section', { 'aria-labelledby': 'failures-title' }, [
      h('h2', { id: 'failures-title' }, ['Recent failures']),
      h('div', { class: 'table-wrap' }, [h('table', { class: 'failures', id: 'failures' }, [
        h('thead', {}, [h('tr', {}, ['When', 'Status', 'HTTP', 'Latency', 'Error'].map((t) => h('th', { scope: 'col' }, [t])))]),
        failures,
      ])]),
    ]),
  );

  async function checkNow(ep) {
    const ok = await confirmDialog({
      title: 'Check now?',
      text: `Run a check of \u201c${ep.name}\u201d now. The result is recorded in its history and in the audit log.`,
      confirmLabel: 'Check now',
    });
    if (!ok) return;
    checkResult.textContent = 'Checking\u2026';
    try {
      const r = await api(`/endpoints/${id}/check`, { method: 'POST' });
      checkResult.replaceChildren('Result: ', statusBadge(r.status), ` ${fmtMs(r.latency_ms)}`, r.error_message ? ` \u2014 ${r.error_message}` : '');
      announce(`Check finished: ${r.status}`);
      loadHeader();
      loadWindow();
    } catch (e) {
      checkResult.replaceChildren(errorBox(e));
    }
  }

  async function loadHeader() {
    try {
      // The newest check is the endpoint's latest status (the store keeps both in step); the
      // whole /status list would be megabytes at 10,000 endpoints.
      const [ep, newest] = await Promise.all([api(`/endpoints/${id}`), api(`/endpoints/${id}/history?limit=1`)]);
      if (!alive) return;
      const c = items(newest)[0];
      const s = c ? { status: c.status, last_check: c.checked_at, latency_ms: c.latency_ms, error_message: c.error_message } : {};
      head.replaceChildren(h('h1', {}, [ep.name, ' ', statusBadge(s.status)]));
      if (me.permissions && me.permissions.operate) {
        head.append(h('button', { type: 'button', id: 'check-now', onclick: () => checkNow(ep) }, ['Check now']));
      }
      facts.replaceChildren(
        ...[['URL', ep.url], ['Type', ep.type], ['Enabled', ep.enabled ? 'yes' : 'no'],
          ['Interval', `${ep.check_interval} s`], ['Last check', fmtTime(s.last_check)],
          ['Last latency', fmtMs(s.latency_ms)], ['Last error', s.error_message || '\u2014']]
          .flatMap(([k, v]) => [h('dt', {}, [k]), h('dd', {}, [v])]),
      );
      head.after(checkResult);
    } catch (e) {
      errorSlot.replaceChildren(errorBox(e));
    }
  }

  async function loadWindow() {
    const to = Date.now();
    const from = to - WINDOWS[win];
    const current = win;
    try {
      const [history, uptime] = await Promise.all([
        api(`/endpoints/${id}/history?from=${encodeURIComponent(new Date(from).toISOString())}&limit=${HISTORY_MAX}`),
        api(`/endpoints/${id}/uptime?window=${win}`),
      ]);
      if (!alive || current !== win) return;
      const checks = items(history);
      stats.replaceChildren(...[['Uptime', fmtPercent(uptime.uptime_percent)], ['Checks', String(uptime.checks)],
        ['Down', String(uptime.down)], ['p50', fmtMs(uptime.p50_ms)], ['p95', fmtMs(uptime.p95_ms)], ['p99', fmtMs(uptime.p99_ms)]]
        .map(([k, v]) => h('div', {}, [h('dt', {}, [k]), h('dd', {}, [v])])));
      const width = Math.max(320, Math.round(chartSlot.clientWidth - 16) || 800);
      const height = width < 600 ? 220 : 260;
      chartSlot.replaceChildren(latencyChart(checks, checks.length >= HISTORY_MAX ? Date.parse(checks[checks.length - 1].checked_at) : from, to, { width, height }));
      chartNote.hidden = checks.length < HISTORY_MAX;
      chartNote.textContent = `The chart shows the latest ${HISTORY_MAX} checks of the window.`;
      const bad = checks.filter((c) => c.status === 'DOWN' || c.status === 'DEGRADED').slice(0, 20);
      failures.replaceChildren(...(bad.length ? bad.map((c) => h('tr', { class: `row-${c.status.toLowerCase()}` }, [
        h('td', { 'data-label': 'When' }, [h('time', { datetime: c.checked_at }, [fmtTime(c.checked_at)])]),
        h('td', { 'data-label': 'Status' }, [statusBadge(c.status)]),
        h('td', { 'data-label': 'HTTP' }, [c.status_code == null ? '\u2014' : String(c.status_code)]),
        h('td', { 'data-label': 'Latency', class: 'num' }, [fmtMs(c.latency_ms)]),
        h('td', { 'data-label': 'Error', class: 'error-text' }, [c.error_message || '\u2014']),
      ])) : [h('tr', {}, [h('td', { colspan: 5, class: 'empty' }, [`No failures in the last ${win}.`])])]));
      errorSlot.replaceChildren();
      view.setAttribute('data-loaded', 'true');
    } catch (e) {
      errorSlot.replaceChildren(errorBox(e));
    }
  }

  loadHeader();
  loadWindow();
  return () => { alive = false; };
}
