// view-invite.js: the page an invitation link opens (#/invite/{token}).
// Logged in, the invitee accepts as their account; otherwise they create
// their account here (their own password), or log in first and come back.
// When the tenant has single sign-on, the page also offers "Sign in with
// <provider>": that login accepts the invitation for the address the
// provider vouches for (docs/sso.md, "Invitations through single sign-on").
// The token stays in the page's address after #, which no request carries
// but the sign-on's own start, which needs it.

import {h, announce, errorBox, showError} from './dom.js';
import {get, post} from './api.js';
import {field, FieldSet} from './forms.js';

export async function viewInvite(ctx) {
  const token = ctx.params[0];
  const box = errorBox();
  const joined = async (m) => {
    announce('You joined the tenant');
    if (!ctx.me) {
      sessionStorage.setItem('slipway.after', `#/t/${m.tenantId}`);
      return;
    }
    await ctx.tenantsChanged();
    ctx.navigate(`#/t/${m.tenantId}`);
  };
  const sso = ctx.me ? {items: []} : await get(`/api/v1/auth/sso?invite=${encodeURIComponent(token)}`).catch(() => ({items: []}));
  if (ctx.stale()) return;
  ctx.main.append(h('section', {class: 'narrow'}, h('h1', null, 'Join a tenant'), box,
    ctx.me ? acceptAs(ctx, token, box, joined) : createAccount(ctx, token, box, joined), ssoOffer(sso.items)));
}

// The tenant's sign-on, for an invitee who joins with their work identity instead of a password.
function ssoOffer(providers) {
  if (!providers.length) return null;
  return h('section', {class: 'sso', id: 'invite-sso', 'aria-labelledby': 'invite-sso-title'},
    h('h2', {id: 'invite-sso-title'}, 'Or join through single sign-on'),
    h('p', {class: 'muted'}, 'It must vouch for the invited address.'),
    h('div', {class: 'sso-choices'}, providers.map((p) => h('a', {href: p.loginUrl, class: 'button sso-choice'},
      h('span', null, `Sign in with ${p.name}`), h('span', {'aria-hidden': 'true'}, '→')))));
}

function acceptAs(ctx, token, box, joined) {
  const accept = h('button', {type: 'button', class: 'primary'}, 'Accept the invitation');
  accept.addEventListener('click', async () => {
    showError(box, null);
    accept.disabled = true;
    try {
      await joined(await post('/api/v1/invitations/accept', {token}));
    } catch (e) {
      showError(box, e.message);
      accept.disabled = false;
    }
  });
  return h('div', null,
    h('p', null, `You were invited to a tenant on slipway. You are logged in as ${ctx.me.email}: the invitation must be for this address.`),
    h('div', {class: 'actions'}, accept));
}

function createAccount(ctx, token, box, joined) {
  const name = field({name: 'name', kind: 'string', maxLength: 200},
    {label: 'Your name', hint: 'Empty: the part of your address before the @.'});
  const password = field({name: 'password', kind: 'string', required: true, minLength: 8, maxLength: 1024},
    {label: 'Choose a password', hint: 'At least 8 characters.'});
  password.control.type = 'password';
  password.control.setAttribute('autocomplete', 'new-password');
  const set = new FieldSet([name, password]);
  const submit = h('button', {type: 'submit', class: 'primary'}, 'Create my account and join');
  const form = h('form', {novalidate: true, id: 'join-form', class: 'boxed'}, set.summary, name.wrap, password.wrap, h('div', {class: 'actions'}, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    set.clearErrors();
    submit.disabled = true;
    const secret = password.control.value;
    try {
      const m = await post('/api/v1/invitations/accept', {token, ...set.collect(false)});
      password.control.value = '';
      await joined(m);
      const answer = await post('/api/v1/auth/login', {email: m.email, password: secret, cookie: true});
      await ctx.loggedIn(answer.account);
    } catch (e) {
      password.control.value = '';
      if (e.status === 409) showError(box, e.message, [loginLink('Log in, then accept.')]); // the address has an account
      else set.showErrors(e);
      submit.disabled = false;
    }
  });
  return h('div', null, h('p', null, 'You were invited to a tenant on slipway. Create your account to join it, or ',
    loginLink('log in'), ' first if you have one.'), form);
}

// A link to the login page, which comes back to this invitation afterwards.
function loginLink(text) {
  return h('a', {href: '#/login', onclick: () => sessionStorage.setItem('slipway.after', location.hash)}, text);
}
