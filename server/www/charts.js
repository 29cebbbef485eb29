// Hand-written SVG charts (no library, no inline style: CSP style-src 'self').
const NS = 'http://www.w3.org/2000/svg';

export function svg(name, attrs = {}, children = []) {
  const el = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

// checks: oldest first, each {status, latency_ms}. A DOWN check is a red mark on the baseline.
export function sparkline(checks, { width = 120, height = 28 } = {}) {
  const withLatency = checks.filter((c) => c.latency_ms != null && c.status !== 'DOWN');
  const max = Math.max(1, ...withLatency.map((c) => c.latency_ms));
  const n = checks.length;
  const x = (i) => (n <= 1 ? width / 2 : 2 + (i * (width - 4)) / (n - 1));
  const y = (v) => height - 3 - (v / max) * (height - 6);
  const label = n === 0
    ? 'No checks yet'
    : `Latency of the last ${n} checks: ${Math.min(...withLatency.map((c) => c.latency_ms).concat([max]))} to ${max} ms` +
      `${checks.some((c) => c.status === 'DOWN') ? ', with failures' : ''}`;
  const root = svg('svg', { class: 'spark', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': label });
  root.append(svg('title', {}, [label]));
  const points = [];
  checks.forEach((c, i) => {
    if (c.latency_ms != null && c.status !== 'DOWN') points.push(`${x(i).toFixed(1)},${y(c.latency_ms).toFixed(1)}`);
  });
  if (points.length > 1) root.append(svg('polyline', { class: 'spark-line', points: points.join(' ') }));
  checks.forEach((c, i) => {
    if (c.status === 'DOWN') root.append(svg('rect', { class: 'mark-down', x: x(i) - 1.5, y: height - 6, width: 3, height: 6 }));
    else if (c.status === 'DEGRADED' && c.latency_ms != null) root.append(svg('circle', { class: 'mark-degraded', cx: x(i), cy: y(c.latency_ms), r: 2 }));
  });
  if (points.length === 1) {
    const [px, py] = points[0].split(',');
    root.append(svg('circle', { class: 'mark-up', cx: px, cy: py, r: 2 }));
  }
  return root;
}

function niceMax(v) {
  if (v <= 0) return 10;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 4, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function timeLabel(ms, spanMs) {
  const d = new Date(ms);
  if (spanMs <= 36 * 3600e3) return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return d.toLocaleDateString([], { month: 'short', day: 'numeric' });
}

// checks: newest or oldest first, each {checked_at, status, latency_ms}; fromMs..toMs the window.
// Checks are grouped in buckets (average latency; a bucket with a DOWN check gets a red mark).
// width: the pixels the chart gets (text keeps its size); the bucket count follows it.
export function latencyChart(checks, fromMs, toMs, { width = 800, height = 260 } = {}) {
  const buckets = Math.max(24, Math.min(160, Math.floor(width / 5)));
  const pad = { left: 56, right: 12, top: 12, bottom: 30 };
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const span = Math.max(1, toMs - fromMs);
  const bins = Array.from({ length: buckets }, () => ({ sum: 0, n: 0, down: 0, degraded: 0 }));
  for (const c of checks) {
    const t = Date.parse(c.checked_at);
    const i = Math.min(buckets - 1, Math.max(0, Math.floor(((t - fromMs) / span) * buckets)));
    if (c.status === 'DOWN') bins[i].down++;
    else if (c.latency_ms != null) {
      bins[i].sum += c.latency_ms;
      bins[i].n++;
      if (c.status === 'DEGRADED') bins[i].degraded++;
    }
  }
  const max = niceMax(Math.max(4, ...bins.filter((b) => b.n).map((b) => b.sum / b.n)));
  const X = (i) => pad.left + ((i + 0.5) * w) / buckets;
  const Y = (v) => pad.top + h - (v / max) * h;
  const downs = bins.reduce((a, b) => a + b.down, 0);
  const label = checks.length
    ? `Latency over the window: ${checks.length} checks, up to ${max} ms on the scale, ${downs} failed`
    : 'No checks in this window';
  const root = svg('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label });
  root.append(svg('title', {}, [label]));
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4;
    root.append(svg('line', { class: 'grid', x1: pad.left, x2: pad.left + w, y1: Y(v), y2: Y(v) }));
    const text = Number.isInteger(v) ? String(v) : v.toFixed(1);
    root.append(svg('text', { class: 'axis', x: pad.left - 6, y: Y(v) + 4, 'text-anchor': 'end' }, [`${text} ms`]));
  }
  const steps = width < 500 ? 2 : 4; // time labels that fit
  for (let k = 0; k <= steps; k++) {
    const t = fromMs + (span * k) / steps;
    root.append(svg('text', { class: 'axis', x: pad.left + (w * k) / steps, y: height - 8, 'text-anchor': k === 0 ? 'start' : k === steps ? 'end' : 'middle' }, [timeLabel(t, span)]));
  }
  let segment = [];
  const flush = () => {
    if (segment.length > 1) root.append(svg('polyline', { class: 'chart-line', points: segment.join(' ') }));
    else if (segment.length === 1) {
      const [px, py] = segment[0].split(',');
      root.append(svg('circle', { class: 'mark-up', cx: px, cy: py, r: 2.5 }));
    }
    segment = [];
  };
  bins.forEach((b, i) => {
    if (b.n) segment.push(`${X(i).toFixed(1)},${Y(b.sum / b.n).toFixed(1)}`);
    else if (b.down) flush();
  });
  flush();
  bins.forEach((b, i) => {
    if (b.down) root.append(svg('rect', { class: 'mark-down', x: X(i) - 2, y: pad.top + h - 8, width: 4, height: 8 }));
    if (b.degraded && b.n) root.append(svg('circle', { class: 'mark-degraded', cx: X(i), cy: Y(b.sum / b.n), r: 3 }));
  });
  root.append(svg('line', { class: 'axis-line', x1: pad.left, x2: pad.left + w, y1: pad.top + h, y2: pad.top + h }));
  return root;
}
