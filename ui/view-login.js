// view-login.js: e-mail and password; the session becomes an HttpOnly cookie.

import {h, showError} from './dom.js';
import {post} from './api.js';
import {field, FieldSet} from './forms.js';

export async function viewLogin(ctx) {
  const email = field({name: 'email', kind: 'string', required: true, format: 'email', maxLength: 254}, {label: 'E-mail address'});
  email.control.setAttribute('autocomplete', 'username');
  const password = field({name: 'password', kind: 'string', required: true, maxLength: 1024}, {label: 'Password'});
  password.control.type = 'password';
  password.control.setAttribute('autocomplete', 'current-password');
  const set = new FieldSet([email, password]);
  const submit = h('button', {type: 'submit', class: 'primary'}, 'Log in');
  const form = h('form', {class: 'login boxed', novalidate: true}, set.summary, email.wrap, password.wrap, h('div', {class: 'actions'}, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    set.clearErrors();
    submit.disabled = true;
    try {
      const answer = await post('/api/v1/auth/login', {email: email.control.value.trim(), password: password.control.value, cookie: true});
      password.control.value = '';
      await ctx.loggedIn(answer.account);
    } catch (e) {
      password.control.value = '';
      if (e.code === 'invalid_credentials') showError(set.summary, 'Wrong e-mail address or password.');
      else set.showErrors(e);
      (e.details.length ? null : email.control)?.focus();
    } finally {
      submit.disabled = false;
    }
  });
  ctx.main.append(h('section', {class: 'narrow'}, h('h1', null, 'Log in to slipway'), form));
}
