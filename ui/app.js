// app.js: the web UI's shell: who is logged in, which tenant, the side
// navigation, and a hash router that hands each page its part of <main>.
// Each page fetches only what it shows. Account pages (API tokens, your
// activity) keep the tenant the user came from in the navigation.

import {h, clear, announce, dismissAnnouncement, confirmDialog} from './dom.js';
import {get, post, setSessionLostHandler, ApiError} from './api.js';
import {viewLogin} from './view-login.js';
import {viewTenants} from './view-tenants.js';
import {viewHome} from './view-home.js';
import {viewSetup} from './view-setup.js';
import {viewIntegrations} from './view-integrations.js';
import {viewMembers} from './view-members.js';
import {viewTokens} from './view-tokens.js';
import {viewActivity} from './view-activity.js';
import {viewAudit} from './view-audit.js';
import {viewInvite} from './view-invite.js';
import {viewReleases} from './view-releases.js';
import {viewRelease} from './view-release.js';
import {viewReleaseSettings} from './view-release-settings.js';
import {viewNotifications} from './view-notifications.js';
import {viewHosts} from './view-hosts.js';
import {viewDeploymentScripts} from './view-deployment-scripts.js';
import {viewDeployments, viewDeployment} from './view-deployments.js';
import {viewEnvironments} from './view-environments.js';
import {viewSites, viewSite} from './view-sites.js';
import {viewUsage} from './view-usage.js';
import {viewAdmin} from './view-admin.js';
import {viewSignup} from './view-signup.js';
import {viewForgot, viewReset} from './view-reset.js';
import {viewSso} from './view-sso.js';
import {viewAccount} from './view-account.js';

