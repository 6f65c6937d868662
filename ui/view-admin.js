// view-admin.js: the instance administrator's page (docs/accounts.md):
// every tenant with its member count, a tenant made for its first owner
// (the owner invitation's link shown once), and every account, disabled or
// enabled, made an administrator or not, with the API's refusals (yourself,
// the last administrator) in words. To anyone else /api/v1/admin/* does not
// exist (404), and neither does this page.

import {h, when, announce, errorBox, showOnce, scrollTable, stackOnPhone, confirmDialog} from './dom.js';
import {get, post, patch, ApiError} from './api.js';
import {field, FieldSet} from './forms.js';
import {pageHead, actButton} from './deploy-common.js';

// Every page of an admin list (newest first).
async function all(path) {
  const items = [];
  let cursor = null;
  do {
    const page = await get(`${path}?${new URLSearchParams(cursor ? {limit: '200', cursor} : {limit: '200'})}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < 2000);
  return items;
}

function tenantsSection(tenants, again) {
  const rows = tenants.map((t) => h('tr', {'data-tenant': t.orgName}, h('td', null, t.orgName, t.slug ? h('div', {class: 'muted mono'}, t.slug) : null),
    h('td', {class: 'num'}, String(t.memberCount)), h('td', null, when(t.createdAt))));
  const name = field({name: 'orgName', kind: 'string', required: true, maxLength: 200}, {label: 'Organisation name'});
  const owner = field({name: 'ownerEmail', kind: 'string', required: true, format: 'email', maxLength: 254},
    {label: 'Owner\'s e-mail address', hint: 'They join as its owner by the invitation\'s link, with an account of this address.'});
  const set = new FieldSet([name, owner]);
  const once = h('div', {class: 'once', hidden: true, role: 'status'});
  const form = h('form', {novalidate: true, id: 'admin-tenant-form', class: 'boxed'}, set.summary, h('div', {class: 'fields'}, name.wrap, owner.wrap),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Create tenant')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    set.clearErrors();
    try {
      const made = await post('/api/v1/admin/tenants', set.collect(false));
      set.initial = set.snapshot();
      form.hidden = true;
      showOnce(once, {id: 'owner-link', label: 'Owner invitation link', value: `${location.origin}/#/invite/${made.invitation.inviteToken}`,
        done: again, words: [h('p', null, `${made.tenant.orgName} is made. Send this link to ${made.invitation.email}: it is shown only once, ` +
          'and works until ', when(made.invitation.expiresAt), '. The tenant has no member until they accept.')]});
    } catch (e) {
      set.showErrors(e);
    }
  });
  return {set, section: h('section', {class: 'section', 'aria-labelledby': 'admin-tenants'}, h('h2', {id: 'admin-tenants'}, 'Tenants'),
    tenants.length ? stackOnPhone(scrollTable('Every tenant', h('thead', null, h('tr', null, h('th', {scope: 'col'}, 'Tenant'), h('th', {scope: 'col', class: 'num'}, 'Members'),
      h('th', {scope: 'col'}, 'Created'))),
      h('tbody', null, rows))) : h('p', {class: 'muted'}, 'No tenants.'),
    h('h3', {class: 'section-sub'}, 'Create a tenant for someone'), form, once)};
}

function accountsSection(ctx, accounts, again) {
  const box = errorBox();
  const change = (a, body, title, what) => actButton(box, title, async () => {
    if (!(await confirmDialog({title: `${title}: ${a.email}?`, confirm: title, danger: body.disabled === true || body.instanceAdmin === false,
      body: what}))) return;
    await patch(`/api/v1/admin/accounts/${a.id}`, body);
    announce(`${a.email}: ${title.toLowerCase()} done`);
    again();
  }, {'aria-label': `${title}: ${a.email}`});
  const rows = accounts.map((a) => h('tr', {'data-account': a.email},
    h('td', null, a.email, a.id === ctx.me.id ? h('span', {class: 'muted'}, ' (you)') : null, h('div', {class: 'muted'}, a.name)),
    h('td', null, a.disabledAt ? h('span', {class: 'badge badge-failure', 'data-status': 'DISABLED'}, 'Disabled')
      : h('span', {class: 'badge badge-success', 'data-status': 'ACTIVE'}, 'Active'),
    a.disabledAt ? h('div', {class: 'muted'}, 'since ', when(a.disabledAt)) : null),
    h('td', null, a.instanceAdmin ? 'Administrator' : h('span', {class: 'muted'}, '–')),
    h('td', null, a.hasPassword ? 'Password' : 'Single sign-on'),
    h('td', null, when(a.createdAt)),
    h('td', {class: 'row-actions'},
      a.disabledAt
        ? change(a, {disabled: false}, 'Enable', 'They can log in again (their old sessions and tokens stay revoked).')
        : change(a, {disabled: true}, 'Disable', 'Every session and API token of theirs is revoked now, and no way in works until enabled again.'),
      a.instanceAdmin
        ? change(a, {instanceAdmin: false}, 'Remove administrator', 'They no longer see this page nor manage the instance.')
        : change(a, {instanceAdmin: true}, 'Make administrator', 'They can see every tenant and account, and disable accounts.'))));
  return h('section', {class: 'section', 'aria-labelledby': 'admin-accounts'}, h('h2', {id: 'admin-accounts'}, 'Accounts'), box,
    stackOnPhone(scrollTable('Every account', h('thead', null, h('tr', null, ['Account', 'State', 'Role', 'Logs in with', 'Created'].map((c) => h('th', {scope: 'col'}, c)),
      h('th', {scope: 'col'}, h('span', {class: 'sr-only'}, 'Actions')))), h('tbody', null, rows))));
}

export async function viewAdmin(ctx) {
  let tenants;
  let accounts;
  try {
    [tenants, accounts] = await Promise.all([all('/api/v1/admin/tenants'), all('/api/v1/admin/accounts')]);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404) throw e;
    if (ctx.stale()) return;
    ctx.main.append(h('h1', null, 'Not found'), h('p', null, 'This page is for the instance administrator. ',
      h('a', {href: '#/tenants'}, 'Go to your tenants.')));
    return;
  }
  if (ctx.stale()) return;
  const again = () => ctx.navigate(location.hash);
  const made = tenantsSection(tenants, again);
  ctx.main.append(pageHead('Instance', 'Every tenant and account of this slipway. Only instance administrators see this page.'),
    made.section, accountsSection(ctx, accounts, again));
  ctx.guardLeave(() => made.set.dirty());
}
