// Browser half of dashboard_e2e (driven by test_dashboard.py, which starts the
// server and prepares the data): headless Chromium through playwright-core.
// Environment: MONITORAGE_URL, MONITORAGE_DASHBOARD_OUT, MONITORAGE_OIDC_ORIGIN, EXPECT (JSON name -> status),
// DOWN_ID, DOWN_ERROR, READER_TOKEN, OPERATOR_TOKEN, ADMIN_TOKEN, EXPIRED_TOKEN, UI_CLIENT_ID,
// OIDC_SCENARIO (the oidc_stub.py scenario, which the renewal checks vary), SIGNING_KEY (PEM, kid kA)
// and READER_CLAIMS to sign a token here.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.MONITORAGE_URL;
const out = process.env.MONITORAGE_DASHBOARD_OUT;
const expect = JSON.parse(process.env.EXPECT);
const downId = process.env.DOWN_ID;
const downError = process.env.DOWN_ERROR;
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
let failures = 0;

async function step(name, fn) {
  try {
    await fn();
    console.log(`ok - ${name}`);
  } catch (e) {
    failures++;
    console.log(`not ok - ${name}\n  ${String(e.stack || e).split('\n').join('\n  ')}`);
  }
}

// --- HTTP: content types, caching and security headers -------------------------------
await step('the page is served with a strict CSP, security headers and an ETag', async () => {
  const r = await fetch(`${base}/ui/`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/html; charset=utf-8/);
  const csp = r.headers.get('content-security-policy');
  assert.ok(csp, 'Content-Security-Policy missing');
  for (const part of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
    "object-src 'none'", "base-uri 'none'", `connect-src 'self' ${process.env.MONITORAGE_OIDC_ORIGIN}`]) {
    assert.ok(csp.includes(part), `CSP lacks ${part}: ${csp}`);
  }
  assert.ok(!/unsafe-inline|unsafe-eval/.test(csp), csp);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(r.headers.get('cache-control'), 'no-cache');
  const etag = r.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]{32}"$/);
  const again = await fetch(`${base}/ui/`, { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  const js = await fetch(`${base}/ui/app.js`);
  assert.match(js.headers.get('content-type'), /^text\/javascript/);
  assert.ok(js.headers.get('content-security-policy'));
  assert.equal((await fetch(`${base}/ui/style.css`)).headers.get('content-type'), 'text/css; charset=utf-8');
  assert.equal((await fetch(`${base}/ui/nope.js`)).status, 404);
  const root = await fetch(`${base}/`, { redirect: 'manual' });
  assert.equal(root.status, 302);
  assert.equal(root.headers.get('location'), '/ui/');
  const config = await (await fetch(`${base}/api/v1/config`)).json();
  assert.equal(config.dev, true);
  assert.equal(config.oidc, true);
  assert.equal(config.redirect_path, '/ui/');
  assert.ok(!JSON.stringify(config).includes('dev-token'), 'the config must not carry the dev token');
});

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
const problems = []; // console errors, page errors, CSP violations, failed requests

async function session(token, viewport, who) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${who}: console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`${who}: page error: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`${who}: HTTP ${r.status()} ${r.url()}`); });
  await page.goto(`${base}/ui/`);
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.locator('#nav').waitFor();
  return { context, page };
}

async function overviewLoaded(page) {
  await page.goto(`${base}/ui/#/`);
  await page.locator('#view[data-loaded="true"] #endpoints').waitFor();
}

function row(page, name) {
  return page.locator(`#endpoints tbody tr[data-name="${name}"]`);
}

const shot = (page, name) => page.screenshot({ path: path.join(out, `${name}.png`), fullPage: true });

// --- reader ---------------------------------------------------------------------------
const reader = await session(process.env.READER_TOKEN, DESKTOP, 'reader');
await step('the token stays in memory: nothing in storage, a reload asks to sign in again', async () => {
  const stored = await reader.page.evaluate(() => localStorage.length + sessionStorage.length + document.cookie.length);
  assert.equal(stored, 0);
  assert.equal(await reader.page.locator('#who-role').textContent(), 'reader');
});