const UUID = '([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})';
const ROUTES = [
  {re: /^#\/login$/, view: viewLogin, title: 'Log in', public: true},
  {re: /^#\/invite\/(slwi_[A-Za-z0-9_-]{43})$/, view: viewInvite, title: 'Join a tenant', public: true},
  {re: /^#\/tenants$/, view: viewTenants, title: 'Tenants'},
  {re: /^#\/tokens$/, view: viewTokens, title: 'API tokens'},
  {re: /^#\/activity$/, view: viewActivity, title: 'Your activity'},
  {re: new RegExp(`^#/t/${UUID}$`), view: viewHome, title: 'Overview', tenant: true},
  {re: new RegExp(`^#/t/${UUID}/releases$`), view: viewReleases, title: 'Releases', tenant: true},
  {re: new RegExp(`^#/t/${UUID}/releases/${UUID}$`), view: viewRelease, title: 'Release', tenant: true},
  {re: new RegExp(`^#/t/${UUID}/release-settings$`), view: viewReleaseSettings, title: 'Release settings', tenant: true},
  {re: new RegExp(`^#/t/${UUID}/notifications$`), view: viewNotifications, title: 'Notifications', tenant: true},
  {re: new RegExp(`^#/t/${UUID}/setup(?:/([a-z]+))?$`), view: viewSetup, title: 'Setup', tenant: true},
  {re: new RegExp(`^#/t/${UUID}/integrations$`), view: viewIntegrations, title: 'Integrations', tenant: true},
  {re: new RegExp(`^#/t/${UUID}/members$`), view: viewMembers, title: 'Members', tenant: true},
  {re: new RegExp(`^#/t/${UUID}/audit$`), view: viewAudit, title: 'Audit log', tenant: true, owner: true},
  {re: new RegExp(`^#/t/${UUID}/deployments$`), view: viewDeployments, title: 'Deployments', tenant: true},
  {re: new RegExp(`^#/t/${UUID}/deployments/${UUID}$`), view: viewDeployment, title: 'Deployment', tenant: true},
  {re: new RegExp(`^#/t/${UUID}/deployment-scripts$`), view: viewDeploymentScripts, title: 'Deployment scripts', tenant: true},
  {re: new RegExp(`^#/t/${UUID}/environments$`), view: viewEnvironments, title: 'Environments', tenant: true},
  {re: new RegExp(`^#/t/${UUID}/hosts$`), view: viewHosts, title: 'Hosts', tenant: true},
  {re: new RegExp(`^#/t/${UUID}/sites$`), view: viewSites, title: 'Sites', tenant: true},
  {re: new RegExp(`^#/t/${UUID}/sites/${UUID}$`), view: viewSite, title: 'Site', tenant: true},
  {re: new RegExp(`^#/t/${UUID}/usage(?:\\?from=\\d{4}-\\d{2}-\\d{2}&to=\\d{4}-\\d{2}-\\d{2})?$`), view: viewUsage, title: 'Usage', tenant: true, owner: true},
  {re: /^#\/admin$/, view: viewAdmin, title: 'Instance'},
  {re: /^#\/signup$/, view: viewSignup, title: 'Create an account', public: true},
  {re: /^#\/forgot$/, view: viewForgot, title: 'Forgot your password', public: true},
  {re: /^#\/reset\/(slwr_[A-Za-z0-9_-]{43})$/, view: viewReset, title: 'Set a new password', public: true},
  {re: new RegExp(`^#/t/${UUID}/sso$`), view: viewSso, title: 'Single sign-on', tenant: true, owner: true},
  {re: /^#\/account$/, view: viewAccount, title: 'Your account'},
];

const state = {me: null, tenants: null, admin: null, renderSeq: 0, leave: [], guard: null, carry: false};

// A page's own move elsewhere (after a save, a login, a lost session) keeps what it just announced; a link, the
// tenant switcher or the browser's Back ends it (the hashchange listener below).
function navigate(hash) {
  if (location.hash === hash) render();
  else {
    state.carry = true;
    location.hash = hash;
  }
}

// Whether the account administers the instance: /me says so where it does; else /api/v1/admin/* answers
// it (a 404 to anyone else), asked once per session.
async function instanceAdmin(me) {
  if (typeof me.instanceAdmin === 'boolean') return me.instanceAdmin;
  try {
    await get('/api/v1/admin/tenants?limit=1');
    return true;
  } catch {
    return false;
  }
}

async function loadTenants() {
  const page = await get('/api/v1/tenants?limit=200');
  state.tenants = page.items;
  return state.tenants;
}

function tenantById(id) {
  return (state.tenants || []).find((t) => t.id === id) || null;
}

// The tenant the user last worked in (kept across account pages), or the only one.
function lastTenant() {
  return tenantById(localStorage.getItem('slipway.tenant')) || (state.tenants && state.tenants.length === 1 ? state.tenants[0] : null);
}

function homeHash() {
  const t = lastTenant();
  return t ? `#/t/${t.id}` : '#/tenants';
}

function renderNav(tenant, route) {
  const shell = document.getElementById('shell');
  const nav = clear(document.getElementById('nav'));
  const picker = clear(document.getElementById('picker'));
  const account = clear(document.getElementById('account'));
  const crumb = document.getElementById('crumb');
  shell.classList.toggle('public', !state.me || !!(route && route.public));
  shell.classList.remove('menu-open');
  document.getElementById('menu').setAttribute('aria-expanded', 'false');
  crumb.textContent = tenant ? `${tenant.orgName} · ${route ? route.title : ''}` : route ? route.title : '';
  if (!state.me) return;
  const here = location.hash;
  const link = (hash, text, exact) => h('a', {href: hash, 'aria-current': (exact ? here === hash : here.startsWith(hash)) ? 'page' : null}, text);
  const group = (title, links) => h('div', {class: 'nav-group'}, title ? h('h2', null, title) : null,
    h('ul', null, links.map((l) => h('li', null, l))));

  if (tenant) {
    const base = `#/t/${tenant.id}`;
    const items = [link(base, 'Overview', true), link(`${base}/releases`, 'Releases'), link(`${base}/setup`, 'Setup'),
      link(`${base}/integrations`, 'Integrations'), link(`${base}/members`, 'Members'), link(`${base}/release-settings`, 'Release settings'),
      link(`${base}/notifications`, 'Notifications'),
      link(`${base}/deployments`, 'Deployments'), link(`${base}/deployment-scripts`, 'Deployment scripts'), link(`${base}/hosts`, 'Hosts'),
      link(`${base}/environments`, 'Environments')];
    items.push(link(`${base}/sites`, 'Sites'));
    if (tenant.role === 'owner') items.push(link(`${base}/usage`, 'Usage'));
    if (tenant.role === 'owner') items.push(link(`${base}/audit`, 'Audit log'));
    if (tenant.role === 'owner') items.push(link(`${base}/sso`, 'Single sign-on'));
    nav.append(group(null, items));
  }
  nav.append(group('Account', [link('#/account', 'Your account'), link('#/tokens', 'API tokens'), link('#/activity', 'Your activity'), link('#/tenants', 'All tenants'),
    state.admin ? link('#/admin', 'Instance') : null].filter(Boolean)));

  const select = h('select', {id: 'tenant-switch'},
    (state.tenants || []).map((t) => h('option', {value: t.id}, `${t.orgName} (${t.role})`)),
    tenant ? null : h('option', {value: ''}, 'Choose a tenant…'));
  select.value = tenant ? tenant.id : '';
  select.addEventListener('change', () => {
    if (!select.value) return;
    dismissAnnouncement();
    const page = (location.hash.match(/^#\/t\/[^/]+\/([\w-]+)/) || [])[1];
    const role = tenantById(select.value)?.role;
    navigate(`#/t/${select.value}${page && !(['audit', 'usage', 'sso'].includes(page) && role !== 'owner') ? `/${page}` : ''}`);
  });
  picker.append(h('label', {for: 'tenant-switch'}, 'Tenant'), select);

  const logout = h('button', {type: 'button', class: 'secondary'}, 'Log out');
  logout.addEventListener('click', async () => {
    try {
      await post('/api/v1/auth/logout');
    } catch { /* the session may already be gone */ }
    state.me = null;
    state.admin = null;
    state.tenants = null;
    navigate('#/login');
  });
  account.append(h('a', {class: 'who', href: '#/account', title: `${state.me.email}: your account`}, state.me.email), logout);
}

async function render() {
  const seq = ++state.renderSeq;
  const main = document.getElementById('main');
  let hash = location.hash;
  for (const fn of state.leave.splice(0)) fn(); // the last page's live feeds end
  state.guard = null;
  // No page named: the home of whoever is logged in (a session the page has not seen yet, like the one a
  // single sign-on just made, is asked for below), else the login page.
  if (!hash.startsWith('#/') || hash === '#/') hash = state.me ? homeHash() : '#/';

  const open = ROUTES.some((r) => r.public && r.re.test(hash)); // pages for anyone: logged in or not
  if (!state.me && hash !== '#/login') {
    try {
      state.me = await get('/api/v1/me');
    } catch {
      state.me = null;
    }
    if (seq !== state.renderSeq) return;
    if (!state.me && !open) {
      if (hash !== '#/') sessionStorage.setItem('slipway.after', hash);
      return navigate('#/login');
    }
  }
  if (state.me && !state.tenants) {
    try {
      await loadTenants();
    } catch (e) {
      state.tenants = [];
      announce(e.message);
    }
    if (seq !== state.renderSeq) return;
  }
  if (state.me && state.admin === null) {
    state.admin = await instanceAdmin(state.me);
    if (seq !== state.renderSeq) return;
  }
  if (state.me && (hash === '#/login' || hash === '#/')) hash = homeHash(); // already logged in
  if (location.hash !== hash) {
    history.replaceState(null, '', hash);
  }
  const route = ROUTES.find((r) => r.re.test(hash));
  const m = route ? hash.match(route.re) : null;
  let tenant = null;
  if (route && route.tenant) {
    tenant = tenantById(m[1]);
    if (tenant) localStorage.setItem('slipway.tenant', tenant.id);
  }
  renderNav(tenant || (route && !route.tenant && !route.public ? lastTenant() : null), route);
  clear(main);
  if (!route || (route.tenant && !tenant) || (route.owner && tenant.role !== 'owner')) {
    main.append(h('h1', {tabindex: '-1'}, 'Not found'), h('p', null, 'This page does not exist, or you may not see it. ',
      h('a', {href: '#/tenants'}, 'Go to your tenants.')));
    document.title = 'Not found · slipway';
    main.querySelector('h1').focus();
    return;
  }
  document.title = `${route.title}${tenant ? ` · ${tenant.orgName}` : ''} · slipway`;
  const ctx = {
    main,
    me: state.me,
    tenants: () => state.tenants || [],
    tenant,
    owner: tenant ? tenant.role === 'owner' : false,
    params: m.slice(1),
    navigate,
    stale: () => seq !== state.renderSeq,
    onLeave: (fn) => state.leave.push(fn),
    // fn() true: the page holds unsaved input, and a link away from it asks first.
    guardLeave: (fn) => {
      state.guard = fn;
    },
    loggedIn: async (me) => {
      state.me = me;
      state.admin = null;
      state.tenants = null;
      const after = sessionStorage.getItem('slipway.after');
      sessionStorage.removeItem('slipway.after');
      await loadTenants();
      navigate(after && after !== '#/login' ? after : homeHash());
    },
    tenantsChanged: async () => {
      await loadTenants();
      renderNav(tenant, route);
    },
  };
  try {
    await route.view(ctx);
  } catch (e) {
    if (seq !== state.renderSeq) return;
    if (e instanceof ApiError && e.code === 'unauthenticated') return;
    main.append(h('div', {class: 'error-box', role: 'alert'}, h('p', null, `This page could not be loaded: ${e.message}`)));
  }
  if (seq !== state.renderSeq) return;
  // Keyboard and screen-reader users land on the new page's heading.
  const heading = main.querySelector('h1');
  if (heading && (document.activeElement === document.body || document.activeElement === null)) {
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  }
}

setSessionLostHandler(() => {
  if (!state.me) return;
  state.me = null;
  state.admin = null;
  state.tenants = null;
  sessionStorage.setItem('slipway.after', location.hash);
  announce('Your session ended: log in again.');
  navigate('#/login');
});

document.getElementById('skip').addEventListener('click', (ev) => {
  ev.preventDefault();
  const main = document.getElementById('main');
  (main.querySelector('h1') || main).focus();
});

// A link away from a page with unsaved input asks first (links that ask themselves carry data-guarded).
document.addEventListener('click', async (ev) => {
  const a = ev.target.closest('a[href^="#/"]');
  if (!a || a.dataset.guarded || ev.defaultPrevented || !state.guard || !state.guard()) return;
  ev.preventDefault();
  if (await confirmDialog({title: 'Leave without saving?', body: 'What you entered on this page is not saved yet.',
    confirm: 'Leave without saving', cancel: 'Stay and save'})) {
    state.guard = null;
    dismissAnnouncement();
    navigate(a.getAttribute('href'));
  }
}, true);

document.getElementById('menu').addEventListener('click', (ev) => {
  const open = document.getElementById('shell').classList.toggle('menu-open');
  ev.currentTarget.setAttribute('aria-expanded', String(open));
  if (open) document.querySelector('#nav a')?.focus();
});

window.addEventListener('hashchange', () => {
  if (!state.carry) dismissAnnouncement(); // a toast belongs to the page it was said on
  state.carry = false;
  document.activeElement?.blur?.();
  render();
});
render();
