// view-signup.js: open sign-up (#/signup, docs/accounts.md): an account, a
// tenant it owns and a login in one request, when the instance allows it.
// Off (the default), the API answers 404 with its reason and the page says
// sign-up is closed: accounts come by invitation and single sign-on.

import {h, announce} from './dom.js';
import {post} from './api.js';
import {field, FieldSet} from './forms.js';

function closed(reason) {
  return h('div', {class: 'notice', id: 'signup-closed', role: 'status'}, h('p', null, h('strong', null, 'Sign-up is closed on this slipway.')),
    h('p', null, `${reason.charAt(0).toUpperCase()}${reason.slice(1)}.`),
    h('p', null, 'Already have an account? ', h('a', {href: '#/login'}, 'Log in'), '.'));
}

export async function viewSignup(ctx) {
  const email = field({name: 'email', kind: 'string', required: true, format: 'email', maxLength: 254}, {label: 'E-mail address'});
  const password = field({name: 'password', kind: 'string', required: true, minLength: 8, maxLength: 1024},
    {label: 'Choose a password', hint: 'At least 8 characters.'});
  password.control.type = 'password';
  password.control.setAttribute('autocomplete', 'new-password');
  email.control.setAttribute('autocomplete', 'email');
  const name = field({name: 'name', kind: 'string', maxLength: 200}, {label: 'Your name', hint: 'Empty: the part of your address before the @.'});
  const org = field({name: 'orgName', kind: 'string', required: true, maxLength: 200},
    {label: 'Organisation name', hint: 'Your first tenant: you are its owner, and invite the others.'});
  const set = new FieldSet([email, password, name, org]);
  const submit = h('button', {type: 'submit', class: 'primary'}, 'Create my account');
  const form = h('form', {novalidate: true, id: 'signup-form', class: 'boxed'}, set.summary, email.wrap, password.wrap, name.wrap, org.wrap,
    h('div', {class: 'actions'}, submit));
  const section = h('section', {class: 'narrow'}, h('h1', null, 'Create an account'), form,
    h('p', {class: 'signup-link'}, 'Already have an account? ', h('a', {href: '#/login'}, 'Log in'), '.'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    set.clearErrors();
    submit.disabled = true;
    try {
      const made = await post('/api/v1/auth/signup', {...set.collect(false), cookie: true});
      password.control.value = '';
      announce(`Welcome: ${made.tenant.orgName} is yours`);
      sessionStorage.setItem('slipway.after', `#/t/${made.tenant.id}/setup`); // a new tenant starts with its setup
      await ctx.loggedIn(made.account);
    } catch (e) {
      password.control.value = '';
      submit.disabled = false;
      if (e.status !== 404) return set.showErrors(e);
      section.replaceChildren(h('h1', {tabindex: '-1'}, 'Create an account'), closed(e.message));
      section.querySelector('h1').focus();
    }
  });
  ctx.main.append(section);
}