// What the reader's page asks of the API (path and query).
const readerCalls = [];
reader.page.on('request', (r) => {
  if (r.url().startsWith(`${base}/api/v1/`)) readerCalls.push(r.url().slice(base.length));
});

await step('the overview shows each endpoint with its status in words and colour', async () => {
  await overviewLoaded(reader.page);
  for (const [name, status] of Object.entries(expect)) {
    const badge = row(reader.page, name).locator('.badge');
    assert.equal((await badge.textContent()).trim().slice(-status.length), status, name);
    assert.equal(await badge.getAttribute('data-status'), status);
  }
  assert.match(await reader.page.locator('#summary').textContent(), /5 endpoints: 2 UP, 1 DEGRADED, 1 DOWN, 1 UNKNOWN/);
  const alpha = row(reader.page, 'Alpha API');
  assert.equal((await alpha.locator('td[data-label="Uptime 24 h"]').textContent()).trim(), '100 %');
  assert.match(await alpha.locator('td[data-label="Latency"]').textContent(), /^\d+ ms$/);
  assert.equal(await alpha.locator('svg.spark polyline').count(), 1, 'a sparkline of the recent latency');
  assert.match(await alpha.locator('svg.spark').getAttribute('aria-label'), /Latency of the last 4 checks/);
  await shot(reader.page, 'overview-desktop');
});

await step('the overview is one request per refresh: no history or uptime request per endpoint', async () => {
  assert.deepEqual(readerCalls.filter((u) => /\/(history|uptime)\b/.test(u)), [], readerCalls.join(', '));
  assert.ok(readerCalls.includes('/api/v1/overview?limit=10000&recent=30'), readerCalls.join(', '));
  const loads = await reader.page.locator('#view').getAttribute('data-loads');
  const before = readerCalls.length;
  await reader.page.getByRole('button', { name: 'Refresh now' }).click();
  await reader.page.waitForFunction((n) => document.getElementById('view').dataset.loads !== n, loads);
  assert.deepEqual(readerCalls.slice(before), ['/api/v1/overview?limit=10000&recent=30']);
  // The uptime shown is the uptime route's figure, and the sparkline holds the overview's checks.
  const auth = { headers: { Authorization: `Bearer ${process.env.READER_TOKEN}` } };
  const overview = await (await fetch(`${base}/api/v1/overview?limit=10000`, auth)).json();
  const uptime = await (await fetch(`${base}/api/v1/endpoints/${downId}/uptime?window=24h`, auth)).json();
  const down = overview.items.find((s) => s.endpoint_id === downId);
  assert.equal(down.uptime_24h_percent, uptime.uptime_percent);
  const shown = uptime.uptime_percent >= 99.995 ? '100' : uptime.uptime_percent.toFixed(2);
  const delta = row(reader.page, 'Delta closed port');
  assert.equal((await delta.locator('td[data-label="Uptime 24 h"]').textContent()).trim(), `${shown} %`);
  assert.equal(down.recent_status.filter((st) => st === 'DOWN').length,
    await delta.locator('svg.spark rect.mark-down').count());
});

await step('a DOWN endpoint is red and shows its error', async () => {
  const delta = row(reader.page, 'Delta closed port');
  const colour = await delta.locator('.badge').evaluate((el) => getComputedStyle(el).color);
  assert.equal(colour, 'rgb(176, 21, 31)');
  const bg = await delta.locator('.badge').evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.equal(bg, 'rgb(253, 227, 228)');
  assert.equal((await delta.locator('.row-error').textContent()).trim(), downError);
  assert.equal(await delta.locator('svg.spark rect.mark-down').count(), 3, 'each failed check marked in red');
  assert.equal(await row(reader.page, 'Alpha API').locator('.row-error').count(), 0);
});

