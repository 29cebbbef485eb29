// Sign-in: OIDC authorization code flow with PKCE (Azure AD or any OIDC
// issuer), or, in dev mode, a pasted token. The access token lives in this
// module's memory only: never in localStorage, sessionStorage or a cookie.
// Only the one-time PKCE verifier and state cross the redirect, in
// sessionStorage, and are removed on return.

const PKCE_KEY = 'monitorage.pkce';
let config = null;
let token = null;
let me = null;
let expiryTimer = null;
const listeners = new Set();

export function onChange(fn) {
  listeners.add(fn);
}

function changed(reason) {
  for (const fn of listeners) fn(me, reason);
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

// Ask the server who the token belongs to; keep it only if the server accepts it.
export async function useToken(candidate) {
  const response = await fetch('/api/v1/me', { headers: { Authorization: `Bearer ${candidate}` } });
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const message = body && body.error ? body.error.message : `HTTP ${response.status}`;
    throw new Error(`the server refused the token: ${message}`);
  }
  token = candidate;
  me = body;
  clearTimeout(expiryTimer);
  const exp = jwtExpiry(candidate);
  if (exp) {
    expiryTimer = setTimeout(() => signOut('Your session has expired: sign in again.'),
      Math.max(0, exp * 1000 - Date.now()));
  }
  changed(null);
  return me;
}

export function signOut(reason) {
  token = null;
  me = null;
  clearTimeout(expiryTimer);
  changed(reason || null);
}

async function discovery() {
  const url = `${config.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`the identity provider's discovery document answered HTTP ${response.status}`);
  return response.json();
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
    scope: config.scopes,
    state,
    nonce,
    code_challenge: b64url(new Uint8Array(digest)),
    code_challenge_method: 'S256',
  }).toString();
  window.location.assign(url.href);
}

// Back from the identity provider (?code=…&state=…): trade the code for a token.
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
  await useToken(body.access_token);
  return true;
}
