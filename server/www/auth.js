// Sign-in: OIDC authorization code flow with PKCE (Azure AD or any OIDC
// issuer), or, in dev mode, a pasted token. The access token and the refresh
// token live in this module's memory only: never in localStorage,
// sessionStorage or a cookie, and the refresh token goes to the identity
// provider's token endpoint only, never to our server. Only the one-time
// PKCE verifier and state cross the redirect, in sessionStorage, and are
// removed on return.
//
// Renewal: the page asks for `offline_access`, so the token endpoint also
// returns a refresh token. Shortly before the access token's `expires_in`
// elapses (a quarter of its lifetime, at most 5 minutes before) the page
// trades the refresh token for a new access token (grant_type=refresh_token,
// public client: client id, no secret), and keeps the new refresh token when
// one is returned (rotation). A 401 from our API renews once too (api.js).
// A provider that cannot be reached (or answers 5xx) is retried while the
// access token lasts. When renewal fails for good the page shows "session expired" and keeps the
// address, so signing in again returns to the same page. A pasted dev-mode
// token is never renewed.

const PKCE_KEY = 'monitorage.pkce';
const MAX_LEAD_MS = 5 * 60 * 1000; // renew at most this long before expiry
const RETRY_MS = 5000; // a renewal that could not reach the identity provider is retried (at most)
const MAX_DELAY_MS = 2 ** 31 - 1; // longer setTimeout delays fire at once
let config = null;
let discovered = null;
let token = null;
let refreshToken = null; // null: no renewal (pasted token, or none issued)
let pasted = false;
let expiresAt = 0; // ms since the epoch, 0 when unknown
let renewAt = 0;
let renewing = null; // the renewal in flight, shared by everyone who waits for it
let me = null;
let timer = null;
const listeners = new Set();

export function onChange(fn) {
  listeners.add(fn);
}

// Listeners get (user, reason, expired): expired is true when the session ended by itself.
function changed(reason, expired) {
  for (const fn of listeners) fn(me, reason, expired);
}

export function currentUser() {
  return me;
}

export function bearer() {
  return token;
}

export async function loadConfig() {
  const response = await fetch('/api/v1/config', { cache: 'no-store' });
  if (!response.ok) throw new Error(`cannot read the sign-in settings (HTTP ${response.status})`);
  config = await response.json();
  return config;
}

// The configured scopes, plus offline_access so that a refresh token comes back.
function scopes() {
  const list = (config.scopes || '').split(/\s+/).filter(Boolean);
  if (!list.includes('offline_access')) list.push('offline_access');
  return list.join(' ');
}

function b64url(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(n) {
  return b64url(crypto.getRandomValues(new Uint8Array(n)));
}

// Expiry of a JWT (seconds), or null for an opaque token such as the dev token.
function jwtExpiry(t) {
  const parts = t.split('.');
  if (parts.length !== 3) return null;
  try {
    const payload = JSON.parse(atob(parts[1].replace(/-/g, '+').replace(/_/g, '/')));
    return typeof payload.exp === 'number' ? payload.exp : null;
  } catch {
    return null;
  }
}

function utc(ms) {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function pastedExpired(exp) {
  return `The pasted token expired at ${utc(exp * 1000)}. A pasted token is not renewed: paste a fresh one.`;
}

// Ask the server who the token belongs to.
async function whoIs(candidate) {
  const response = await fetch('/api/v1/me', { headers: { Authorization: `Bearer ${candidate}` } });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const message = body && body.error ? body.error.message : `HTTP ${response.status}`;
    throw new Error(`the server refused the token: ${message}`);
  }
  return body;
}

function clearSession() {
  token = null;
  refreshToken = null;
  pasted = false;
  expiresAt = 0;
  renewAt = 0;
  me = null;
  clearTimeout(timer);
}

// Keep a token the server accepted; lifetimeMs null when unknown (no timer).
function keep(access, refresh, lifetimeMs) {
  token = access;
  refreshToken = refresh || refreshToken;
  clearTimeout(timer);
  if (lifetimeMs === null) {
    expiresAt = renewAt = 0;
    return;
  }
  expiresAt = Date.now() + lifetimeMs;
  renewAt = refreshToken ? expiresAt - Math.min(MAX_LEAD_MS, lifetimeMs / 4) : expiresAt;
  wait(renewAt - Date.now());
}

// Renewals at most once a second, whatever expires_in says.
function wait(ms) {
  timer = setTimeout(due, Math.min(MAX_DELAY_MS, Math.max(refreshToken ? 1000 : 0, ms)));
}

// Dev mode: a pasted token, kept only if the server accepts it; never renewed.
export async function useToken(candidate) {
  const exp = jwtExpiry(candidate);
  let who;
  try {
    who = await whoIs(candidate);
  } catch (e) {
    if (exp && exp * 1000 <= Date.now()) throw new Error(pastedExpired(exp));
    throw e;
  }
  clearSession();
  me = who;
  pasted = true;
  keep(candidate, null, exp ? exp * 1000 - Date.now() : null);
  changed(null, false);
  return me;
}

export function signOut(reason) {
  clearSession();
  changed(reason || null, false);
}

// The session ended by itself: say so; the address (and so the page) stays.
export function expire(detail) {
  if (!me) return;
  const exp = pasted && jwtExpiry(token);
  let reason = `Your session has expired${detail ? ` (${detail})` : ''}: sign in again.`;
  if (exp && exp * 1000 <= Date.now() + 1000) reason = pastedExpired(exp);
  else if (pasted) reason = `The server no longer accepts the pasted token (${detail || 'refused'}): paste a fresh one.`;
  clearSession();
  changed(reason, true);
}

// The timer: renew when a refresh token is held, else the session is over.
function due() {
  if (!me) return;
  if (Date.now() < renewAt - 1000) {
    wait(renewAt - Date.now()); // a long-lived pasted token
    return;
  }
  if (!refreshToken) {
    expire(null);
    return;
  }
  renew().catch((e) => {
    if (!me) return;
    const left = expiresAt - Date.now();
    if (e.network && left > 1000) wait(Math.min(RETRY_MS, left / 2));
    else expire(e.message);
  });
}

// A hidden tab or a sleeping laptop delays timers: catch up when the page is seen again.
function catchUp() {
  if (me && renewAt && Date.now() >= renewAt && !renewing) {
    clearTimeout(timer);
    due();
  }
}
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') catchUp();
});
window.addEventListener('online', catchUp);

