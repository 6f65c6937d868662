// view-members.js: who belongs to the tenant with which role. Owners invite
// (the invitation's link is shown once), see and revoke pending invitations,
// change roles and remove members, each confirmed first; others see the list.

import {h, when, announce, errorBox, showError, copyButton, scrollTable, confirmDialog} from './dom.js';
import {get, post, patch, del, tenantPath} from './api.js';
import {field, FieldSet} from './forms.js';

const ROLES = ['owner', 'editor', 'viewer'];
const ROLE_CAN = {
  owner: 'change the setup, integrations and members, and read the audit log',
  editor: 'run releases and deployments, but not change the setup or members',
  viewer: 'see status only, never credentials',
};
const an = (role) => `${role === 'owner' || role === 'editor' ? 'an' : 'a'} ${role}`;

export async function viewMembers(ctx) {
  const tenantId = ctx.tenant.id;
  const [page, invitations] = await Promise.all([get(tenantPath(tenantId, '/members?limit=200')),
    ctx.owner ? get(tenantPath(tenantId, '/invitations?limit=200')) : null]);
  if (ctx.stale()) return;
  const again = () => ctx.navigate(location.hash);
  const box = errorBox();

  const rows = page.items.map((m) => {
    const cells = [h('td', null, m.email, m.accountId === ctx.me.id ? h('span', {class: 'muted'}, ' (you)') : null), h('td', null, m.name),
      h('td', null, when(m.createdAt))];
    if (ctx.owner) {
      const id = `role-${m.accountId}`;
      const select = h('select', {id, 'aria-label': `Role of ${m.email}`}, ROLES.map((r) => h('option', {value: r}, r)));
      select.value = m.role;
      select.addEventListener('change', async () => {
        showError(box, null);
        const self = m.accountId === ctx.me.id;
        if (!(await confirmDialog({title: `Make ${m.email} ${an(select.value)}?`, confirm: `Make ${select.value}`, danger: self,
          body: `${self ? 'You' : m.email} will ${ROLE_CAN[select.value]}.${self && select.value !== 'owner' ? ' You cannot undo this yourself.' : ''}`}))) {
          select.value = m.role;
          return;
        }
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
        const self = m.accountId === ctx.me.id;
        if (!(await confirmDialog({title: self ? `Leave ${ctx.tenant.orgName}?` : `Remove ${m.email}?`,
          confirm: self ? 'Leave the tenant' : `Remove ${m.email}`,
          body: `${self ? 'You' : 'They'} lose access to ${ctx.tenant.orgName} at once; an owner can invite ${self ? 'you' : 'them'} again.`}))) return;
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

  ctx.main.append(h('div', {class: 'page-head'}, h('div', null, h('h1', null, 'Members'),
    h('p', {class: 'sub'}, `${page.items.length} member${page.items.length === 1 ? '' : 's'} of ${ctx.tenant.orgName}`))), box,
    scrollTable(`Members of ${ctx.tenant.orgName}`,
      h('thead', null, h('tr', null, h('th', {scope: 'col'}, 'E-mail'), h('th', {scope: 'col'}, 'Name'), h('th', {scope: 'col'}, 'Role'),
        h('th', {scope: 'col'}, 'Member since'), ctx.owner ? h('th', {scope: 'col'}, h('span', {class: 'sr-only'}, 'Actions')) : null)),
      h('tbody', null, rows)));
  if (ctx.owner) ctx.main.append(pendingList(tenantId, invitations.items, box, again), inviteForm(tenantId, again));
}

function pendingList(tenantId, items, box, again) {
  const section = h('section', {class: 'section', 'aria-labelledby': 'pending-title'}, h('h2', {id: 'pending-title'}, 'Pending invitations'));
  if (!items.length) {
    section.append(h('p', {class: 'muted'}, 'No pending invitations.'));
    return section;
  }
  const rows = items.map((i) => {
    const revoke = h('button', {type: 'button', class: 'danger', 'aria-label': `Revoke the invitation of ${i.email}`}, 'Revoke');
    revoke.addEventListener('click', async () => {
      showError(box, null);
      if (!(await confirmDialog({title: `Revoke the invitation of ${i.email}?`, confirm: 'Revoke the invitation',
        body: 'Its link stops working at once.'}))) return;
      try {
        await del(tenantPath(tenantId, `/invitations/${i.id}`));
        announce(`The invitation of ${i.email} is revoked`);
        again();
      } catch (e) {
        showError(box, e.message);
      }
    });
    return h('tr', {'data-invitation': i.id}, h('td', null, i.email), h('td', null, i.role), h('td', null, when(i.expiresAt)),
      h('td', null, revoke));
  });
  section.append(scrollTable('Pending invitations',
    h('thead', null, h('tr', null, h('th', {scope: 'col'}, 'E-mail'), h('th', {scope: 'col'}, 'Role'), h('th', {scope: 'col'}, 'Expires'),
      h('th', {scope: 'col'}, h('span', {class: 'sr-only'}, 'Actions')))),
    h('tbody', null, rows)));
  return section;
}

function inviteForm(tenantId, again) {
  const email = field({name: 'email', kind: 'string', required: true, format: 'email', maxLength: 254}, {label: 'E-mail address'});
  const role = field({name: 'role', kind: 'string', required: true, allowed: ROLES}, {value: 'viewer', label: 'Role'});
  const set = new FieldSet([email, role]);
  const result = h('div', {class: 'once', hidden: true, role: 'status'});
  const form = h('form', {novalidate: true, id: 'invite-form', class: 'boxed'}, set.summary, h('div', {class: 'fields'}, email.wrap, role.wrap),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Invite')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    set.clearErrors();
    try {
      const inv = await post(tenantPath(tenantId, '/members'), set.collect(false));
      // The link holds the invitation's token: shown once, here, for the owner to send. After # it never reaches a server.
      const link = h('input', {type: 'text', readonly: true, id: 'invite-link', value: `${location.origin}/#/invite/${inv.inviteToken}`,
        class: 'mono'});
      result.replaceChildren(
        h('p', null, `Send ${inv.email} this link to join as ${inv.role}. It works once, until `, when(inv.expiresAt),
          ', and is not shown again. They join when they open it: with their account, or by creating one.'),
        h('label', {for: 'invite-link'}, 'Invitation link'), h('div', {class: 'copy-row'}, link, copyButton(() => link.value)),
        h('button', {type: 'button', class: 'secondary', onclick: again}, 'Done: hide it'));
      result.hidden = false;
      form.hidden = true;
      link.focus();
      link.select();
    } catch (e) {
      set.showErrors(e);
    }
  });
  return h('section', {class: 'section', 'aria-labelledby': 'invite-member'}, h('h2', {id: 'invite-member'}, 'Invite a member'), form, result);
}
