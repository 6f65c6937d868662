// view-reset.js: a forgotten password (docs/accounts.md, "Password reset"):
// #/forgot asks for the address and the instance mails a link to it (the
// same answer whether or not an account has the address); the link opens
// #/reset/{token}, where the new password is set once. The token stays in
// the page's address after #, which no request carries.

import {h, announce} from './dom.js';
import {post} from './api.js';
import {field, FieldSet} from './forms.js';

function done(section, title, ...words) {
  section.replaceChildren(h('h1', {tabindex: '-1'}, title), h('div', {class: 'notice', role: 'status'}, ...words));
  section.querySelector('h1').focus();
}

function backToLogin() {
  return h('p', {class: 'signup-link'}, h('a', {href: '#/login'}, 'Back to the login page'), '.');
}

export async function viewForgot(ctx) {
  const email = field({name: 'email', kind: 'string', required: true, format: 'email', maxLength: 254}, {label: 'E-mail address'});
  email.control.setAttribute('autocomplete', 'email');
  const set = new FieldSet([email]);
  const submit = h('button', {type: 'submit', class: 'primary'}, 'Send me a link');
  const form = h('form', {novalidate: true, id: 'forgot-form', class: 'boxed'}, set.summary, email.wrap, h('div', {class: 'actions'}, submit));
  const section = h('section', {class: 'narrow'}, h('h1', null, 'Forgot your password?'),
    h('p', null, 'Give the address you log in with: we mail it a link to set a new password.'), form, backToLogin());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    set.clearErrors();
    submit.disabled = true;
    try {
      const address = email.control.value.trim();
      await post('/api/v1/auth/password-reset', {email: address});
      done(section, 'Check your mail', h('p', null, `If an account has the address ${address}, a link to set a new password is on its way. ` +
        'It works once, for a short while.'), backToLogin());
    } catch (e) {
      set.showErrors(e);
      submit.disabled = false;
    }
  });
  ctx.main.append(section);
}

export async function viewReset(ctx) {
  const token = ctx.params[0];
  const password = field({name: 'password', kind: 'string', required: true, minLength: 8, maxLength: 1024},
    {label: 'New password', hint: 'At least 8 characters. Every session and API token of your account ends.'});
  password.control.type = 'password';
  password.control.setAttribute('autocomplete', 'new-password');
  const set = new FieldSet([password]);
  const submit = h('button', {type: 'submit', class: 'primary'}, 'Set my password');
  const form = h('form', {novalidate: true, id: 'reset-form', class: 'boxed'}, set.summary, password.wrap, h('div', {class: 'actions'}, submit));
  const section = h('section', {class: 'narrow'}, h('h1', null, 'Set a new password'), form,
    h('p', {class: 'signup-link'}, 'Link expired or used? ', h('a', {href: '#/forgot'}, 'Ask for a new one'), '.'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    set.clearErrors();
    submit.disabled = true;
    try {
      await post('/api/v1/auth/password-reset/confirm', {token, password: password.control.value});
      password.control.value = '';
      announce('Your password is set');
      done(section, 'Your password is set', h('p', null, 'Log in with it now. Your other sessions and API tokens were ended.'),
        h('p', null, h('a', {href: '#/login', class: 'button primary', id: 'reset-login'}, 'Log in')));
    } catch (e) {
      password.control.value = '';
      submit.disabled = false;
      if (e.status === 404) set.showErrors({details: [], message: 'This link is not valid any more: it was used, or has expired. Ask for a new one.'});
      else set.showErrors(e);
    }
  });
  ctx.main.append(section);
}