// One renewal at a time: concurrent callers (the timer, several 401s) share it,
// so a rotated refresh token is never presented twice.
export function renew() {
  if (!renewing) renewing = refresh().finally(() => { renewing = null; });
  return renewing;
}

async function refresh() {
  const presented = refreshToken;
  if (!presented) throw new Error('no refresh token');
  const doc = await discovery().catch((e) => { throw Object.assign(e, { network: true }); });
  const sent = Date.now();
  let response;
  try {
    response = await fetch(doc.token_endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: config.client_id,
        refresh_token: presented,
        scope: scopes(),
      }).toString(),
    });
  } catch {
    throw Object.assign(new Error('the identity provider cannot be reached'), { network: true });
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok || !body.access_token) {
    // Azure AD's reason is its AADSTS code (AADSTS700084: a SPA's refresh token is 24 h old).
    const code = String(body.error_description || '').match(/^AADSTS\d+/);
    const why = [body.error || `HTTP ${response.status}`, code && code[0]].filter(Boolean).join(' ');
    // A 5xx is the provider's trouble, worth a retry; invalid_grant and the like are final.
    throw Object.assign(new Error(`the identity provider refused to renew it: ${why}`),
      { network: response.status >= 500 });
  }
  if (refreshToken !== presented) throw new Error('signed out during the renewal');
  keep(body.access_token, body.refresh_token, lifetime(body, sent));
}

// Lifetime left of a token answer to a request sent at `sent` (ms): expires_in (relative, so
// the client's clock does not matter), else the JWT's exp, else unknown.
function lifetime(body, sent) {
  const seconds = Number(body.expires_in);
  if (seconds > 0) return seconds * 1000 - (Date.now() - sent);
  const exp = jwtExpiry(body.access_token);
  return exp ? exp * 1000 - Date.now() : null;
}

// Our API answered 401 to a request sent with `used`: true when a newer token is there to
// retry with; a renewal that fails ends the session.
export async function recover(used) {
  if (!me) return false;
  if (token && token !== used) return true; // renewed meanwhile
  if (!refreshToken) return false;
  try {
    await renew();
    return true;
  } catch (e) {
    expire(e.message);
    return false;
  }
}

async function discovery() {
  if (discovered) return discovered;
  const url = `${config.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`the identity provider's discovery document answered HTTP ${response.status}`);
  discovered = await response.json();
  return discovered;
}

function redirectUri() {
  return new URL(config.redirect_path, window.location.origin).href;
}

export async function startSignIn() {
  const doc = await discovery();
  const verifier = randomString(32);
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  const state = randomString(16);
  const nonce = randomString(16);
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, hash: window.location.hash }));
  const url = new URL(doc.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: config.client_id,
    response_type: 'code',
    response_mode: 'query',
    redirect_uri: redirectUri(),
    scope: scopes(),
    state,
    nonce,
    code_challenge: b64url(new Uint8Array(digest)),
    code_challenge_method: 'S256',
  }).toString();
  window.location.assign(url.href);
}

// Back from the identity provider (?code=…&state=…): trade the code for tokens.
// Returns false when this page load is not a sign-in return.
export async function completeSignIn() {
  const query = new URLSearchParams(window.location.search);
  if (!query.has('code') && !query.has('error')) return false;
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) || 'null');
  sessionStorage.removeItem(PKCE_KEY);
  // The code leaves the address bar (and the history) at once.
  window.history.replaceState(null, '', config.redirect_path + ((saved && saved.hash) || ''));
  if (query.has('error')) throw new Error(query.get('error_description') || query.get('error'));
  if (!saved || saved.state !== query.get('state')) throw new Error('the sign-in answer does not match the request: try again');
  const doc = await discovery();
  const sent = Date.now();
  const response = await fetch(doc.token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: config.client_id,
      code: query.get('code'),
      redirect_uri: redirectUri(),
      code_verifier: saved.verifier,
    }).toString(),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok || !body.access_token) {
    throw new Error(`the identity provider refused the code: ${body.error_description || body.error || response.status}`);
  }
  const who = await whoIs(body.access_token);
  clearSession();
  me = who;
  keep(body.access_token, body.refresh_token, lifetime(body, sent));
  changed(null, false);
  return true;
}