await step('filters by type and status', async () => {
  const names = async () => reader.page.locator('#endpoints tbody tr[data-name]').evaluateAll((rows) => rows.map((r) => r.dataset.name));
  await reader.page.getByLabel('Type').selectOption('DOMAIN');
  assert.deepEqual(await names(), ['Delta closed port', 'Gamma slow service']);
  await reader.page.getByLabel('Status').selectOption('DOWN');
  assert.deepEqual(await names(), ['Delta closed port']);
  await reader.page.getByLabel('Type').selectOption('APIM');
  assert.deepEqual(await names(), []);
  assert.match(await reader.page.locator('#endpoints tbody').textContent(), /No endpoint matches the filters/);
  await reader.page.getByLabel('Type').selectOption('');
  await reader.page.getByLabel('Status').selectOption('UP');
  assert.deepEqual(await names(), ['Alpha API', 'Beta JSON service']);
  await shot(reader.page, 'overview-filtered');
  await reader.page.getByLabel('Status').selectOption('');
  assert.equal((await names()).length, 5);
});

await step('the endpoint page: latency chart per window, recent failures with their error, no check button for a reader', async () => {
  await reader.page.locator('a', { hasText: 'Delta closed port' }).click();
  await reader.page.locator('#view[data-loaded="true"] #latency-chart svg.chart').waitFor();
  assert.equal(await reader.page.locator('h1 .badge').getAttribute('data-status'), 'DOWN');
  const failures = reader.page.locator('#failures tbody tr.row-down');
  assert.equal(await failures.count(), 3);
  assert.equal((await failures.first().locator('td[data-label="Error"]').textContent()).trim(), downError);
  assert.equal(await reader.page.locator('#check-now').count(), 0);
  for (const w of ['7d', '30d', '24h']) {
    await reader.page.getByRole('button', { name: w }).click();
    assert.equal(await reader.page.getByRole('button', { name: w }).getAttribute('aria-pressed'), 'true');
    await reader.page.locator('#latency-chart svg.chart').waitFor();
  }
  assert.equal(await reader.page.locator('#latency-chart rect.mark-down').count() > 0, true);
  await shot(reader.page, 'endpoint-reader');
});

await step('a DEGRADED endpoint\'s page draws its latency, without reading every endpoint\'s status', async () => {
  const before = readerCalls.length;
  await reader.page.goto(`${base}/ui/#/endpoint/${process.env.DEGRADED_ID}`);
  await reader.page.locator('#view[data-loaded="true"] #latency-chart svg.chart circle.mark-degraded').waitFor();
  assert.equal(await reader.page.locator('h1 .badge').getAttribute('data-status'), 'DEGRADED');
  const calls = readerCalls.slice(before);
  assert.ok(calls.includes(`/api/v1/endpoints/${process.env.DEGRADED_ID}/history?limit=1`), calls.join(', '));
  assert.deepEqual(calls.filter((u) => /\/api\/v1\/(status|overview)\b/.test(u)), [], calls.join(', '));
  assert.ok(await reader.page.locator('#failures tbody tr.row-degraded').count() >= 1);
  await shot(reader.page, 'endpoint-degraded');
});

await step('a reader has no audit page and no connector action buttons', async () => {
  assert.equal(await reader.page.locator('#nav-audit').isHidden(), true);
  await reader.page.goto(`${base}/ui/#/connectors`);
  await reader.page.locator('#view[data-loaded="true"]').waitFor();
  const domain = reader.page.locator('#connectors article[data-name="DOMAIN_HEALTH"]');
  assert.equal((await domain.locator('.badge').textContent()).trim(), 'Enabled');
  assert.equal(await reader.page.locator('#connectors article').count(), 8);
  assert.equal(await reader.page.locator('button.action').count(), 0);
  assert.equal(await reader.page.getByRole('button', { name: /Test connection/ }).count(), 0);
  await shot(reader.page, 'connectors-reader');
});

await step('a reload forgets the token', async () => {
  await reader.page.reload();
  await reader.page.getByLabel('Token').waitFor();
  assert.equal(await reader.page.locator('#nav').isHidden(), true);
});
await reader.context.close();

