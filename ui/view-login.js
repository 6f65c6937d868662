// view-login.js: e-mail and password (the session becomes an HttpOnly
// cookie), or single sign-on: the tenant's identity providers found by its
// slug or by a work e-mail's domain (GET /api/v1/auth/sso), each a "Sign in
// with ..." link the browser follows to the provider. The last provider
// used is remembered on this browser and offered first. A sign-on that
// failed comes back here with its reason in ?sso_error= (docs/sso.md). Below the
// form: "Forgot password?" when the instance mails resets, and the sign-up
// link when open sign-up is on (GET /api/v1/auth/options says which).

import {h, clear, showError, errorBox} from './dom.js';
import {get, post} from './api.js';
import {field, FieldSet} from './forms.js';

const REMEMBERED = 'slipway.sso';

function remembered() {
  try {
    const r = JSON.parse(localStorage.getItem(REMEMBERED) || 'null');
    return r && typeof r.name === 'string' && /^\/api\/v1\/auth\/oidc\/[0-9a-f-]{36}\/start$/.test(r.loginUrl) ? r : null;
  } catch {
    return null;
  }
}

function ssoLink(p) {
  const a = h('a', {href: p.loginUrl, class: 'button sso-choice'}, h('span', null, `Sign in with ${p.name}`), h('span', {'aria-hidden': 'true'}, '→'));
  a.addEventListener('click', () => localStorage.setItem(REMEMBERED, JSON.stringify({name: p.name, loginUrl: p.loginUrl})));
  return a;
}

// The reason a sign-on failed, from the URL the server sent the browser back to; taken off the URL once read.
function ssoFailure() {
  const reason = new URLSearchParams(location.search).get('sso_error');
  if (reason !== null) history.replaceState(null, '', location.pathname + location.hash);
  return reason;
}

function ssoSection() {
  const box = errorBox();
  const failed = ssoFailure();
  if (failed) showError(box, `Single sign-on did not sign you in: ${failed}`);
  const who = field({name: 'who', kind: 'string', required: true, maxLength: 254},
    {label: 'Work e-mail or organisation', hint: 'Your work address (you@example.com) or your organisation\'s short name (acme).'});
  const set = new FieldSet([who]);
  const choices = h('div', {class: 'sso-choices', id: 'sso-choices', 'aria-live': 'polite'});
  const last = remembered();
  if (last) choices.append(ssoLink(last));
  const submit = h('button', {type: 'submit', class: 'secondary'}, 'Find my sign-on');
  const form = h('form', {class: 'login boxed', id: 'sso-form', novalidate: true}, box, set.summary, who.wrap,
    h('div', {class: 'actions'}, submit), choices);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    set.clearErrors();
    const v = who.control.value.trim();
    if (!v) return set.showErrors({details: [{field: 'who', message: 'is required'}]});
    submit.disabled = true;
    try {
      const q = v.includes('@') ? `email=${encodeURIComponent(v)}` : `tenant=${encodeURIComponent(v.toLowerCase())}`;
      const found = await get(`/api/v1/auth/sso?${q}`);
      clear(choices);
      if (found.items.length) choices.append(...found.items.map(ssoLink));
      else choices.append(h('p', {class: 'muted'}, 'No single sign-on is set up for that. Log in with your password, or ask an owner of your tenant.'));
      choices.querySelector('a')?.focus();
    } catch (e) {
      set.showErrors(e);
    } finally {
      submit.disabled = false;
    }
  });
  return h('section', {class: 'sso', 'aria-labelledby': 'sso-title'}, h('h2', {id: 'sso-title'}, 'Single sign-on'), form);
}

export async function viewLogin(ctx) {
  const email = field({name: 'email', kind: 'string', required: true, format: 'email', maxLength: 254}, {label: 'E-mail address'});
  email.control.setAttribute('autocomplete', 'username');
  const password = field({name: 'password', kind: 'string', required: true, maxLength: 1024}, {label: 'Password'});
  password.control.type = 'password';
  password.control.setAttribute('autocomplete', 'current-password');
  // Asked only once the password was right and the account has two-factor sign-in on (401 totp_required).
  const code = field({name: 'totpCode', kind: 'string', maxLength: 64}, {label: 'Code from your authenticator app, or a recovery code'});
  code.control.setAttribute('autocomplete', 'one-time-code');
  const set = new FieldSet([email, password]);
  const submit = h('button', {type: 'submit', class: 'primary'}, 'Log in');
  const form = h('form', {class: 'login boxed', novalidate: true}, set.summary, email.wrap, password.wrap, h('div', {class: 'actions'}, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    set.clearErrors();
    submit.disabled = true;
    try {
      const second = code.control.value.trim();
      const factor = !code.wrap.isConnected || !second ? {} : /^[0-9]{6}$/.test(second) ? {totpCode: second} : {recoveryCode: second};
      const answer = await post('/api/v1/auth/login', {email: email.control.value.trim(), password: password.control.value, cookie: true, ...factor});
      password.control.value = '';
      await ctx.loggedIn(answer.account);
    } catch (e) {
      code.control.value = '';
      if (e.code === 'totp_required') {
        password.wrap.after(code.wrap); // in the form from now on
        showError(set.summary, 'Enter the code your authenticator app shows now, or one of your recovery codes.');
        code.control.focus();
        return;
      }
      password.control.value = '';
      if (e.code === 'invalid_credentials') showError(set.summary, code.wrap.isConnected ? 'Wrong password or code.' : 'Wrong e-mail address or password.');
      else set.showErrors(e);
      (e.details.length ? null : email.control)?.focus();
    } finally {
      submit.disabled = false;
    }
  });
  const options = await get('/api/v1/auth/options').catch(() => ({}));
  if (ctx.stale()) return;
  if (options.passwordReset) form.append(h('p', {class: 'forgot-link'}, h('a', {href: '#/forgot', id: 'forgot-link'}, 'Forgot password?')));
  ctx.main.append(h('section', {class: 'narrow'}, h('h1', null, 'Log in to slipway'), form, ssoSection(),
    options.signup ? h('p', {class: 'signup-link'}, 'New to slipway? ', h('a', {href: '#/signup'}, 'Create an account')) : null));
}
