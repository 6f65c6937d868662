// view-environments.js: where deployments go (docs/deployments.md
// "Environments"). Every member reads the list: each environment's
// protection (how many approvals, from which roles) and whether it is
// frozen, with the reason. Owners add and edit environments, and freeze one
// with a reason (no step of a deployment to it begins until it is unfrozen)
// or unfreeze it.

import {h, when, announce, errorBox, showError, scrollTable, confirmDialog} from './dom.js';
import {post, get, del, tenantPath} from './api.js';
import {field} from './forms.js';
import {pageHead, actButton, rowForm} from './deploy-common.js';

const ROLE_WORDS = {editor: 'editors', owner: 'owners'};

function environmentFields(env) {
  const v = (k) => (env ? env[k] : undefined);
  return [
    field({name: 'name', kind: 'string', required: true, maxLength: 100}, {label: 'Name', value: v('name'), hint: 'e.g. production'}),
    field({name: 'protected', kind: 'boolean', default: false}, {label: 'Protected: deployments wait for approvals', value: v('protected')}),
    field({name: 'requiredApprovals', kind: 'integer', minimum: 1, maximum: 10, default: 1},
      {label: 'Approvals needed', value: v('requiredApprovals')}),
    field({name: 'approverRoles', kind: 'array', allowed: ['editor', 'owner']},
      {label: 'Who may approve', value: v('approverRoles') || ['editor', 'owner']}),
  ];
}

// "2 approvals from owners", or "Open" for an unprotected one.
export function protectionWords(env) {
  if (!env.protected) return 'Not protected';
  const who = env.approverRoles.map((r) => ROLE_WORDS[r] || r).join(' or ');
  return `${env.requiredApprovals} approval${env.requiredApprovals === 1 ? '' : 's'} from ${who}`;
}

export function frozenBadge(env) {
  return env.frozen ? h('span', {class: 'badge badge-failure', 'data-status': 'FROZEN'}, 'Frozen')
    : h('span', {class: 'badge badge-success', 'data-status': 'OPEN'}, 'Open');
}

// The owner's freeze: a reason, then the environment frozen.
function freezeForm(box, env, path, done) {
  const reason = h('input', {id: 'freeze-reason', name: 'reason', maxlength: 500, required: true, 'aria-describedby': 'freeze-hint'});
  const form = h('form', {id: 'freeze-form', class: 'boxed', novalidate: true},
    h('h2', null, `Freeze ${env.name}`),
    h('div', {class: 'field'}, h('label', {for: 'freeze-reason'}, 'Reason'), reason,
      h('p', {class: 'hint', id: 'freeze-hint'}, 'Shown on every deployment it holds. A deployment under way finishes the step it is on.')),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'danger solid'}, 'Freeze'),
      h('button', {type: 'button', class: 'secondary', onclick: done}, 'Cancel')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showError(box, null);
    try {
      await post(`${path}/freeze`, {reason: reason.value.trim()});
      announce(`${env.name} frozen`);
      done();
    } catch (e) {
      showError(box, e.message);
    }
  });
  return form;
}

export async function viewEnvironments(ctx) {
  const tenantId = ctx.tenant.id;
  const listPath = tenantPath(tenantId, '/environments');
  const envs = (await get(`${listPath}?limit=200`)).items;
  if (ctx.stale()) return;
  const again = () => ctx.navigate(location.hash);
  const box = errorBox();
  const edit = h('div', {id: 'environment-edit'});
  let editing = null;
  const rows = envs.map((env) => {
    const path = `${listPath}/${env.id}`;
    const actions = ctx.owner ? h('td', {class: 'row-actions'},
      env.frozen ? actButton(box, 'Unfreeze', async () => {
        await post(`${path}/unfreeze`);
        announce(`${env.name} unfrozen: its deployments go on`);
        again();
      }) : actButton(box, 'Freeze', async () => {
        edit.replaceChildren(freezeForm(box, env, path, again));
        edit.querySelector('input').focus();
      }),
      actButton(box, 'Edit', async () => {
        editing = rowForm({id: 'environment-form', fields: environmentFields(env), listPath, row: env, done: again});
        edit.replaceChildren(h('h2', null, `Edit ${env.name}`), editing.form);
        editing.form.querySelector('input').focus();
      }),
      actButton(box, 'Delete', async () => {
        if (!(await confirmDialog({title: `Delete ${env.name}?`, confirm: 'Delete the environment',
          body: 'An environment that deployments name is kept for their record.'}))) return;
        await del(path);
        announce('Environment deleted');
        again();
      })) : null;
    return h('tr', {'data-environment': env.name}, h('td', {class: 'nowrap'}, env.name),
      h('td', null, protectionWords(env)),
      h('td', null, frozenBadge(env), env.frozen ? h('div', {class: 'wrap muted', 'data-frozen-reason': 'true'}, env.frozenReason) : null,
        env.frozen ? h('div', {class: 'muted'}, 'since ', when(env.frozenAt, {relative: true})) : null),
      actions);
  });
  const head = h('thead', null, h('tr', null, ['Environment', 'Protection', 'State'].map((c) => h('th', {scope: 'col'}, c)),
    ctx.owner ? h('th', {scope: 'col'}, h('span', {class: 'sr-only'}, 'Actions')) : null));
  const create = ctx.owner ? rowForm({id: 'environment-create', fields: environmentFields(null), listPath, submit: 'Add environment', done: again}) : null;
  ctx.main.append(pageHead('Environments', ctx.owner ? 'Where deployments go: protect one to require approvals, freeze one to hold its deployments.'
    : 'Where deployments go. Only an owner can change them.'), box,
  envs.length ? scrollTable('Environments', head, h('tbody', null, rows)) : h('p', {class: 'muted'}, 'No environments yet.'), edit,
  create ? h('section', {class: 'section', 'aria-labelledby': 'environment-add'}, h('h2', {id: 'environment-add'}, 'Add an environment'), create.form) : null);
  ctx.guardLeave(() => (create && create.set.dirty()) || (editing && editing.form.isConnected && editing.set.dirty()));
}