// --- operator: check now with a confirmation ---------------------------------------------
const operator = await session(process.env.OPERATOR_TOKEN, DESKTOP, 'operator');
await step('an operator runs an action after confirming it', async () => {
  const page = operator.page;
  await page.goto(`${base}/ui/#/endpoint/${downId}`);
  await page.locator('#view[data-loaded="true"] #check-now').waitFor();
  await page.locator('#check-now').click();
  const dialog = page.locator('dialog#confirm');
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /Check now\?/);
  await shot(page, 'confirm-dialog');
  // Cancel first: nothing runs.
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  assert.equal((await page.locator('#check-result').textContent()).trim(), '');
  await page.locator('#check-now').click();
  await page.locator('#confirm-ok').click();
  await page.locator('#check-result .badge[data-status="DOWN"]').waitFor({ timeout: 20000 });
  assert.ok((await page.locator('#check-result').textContent()).includes(downError));
  await page.locator('#failures tbody tr.row-down').nth(3).waitFor();
  await shot(page, 'endpoint-operator');
});
await step('an operator runs a connector action after confirming it', async () => {
  const page = operator.page;
  await page.locator('#nav a', { hasText: 'Connectors' }).click();
  await page.locator('#view[data-loaded="true"] #connectors').waitFor();
  const card = page.locator('#connectors article[data-name="DOMAIN_HEALTH"]');
  const button = card.locator('button.action[data-action="dns"]');
  await button.click();
  const dialog = page.locator('dialog#confirm');
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /Run dns\?/);
  await shot(page, 'connector-confirm');
  await page.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'hidden' });
  assert.equal((await card.locator('.card-out').textContent()).trim(), '', 'cancelled: nothing ran');
  await button.click();
  await page.locator('#confirm-ok').click();
  await card.locator('.card-out .ok').waitFor({ timeout: 20000 });
  assert.equal((await card.locator('.card-out .ok').textContent()).trim(), 'dns: done');
  assert.match(await card.locator('.card-out pre').textContent(), /127\.0\.0\.1|::1/);
  assert.equal(await page.locator('#connectors article[data-name="GITHUB"] button.action').count(), 0, 'disabled: no action');
  await shot(page, 'connectors-operator');
});
await operator.context.close();

// --- admin: the audit page ------------------------------------------------------------------
const admin = await session(process.env.ADMIN_TOKEN, DESKTOP, 'admin');
await step('the admin sees the operator\'s action in the audit log', async () => {
  const page = admin.page;
  await page.locator('#nav-audit').click();
  await page.locator('#view[data-loaded="true"] #audit').waitFor();
  const rows = page.locator('#audit tbody tr[data-action="endpoint.check"]', { hasText: 'otto@example.test' });
  assert.equal(await rows.count(), 1);
  assert.ok((await rows.first().textContent()).includes(downId));
  const run = page.locator('#audit tbody tr[data-action="connector.run"]', { hasText: 'otto@example.test' });
  assert.equal(await run.count(), 1);
  assert.ok((await run.textContent()).includes('DOMAIN_HEALTH.dns'));
  await shot(page, 'audit-all');
  await page.getByLabel('Action').fill('endpoint.check');
  await page.getByLabel('Action').press('Enter');
  await page.getByRole('button', { name: 'Verify chain' }).click();
  await page.getByText(/Chain intact/).waitFor();
  await shot(page, 'audit-admin');
});
await admin.context.close();

// --- OIDC: authorization code flow with PKCE against the loopback authorization server -----
await step('OIDC sign-in: authorization code with PKCE, the code gone from the address bar, nothing stored', async () => {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`oidc: console error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`oidc: page error: ${e.message}`));
  await page.goto(`${base}/ui/#/connectors`);
  await page.getByRole('button', { name: 'Sign in with Microsoft' }).click();
  await page.locator('#nav').waitFor();
  assert.equal(await page.locator('#who-name').textContent(), 'Sam Sso');
  assert.equal(await page.locator('#who-role').textContent(), 'reader');
  assert.equal(new URL(page.url()).search, '', 'the code left the address bar');
  assert.equal(new URL(page.url()).hash, '#/connectors', 'back where the sign-in started');
  assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length + document.cookie.length), 0);
  await page.locator('#view[data-loaded="true"] #connectors').waitFor();
  await context.close();
});

