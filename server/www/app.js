// The dashboard: sign-in, then a hash router over the views.
import * as auth from './auth.js';
import * as audit from './audit.js';
import * as connectors from './connectors.js';
import * as endpoint from './endpoint.js';
import * as overview from './overview.js';

const $ = (id) => document.getElementById(id);
let dispose = null;
let config = null;

function roleName(me) {
  const p = me.permissions || {};
  if (me.dev) return 'admin (dev token)';
  return p.admin ? 'admin' : p.operate ? 'operator' : p.read ? 'reader' : 'no role';
}

function route() {
  const me = auth.currentUser();
  if (dispose) dispose();
  dispose = null;
  const view = $('view');
  view.removeAttribute('data-loaded');
  view.removeAttribute('data-loads');
  if (!me) return;
  const hash = window.location.hash || '#/';
  let name = 'overview';
  let m;
  if ((m = hash.match(/^#\/endpoint\/([0-9a-fA-F-]{36})$/))) {
    name = 'overview';
    dispose = endpoint.render(view, { id: m[1].toLowerCase(), me });
  } else if (hash === '#/connectors') {
    name = 'connectors';
    dispose = connectors.render(view, { me });
  } else if (hash === '#/audit' && me.permissions && me.permissions.admin) {
    name = 'audit';
    dispose = audit.render(view, { me });
  } else {
    dispose = overview.render(view, { me });
  }
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.route === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

// expired: the session ended by itself (renewal refused, token expired). The address is kept,
// so signing in again comes back to the same page.
function showSignIn(message, expired) {
  $('signin').hidden = false;
  $('signin-title').textContent = expired ? 'Session expired' : 'Sign in';
  $('signin-button').textContent = expired ? 'Sign in again' : 'Sign in with Microsoft';
  $('signin-oidc-text').textContent = expired ? 'Sign in again with your organisation account to come back to this page.'
    : 'Sign in with your organisation account.';
  $('nav').hidden = true;
  $('who').hidden = true;
  $('view').replaceChildren();
  $('signin-error').hidden = !message;
  $('signin-error').textContent = message || '';
  $('signin-oidc').hidden = !config.oidc;
  $('signin-dev').hidden = !config.dev;
  $('signin-none').hidden = config.oidc || config.dev;
  document.title = `${expired ? 'Session expired' : 'Sign in'} \u2014 Monitorage`;
}

function showApp(me) {
  $('signin').hidden = true;
  $('nav').hidden = false;
  $('who').hidden = false;
  $('who-name').textContent = me.name || me.email || me.id;
  $('who-role').textContent = roleName(me);
  $('nav-audit').hidden = !(me.permissions && me.permissions.admin);
  document.title = 'Monitorage';
}

auth.onChange((me, reason, expired) => {
  if (me) showApp(me);
  else showSignIn(reason, expired);
  route();
  // Keyboard users land on the content (signed in) or on the form (signed out).
  if (me) $('main').focus();
});

async function start() {
  try {
    config = await auth.loadConfig();
  } catch (e) {
    document.getElementById('main').replaceChildren(Object.assign(document.createElement('p'), { className: 'error', textContent: e.message }));
    return;
  }
  showSignIn(null);
  $('signin-button').addEventListener('click', () => {
    auth.startSignIn().catch((e) => showSignIn(e.message));
  });
  $('signin-dev').addEventListener('submit', async (e) => {
    e.preventDefault();
    const input = $('signin-token');
    const value = input.value.trim();
    input.value = ''; // not left in the DOM
    try {
      await auth.useToken(value);
    } catch (err) {
      showSignIn(err.message);
      input.focus();
    }
  });
  $('sign-out').addEventListener('click', () => auth.signOut('Signed out.'));
  window.addEventListener('hashchange', () => {
    route();
    $('main').focus();
  });
  try {
    await auth.completeSignIn();
  } catch (e) {
    showSignIn(e.message);
  }
}

start();
