// view-tenants.js: the tenants I belong to, and a new one.

import {h, announce} from './dom.js';
import {post} from './api.js';
import {field, FieldSet} from './forms.js';

export async function viewTenants(ctx) {
  const list = h('ul', {class: 'tenant-list'});
  const tenants = ctx.tenants();
  for (const t of tenants) {
    list.append(h('li', null, h('a', {href: `#/t/${t.id}`}, t.orgName), h('span', {class: 'role'}, t.role)));
  }
  const name = field({name: 'orgName', kind: 'string', required: true, maxLength: 200}, {label: 'Organisation name'});
  const set = new FieldSet([name]);
  const form = h('form', {novalidate: true, class: 'boxed'}, set.summary, name.wrap, h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Create tenant')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    set.clearErrors();
    try {
      const t = await post('/api/v1/tenants', set.collect(false));
      announce(`${t.orgName} created`);
      await ctx.tenantsChanged();
      ctx.navigate(`#/t/${t.id}/setup`); // a new tenant starts with its setup
    } catch (e) {
      set.showErrors(e);
    }
  });
  ctx.main.append(
    h('h1', null, 'Your tenants'),
    tenants.length ? list : h('p', null, 'You are not a member of any tenant yet.'),
    h('section', {class: 'section', 'aria-labelledby': 'new-tenant'}, h('h2', {id: 'new-tenant'}, 'Create a tenant'),
      h('p', {class: 'muted'}, 'You become its owner.'), form));
}