// --- OIDC: silent renewal with a refresh token (short-lived access tokens from the stub) ----
const oidcOrigin = process.env.MONITORAGE_OIDC_ORIGIN;
const uiClientId = process.env.UI_CLIENT_ID;
const stub = async (p, body) => {
  const r = await fetch(`${oidcOrigin}${p}`, body ? { method: 'POST', body: JSON.stringify(body) } : {});
  assert.equal(r.status, 200);
  return r.json();
};
// Replaces the stub's scenario (and empties its request log); the live refresh tokens stay.
const scenario = (over) => stub('/__control', { ...JSON.parse(process.env.OIDC_SCENARIO), ...over });
// The stub's answers for the latest sign-in: its code grant, then its refresh grants in order.
async function chain() {
  const grants = await stub('/__grants');
  const code = grants.filter((g) => g.grant_type === 'authorization_code' && g.chain).pop();
  return { code, refreshes: grants.filter((g) => g.grant_type === 'refresh_token' && g.chain === code.chain) };
}
// A browser context whose console errors, page errors and failed requests are problems, except
// the failed requests `expected` accepts (Chromium also logs them as console errors).
async function oidcSession(who, hash, expected = () => false, expectedConsole = /^Failed to load resource: the server responded with a status of/) {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  const seen = { failed: [], toServer: [] };
  page.on('console', (m) => {
    if (m.type() === 'error' && !expectedConsole.test(m.text())) {
      problems.push(`${who}: console error: ${m.text()}`);
    }
  });
  page.on('pageerror', (e) => problems.push(`${who}: page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() < 400) return;
    seen.failed.push(`${r.status()} ${r.url()}`);
    if (!expected(r)) problems.push(`${who}: HTTP ${r.status()} ${r.url()}`);
  });
  page.on('request', (r) => {
    if (r.url().startsWith(base)) seen.toServer.push(`${r.url()} ${JSON.stringify(r.headers())} ${r.postData() || ''}`);
  });
  await page.goto(`${base}/ui/${hash}`);
  await page.getByRole('button', { name: 'Sign in with Microsoft' }).click();
  await page.locator('#nav').waitFor();
  return { context, page, seen };
}

await step('OIDC renewal: the access token expires every 6 s and the page keeps refreshing with no user action', async () => {
  await scenario({ expires_in: 6 });
  const { context, page, seen } = await oidcSession('renewal', '#/');
  await page.locator('#view[data-loaded="true"] #endpoints').waitFor();
  const loads = await page.locator('#view').getAttribute('data-loads');
  // The overview's own 15 s auto-refresh, long after the first access token died.
  await page.waitForFunction((n) => document.getElementById('view').dataset.loads !== n, loads, { timeout: 30000 });
  assert.equal(await page.locator('#signin').isHidden(), true, 'still signed in');
  assert.equal(await page.locator('#who-name').textContent(), 'Sam Sso');
  assert.equal(await row(page, 'Alpha API').locator('.badge').getAttribute('data-status'), 'UP');
  const bearers = new Set(seen.toServer.map((r) => (r.match(/"authorization":"Bearer ([^"]+)"/) || [])[1]).filter(Boolean));
  assert.ok(bearers.size >= 2, `the API saw ${bearers.size} access token(s)`);
  assert.deepEqual(seen.failed, [], 'no request failed: renewed before expiry');
  const { refreshes } = await chain();
  assert.ok(refreshes.length >= 3, `${refreshes.length} refresh grants in about 15 s`);
  for (const g of refreshes) {
    assert.equal(g.error, null);
    assert.equal(g.client_id, uiClientId);
  }
  const forms = (c) => ({ ...c, form: new URLSearchParams(c.body) });
  const calls = (await stub('/__log')).filter((c) => c.method === 'POST' && c.path === '/token').map(forms);
  const codeCall = calls.find((c) => c.form.get('grant_type') === 'authorization_code');
  assert.ok(codeCall.form.get('code_verifier'), 'the code grant is PKCE');
  const refreshCalls = calls.filter((c) => c.form.get('grant_type') === 'refresh_token');
  assert.ok(refreshCalls.length >= refreshes.length);
  for (const c of [codeCall, ...refreshCalls]) {
    const { form } = c;
    assert.equal(form.get('client_id'), uiClientId, 'the PKCE (public) client id');
    assert.ok(!form.has('client_secret') && !form.has('client_assertion'), 'no client secret');
    if (form.get('grant_type') === 'refresh_token') assert.ok(form.get('scope').split(' ').includes('offline_access'));
    assert.equal(c.headers.origin, base, 'a cross-origin request from the page');
  }
  await shot(page, 'overview-renewed');
  await context.close();
});

await step('OIDC renewal: refresh tokens rotate, each renewal presents the token the previous answer returned', async () => {
  const { code, refreshes } = await chain();
  assert.ok(code.issued && refreshes.length >= 2);
  let expected = code.issued;
  for (const g of refreshes) {
    assert.equal(g.presented, expected, 'the newest refresh token');
    assert.notEqual(g.issued, g.presented, 'a new one came back');
    expected = g.issued;
  }
});

await step('OIDC: no token in localStorage, sessionStorage, cookies or the address, none sent to our server', async () => {
  await scenario({ expires_in: 4 });
  const { context, page, seen } = await oidcSession('storage', '#/connectors');
  await page.locator('#view[data-loaded="true"] #connectors').waitFor();
  await new Promise((resolve) => setTimeout(resolve, 4500)); // one renewal at least
  const { code, refreshes } = await chain();
  assert.ok(refreshes.length >= 1, 'renewed meanwhile');
  const refreshTokens = [code.issued, ...refreshes.map((g) => g.issued)];
  const state = await page.evaluate(() => JSON.stringify({ l: { ...localStorage }, s: { ...sessionStorage },
    c: document.cookie, u: window.location.href }));
  assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length + document.cookie.length), 0, state);
  assert.deepEqual(await context.cookies(), []);
  assert.doesNotMatch(page.url(), /code=|token|eyJ/);
  const bearer = seen.toServer.map((r) => (r.match(/"authorization":"Bearer ([^"]+)"/) || [])[1]).filter(Boolean).pop();
  for (const t of [...refreshTokens, bearer]) {
    assert.ok(t && !state.includes(t), 'a token in web storage or the address');
  }
  for (const t of refreshTokens) {
    assert.ok(!seen.toServer.some((r) => r.includes(t)), 'a refresh token sent to our server');
  }
  await context.close();
});

await step('OIDC renewal: a 401 from the API renews once and repeats the requests (token dead before expires_in)', async () => {
  // The access token says 600 s but dies after 3 s: only the API's 401 can tell.
  await scenario({ expires_in: 600, token_lifetime: 3 });
  const isApi401 = (r) => r.status() === 401 && r.url().startsWith(`${base}/api/v1/`);
  const { context, page, seen } = await oidcSession('401', '#/connectors', isApi401);
  await page.locator('#view[data-loaded="true"] #connectors').waitFor();
  await scenario({ expires_in: 600 }); // the renewed token lives
  await new Promise((resolve) => setTimeout(resolve, 4000));
  const before = (await chain()).refreshes.length; // 0 unless the first page took over 3 s
  // The endpoint page: several requests at once (endpoint, status, history, uptime), all 401.
  await page.evaluate((id) => { window.location.hash = `#/endpoint/${id}`; }, downId);
  await page.locator('#view[data-loaded="true"] #latency-chart svg.chart').waitFor();
  assert.ok(seen.failed.length >= 2, seen.failed.join(', '));
  assert.equal(await page.locator('#signin').isHidden(), true, 'still signed in');
  assert.ok(seen.failed.length >= 1 && seen.failed.every((f) => f.startsWith('401 ')), seen.failed.join(', '));
  const { refreshes } = await chain();
  assert.equal(refreshes.length, before + 1, 'one renewal');
  assert.equal(refreshes.pop().error, null);
  await context.close();
});

await step('OIDC renewal refused (invalid_grant): "session expired", the page kept, signing in again returns to it', async () => {
  await scenario({ expires_in: 4 });
  const isRefused = (r) => r.status() === 400 && r.url() === `${oidcOrigin}/token`;
  const { context, page } = await oidcSession('refused', `#/endpoint/${downId}`, isRefused);
  await page.locator('#view[data-loaded="true"] #latency-chart svg.chart').waitFor();
  await scenario({ expires_in: 4, reject_refresh: true });
  await page.getByRole('heading', { name: 'Session expired' }).waitFor({ timeout: 15000 });
  assert.match(await page.locator('#signin-error').textContent(), /^Your session has expired \(the identity provider refused to renew it: invalid_grant\): sign in again\.$/);
  assert.equal(await page.locator('#nav').isHidden(), true);
  assert.equal(new URL(page.url()).hash, `#/endpoint/${downId}`, 'the address is kept');
  assert.equal(await page.title(), 'Session expired \u2014 Monitorage');
  assert.match(await page.locator('#signin-oidc-text').textContent(), /come back to this page/);
  const { refreshes } = await chain();
  assert.equal(refreshes.pop().error, 'invalid_grant');
  await shot(page, 'session-expired');
  await scenario({ expires_in: 600 });
  await page.getByRole('button', { name: 'Sign in again' }).click();
  await page.locator('#view[data-loaded="true"] #latency-chart svg.chart').waitFor();
  assert.equal(new URL(page.url()).hash, `#/endpoint/${downId}`, 'back on the same page');
  assert.equal(await page.locator('h1 .badge').getAttribute('data-status'), 'DOWN');
  await context.close();
});

await step('OIDC renewal: an unreachable provider is retried while the token lasts, then "session expired"', async () => {
  await scenario({ expires_in: 8 });
  const { context, page } = await oidcSession('unreachable', '#/connectors', () => false,
    /^Failed to load resource: (the server responded with a status of|net::ERR_CONNECTION_REFUSED)/);
  await page.locator('#view[data-loaded="true"] #connectors').waitFor();
  const token = `${oidcOrigin}/token`;
  let aborted = 0;
  await page.route(token, async (r) => {
    aborted++;
    await r.abort('connectionrefused');
    await page.unroute(token); // once only: the retry gets through
  });
  let { code, refreshes } = await chain();
  for (let i = 0; i < 100 && !refreshes.length; i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    ({ code, refreshes } = await chain());
  }
  assert.equal(aborted, 1, 'one renewal failed');
  assert.equal(refreshes.length, 1, 'the retry got through');
  assert.equal(refreshes[0].presented, code.issued, 'with the refresh token the failure did not use up');
  assert.equal(refreshes[0].error, null);
  assert.equal(await page.locator('#signin').isHidden(), true, 'still signed in');
  await page.route(token, (r) => r.abort('connectionrefused'));
  await page.getByRole('heading', { name: 'Session expired' }).waitFor({ timeout: 20000 });
  assert.equal(await page.locator('#signin-error').textContent(),
    'Your session has expired (the identity provider cannot be reached): sign in again.');
  assert.equal(new URL(page.url()).hash, '#/connectors', 'the address is kept');
  await context.close();
});

await step('dev mode: an expired pasted token is refused with a message that it expired and is not renewed', async () => {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`expired: page error: ${e.message}`));
  await page.goto(`${base}/ui/`);
  await page.getByLabel('Token').fill(process.env.EXPIRED_TOKEN);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.locator('#signin-error:not([hidden])').waitFor();
  assert.match(await page.locator('#signin-error').textContent(),
    /^The pasted token expired at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\. A pasted token is not renewed: paste a fresh one\.$/);
  assert.equal(await page.locator('#nav').isHidden(), true);
  await context.close();
});

