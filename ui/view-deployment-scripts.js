// view-deployment-scripts.js: what a deployment runs on a host
// (docs/deployments.md): a name, a body, its shell and whether it is safe
// to run twice. Editors and owners add and edit; viewers read.

import {h, append, clear, when, announce, errorBox, confirmDialog} from './dom.js';
import {get, del, tenantPath} from './api.js';
import {field} from './forms.js';
import {pageHead, actButton, rowForm} from './deploy-common.js';

function scriptFields(s) {
  const v = (k) => (s ? s[k] : undefined);
  return [
    field({name: 'name', kind: 'string', required: true, maxLength: 200}, {label: 'Name', value: v('name'), hint: 'e.g. Restart the web service'}),
    field({name: 'shell', kind: 'string', required: true}, {label: 'Shell', choices: [{value: 'sh', label: 'sh'}, {value: 'bash', label: 'bash'}],
      value: v('shell') || 'sh'}),
    field({name: 'body', kind: 'string', required: true, maxLength: 65536}, {label: 'Script', value: v('body'),
      hint: 'Runs on the host as the host\'s user; a non-zero exit status fails the deployment.'}),
    field({name: 'idempotent', kind: 'boolean', default: false}, {label: 'Safe to run twice (idempotent)', value: v('idempotent'),
      hint: 'Only such a script is run again after slipway restarts mid-deployment.'}),
  ];
}

export async function viewDeploymentScripts(ctx) {
  const listPath = tenantPath(ctx.tenant.id, '/deployment-scripts');
  const scripts = (await get(`${listPath}?limit=200`)).items;
  if (ctx.stale()) return;
  const again = () => ctx.navigate(location.hash);
  const writer = ctx.tenant.role !== 'viewer';
  const box = errorBox();
  const forms = [];
  const cards = scripts.map((s) => {
    const card = h('section', {class: 'panel script', 'data-script': s.name, 'aria-label': s.name});
    const show = () => append(clear(card), [h('div', {class: 'script-head'}, h('h2', null, s.name),
      h('span', {class: 'muted'}, `${s.shell}${s.idempotent ? ' · idempotent' : ''} · changed `, when(s.updatedAt, {relative: true})),
      writer ? h('div', {class: 'row-actions'},
        actButton(box, 'Edit', async () => {
          const made = rowForm({id: 'script-form', fields: scriptFields(s), listPath, row: s, done: again});
          forms.push(made.set);
          card.replaceChildren(h('h2', null, `Edit ${s.name}`), made.form);
          made.form.querySelector('input')?.focus();
        }),
        actButton(box, 'Delete', async () => {
          if (!(await confirmDialog({title: `Delete ${s.name}?`, confirm: 'Delete the script', body: 'Its deployments stay in the list.'}))) return;
          await del(`${listPath}/${s.id}`);
          announce('Script deleted');
          again();
        })) : null),
    h('pre', {class: 'script-body'}, s.body)]);
    show();
    return card;
  });
  const create = writer ? rowForm({id: 'script-create', fields: scriptFields(null), listPath, submit: 'Add script', done: again}) : null;
  if (create) forms.push(create.set);
  ctx.main.append(pageHead('Deployment scripts', writer ? 'What a deployment runs on a host.'
    : 'What a deployment runs on a host. Editors and owners change them.'), box,
  scripts.length ? h('div', {class: 'stack'}, cards) : h('p', {class: 'muted'}, 'No scripts yet.'),
  create ? h('section', {class: 'section', 'aria-labelledby': 'script-add'}, h('h2', {id: 'script-add'}, 'Add a script'), create.form) : null);
  ctx.guardLeave(() => forms.some((s) => s.dirty()));
}
