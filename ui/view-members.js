// view-members.js: who belongs to the tenant with which role. Owners add,
// change and remove members; others see the list.

import {h, when, announce, errorBox, showError, copyButton, scrollTable} from './dom.js';
import {get, post, patch, del, tenantPath} from './api.js';
import {field, FieldSet} from './forms.js';

const ROLES = ['owner', 'editor', 'viewer'];

export async function viewMembers(ctx) {
  const tenantId = ctx.tenant.id;
  const page = await get(tenantPath(tenantId, '/members?limit=200'));
  if (ctx.stale()) return;
  const again = () => ctx.navigate(location.hash);
  const box = errorBox();

  const rows = page.items.map((m) => {
    const cells = [h('td', null, m.email), h('td', null, m.name), h('td', null, when(m.createdAt))];
    if (ctx.owner) {
      const id = `role-${m.accountId}`;
      const select = h('select', {id, 'aria-label': `Role of ${m.email}`}, ROLES.map((r) => h('option', {value: r}, r)));
      select.value = m.role;
      select.addEventListener('change', async () => {
        showError(box, null);
        try {
          await patch(tenantPath(tenantId, `/members/${m.accountId}`), {role: select.value});
          announce(`${m.email} is now ${select.value}`);
          if (m.accountId === ctx.me.id) await ctx.tenantsChanged();
          m.role = select.value;
          if (m.accountId === ctx.me.id && select.value !== 'owner') again();
        } catch (e) {
          select.value = m.role;
          showError(box, e.message);
        }
      });
      const remove = h('button', {type: 'button', class: 'danger', 'aria-label': `Remove ${m.email}`}, 'Remove');
      remove.addEventListener('click', async () => {
        showError(box, null);
        try {
          await del(tenantPath(tenantId, `/members/${m.accountId}`));
          announce(`${m.email} removed`);
          if (m.accountId === ctx.me.id) {
            await ctx.tenantsChanged();
            ctx.navigate('#/tenants');
          } else {
            again();
          }
        } catch (e) {
          showError(box, e.message);
        }
      });
      cells.splice(2, 0, h('td', null, select));
      cells.push(h('td', null, remove));
    } else {
      cells.splice(2, 0, h('td', null, m.role));
    }
    return h('tr', {'data-account': m.accountId}, cells);
  });

  ctx.main.append(h('h1', null, 'Members'), box,
    scrollTable(`Members of ${ctx.tenant.orgName}`,
      h('thead', null, h('tr', null, h('th', {scope: 'col'}, 'E-mail'), h('th', {scope: 'col'}, 'Name'), h('th', {scope: 'col'}, 'Role'),
        h('th', {scope: 'col'}, 'Member since'), ctx.owner ? h('th', {scope: 'col'}, h('span', {class: 'sr-only'}, 'Actions')) : null)),
      h('tbody', null, rows)));
  if (ctx.owner) ctx.main.append(addForm(tenantId, again));
}

function addForm(tenantId, again) {
  const email = field({name: 'email', kind: 'string', required: true, format: 'email', maxLength: 254}, {label: 'E-mail address'});
  const name = field({name: 'name', kind: 'string', maxLength: 200}, {label: 'Name (for a new account)'});
  const role = field({name: 'role', kind: 'string', required: true, allowed: ROLES}, {value: 'viewer', label: 'Role'});
  const set = new FieldSet([email, name, role]);
  const result = h('div', {class: 'once', hidden: true, role: 'status'});
  const form = h('form', {novalidate: true, id: 'member-form'}, set.summary, email.wrap, name.wrap, role.wrap,
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Add member')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    set.clearErrors();
    try {
      const m = await post(tenantPath(tenantId, '/members'), set.collect(false));
      if (m.initialPassword) {
        // A new account: its password is shown once, here, for the owner to pass on.
        const pw = h('input', {type: 'text', readonly: true, id: 'initial-password', value: m.initialPassword, class: 'mono'});
        result.replaceChildren(h('p', null, `${m.email} has a new account. Give them this password; it is not shown again.`),
          h('label', {for: 'initial-password'}, 'Initial password'), h('div', {class: 'copy-row'}, pw, copyButton(() => pw.value)),
          h('button', {type: 'button', class: 'secondary', onclick: again}, 'Done'));
        result.hidden = false;
        form.hidden = true;
      } else {
        announce(`${m.email} added`);
        again();
      }
    } catch (e) {
      set.showErrors(e);
    }
  });
  return h('section', {'aria-labelledby': 'add-member'}, h('h2', {id: 'add-member'}, 'Add a member'), form, result);
}