await step('dev mode: a pasted token that expires in use: the page says it is not renewed and keeps the address', async () => {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const claims = { ...JSON.parse(process.env.READER_CLAIMS), iat: now, nbf: now - 10, exp: now + 4 };
  const input = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'kA' })}.${b64(claims)}`;
  const signature = crypto.sign('sha256', Buffer.from(input), process.env.SIGNING_KEY);
  const token = `${input}.${signature.toString('base64url')}`;
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`pasted: page error: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`pasted: HTTP ${r.status()} ${r.url()}`); });
  await page.goto(`${base}/ui/#/connectors`);
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.locator('#view[data-loaded="true"] #connectors').waitFor();
  assert.equal(await page.locator('#who-name').textContent(), 'Pat Paste');
  await page.getByRole('heading', { name: 'Session expired' }).waitFor({ timeout: 15000 });
  assert.match(await page.locator('#signin-error').textContent(),
    /^The pasted token expired at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\. A pasted token is not renewed: paste a fresh one\.$/);
  assert.equal(new URL(page.url()).hash, '#/connectors', 'the address is kept');
  await context.close();
});

// --- keyboard only -------------------------------------------------------------------------
await step('keyboard: skip link, sign-in form, then the filters and an endpoint, without a mouse', async () => {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`keyboard: console error: ${m.text()}`); });
  const focused = () => page.evaluate(() => document.activeElement.id || document.activeElement.textContent.trim());
  await page.goto(`${base}/ui/`);
  await page.getByLabel('Token').waitFor();
  await shot(page, 'signin');
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'Skip to content');
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'signin-button', 'the OIDC sign-in button comes first');
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'signin-token');
  await page.keyboard.type(process.env.READER_TOKEN);
  await page.keyboard.press('Enter');
  await page.locator('#view[data-loaded="true"] #endpoints').waitFor();
  assert.equal(await focused(), 'main');
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'filter-type');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await focused(), 'sign-out');
  await page.locator('a', { hasText: 'Delta closed port' }).focus();
  const loads = await page.locator('#view').getAttribute('data-loads');
  await page.getByRole('button', { name: 'Refresh now' }).evaluate((b) => b.click()); // a refresh, focus kept
  await page.waitForFunction((n) => document.getElementById('view').dataset.loads !== n, loads);
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Delta closed port');
  await page.keyboard.press('Enter');
  await page.locator('#view[data-loaded="true"] #latency-chart svg.chart').waitFor();
  assert.equal(await page.evaluate(() => window.location.hash), `#/endpoint/${downId}`);
  await context.close();
});

// --- phone width ----------------------------------------------------------------------------
const phone = await session(process.env.READER_TOKEN, PHONE, 'phone');
await step('phone width: one card per endpoint, no horizontal scrolling', async () => {
  const page = phone.page;
  await overviewLoaded(page);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= PHONE.width, `page is ${width}px wide`);
  assert.equal(await page.locator('#endpoints thead').evaluate((el) => getComputedStyle(el).position), 'absolute');
  const box = await row(page, 'Delta closed port').boundingBox();
  assert.ok(box.width <= PHONE.width && box.width > PHONE.width - 40, `row is ${box.width}px wide`);
  assert.ok(await row(page, 'Delta closed port').getByText(downError).isVisible());
  await shot(page, 'overview-phone');
  await page.goto(`${base}/ui/#/endpoint/${downId}`);
  await page.locator('#view[data-loaded="true"] #latency-chart svg.chart').waitFor();
  assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= PHONE.width);
  await shot(page, 'endpoint-phone');
});
await phone.context.close();
await browser.close();

await step('no console errors, page errors, CSP violations or failed requests', async () => {
  assert.deepEqual(problems, []);
});

console.log(`${failures ? 'FAILED' : 'PASSED'}: screenshots in ${out}`);
process.exit(failures ? 1 : 0);
