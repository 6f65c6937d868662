// view-hosts.js: the machines deployments run on (docs/deployments.md).
// Owners add and edit hosts (a password or a private key, write-only: the
// form shows the stored mask, never the secret), test the connection, and
// accept a host's new key after checking its fingerprint; editors and
// viewers read the list.

import {h, when, announce, errorBox, scrollTable, confirmDialog} from './dom.js';
import {get, post, del, tenantPath} from './api.js';
import {field} from './forms.js';
import {statusBadge, pageHead, actButton, rowForm} from './deploy-common.js';

function hostFields(host) {
  const v = (k) => (host ? host[k] : undefined);
  return [
    field({name: 'name', kind: 'string', required: true, maxLength: 200}, {label: 'Name', value: v('name'), hint: 'e.g. web-1'}),
    field({name: 'type', kind: 'string'}, {label: 'Runs scripts',
      choices: [{value: 'ssh', label: 'Over SSH'}, {value: 'docker', label: 'In Docker containers, over SSH'}], value: v('type') || 'ssh'}),
    field({name: 'address', kind: 'string', required: true, maxLength: 253}, {label: 'Address', value: v('address'), hint: 'A host name or an IP address.'}),
    field({name: 'port', kind: 'integer', minimum: 1, maximum: 65535, default: 22}, {label: 'Port', value: v('port')}),
    field({name: 'username', kind: 'string', required: true, maxLength: 255}, {label: 'User', value: v('username')}),
    field({name: 'authMethod', kind: 'string', required: true}, {label: 'Log in with',
      choices: [{value: 'key', label: 'A private key'}, {value: 'password', label: 'A password'}], value: v('authMethod') || 'key'}),
    field({name: 'secret', kind: 'string', required: true, secret: true, maxLength: 16384},
      {label: 'Private key or password', mask: v('secret'), hint: 'An OpenSSH or PEM key without a passphrase, or the password.'}),
    field({name: 'isWindows', kind: 'boolean', default: false}, {label: 'Windows host', value: v('isWindows')}),
    field({name: 'dockerImage', kind: 'string', maxLength: 255}, {label: 'Docker image', value: v('dockerImage'),
      hint: 'The image each script runs in, already on the host (e.g. alpine:3.20); it must have the script\'s shell.'}),
    field({name: 'dockerSocket', kind: 'string', maxLength: 107}, {label: 'Docker Engine socket', value: v('dockerSocket'),
      hint: 'On the host, reached through the SSH login. Empty: /var/run/docker.sock.'}),
  ];
}

// The Docker fields show for type docker only, and are sent for it only (the API refuses them on an ssh host).
function dockerFields(fields) {
  const type = fields.find((f) => f.spec.name === 'type').control;
  const docker = fields.filter((f) => f.spec.name.startsWith('docker'));
  // style, not the hidden attribute: .field's display would win over [hidden]
  const show = () => docker.forEach((f) => { f.wrap.style.display = type.value === 'docker' ? '' : 'none'; });
  type.addEventListener('change', show);
  show();
  return (body) => {
    if (type.value !== 'docker') docker.forEach((f) => delete body[f.spec.name]);
    return body;
  };
}

function hostForm(o) {
  return rowForm({...o, prepare: dockerFields(o.fields)});
}

// The pinned key, and for a key that changed the other key with "Accept the new key" (owners).
function keyCell(ctx, box, host, path, again) {
  const pinned = host.hostKeyFingerprint ? h('div', {class: 'mono wrap'}, host.hostKeyFingerprint) : h('span', {class: 'muted'}, 'not pinned yet');
  if (host.status !== 'HOST_KEY_CHANGED' || !host.seenHostKeyFingerprint) return h('td', null, pinned);
  const seen = h('div', {class: 'key-changed'}, 'Now shows: ', h('span', {class: 'mono wrap', 'data-seen': 'true'}, host.seenHostKeyFingerprint));
  const accept = ctx.owner ? actButton(box, 'Accept the new key', async () => {
    if (!(await confirmDialog({title: 'Accept the new host key?', confirm: 'Accept the key', danger: false,
      body: `Check ${host.seenHostKeyFingerprint} against the host (ssh-keygen -lf on its key file) first: a key you did not expect may mean someone stands between slipway and the host.`}))) return;
    await post(`${path}/accept-host-key`, {fingerprint: host.seenHostKeyFingerprint});
    announce('Host key accepted');
    again();
  }) : null;
  return h('td', null, pinned, seen, accept);
}

export async function viewHosts(ctx) {
  const tenantId = ctx.tenant.id;
  const listPath = tenantPath(tenantId, '/hosts');
  const hosts = (await get(`${listPath}?limit=200`)).items;
  if (ctx.stale()) return;
  const again = () => ctx.navigate(location.hash);
  const box = errorBox();
  const edit = h('div', {id: 'host-edit'});
  let editing = null;
  const rows = hosts.map((host) => {
    const path = `${listPath}/${host.id}`;
    const actions = ctx.owner ? h('td', {class: 'row-actions'},
      actButton(box, 'Test connection', async () => {
        const after = await post(`${path}/test`);
        announce(after.status === 'OK' ? `${host.name}: connected` : `${host.name}: ${after.lastError || after.status}`);
        again();
      }),
      actButton(box, 'Edit', async () => {
        editing = hostForm({id: 'host-form', fields: hostFields(host), listPath, row: host, done: again});
        edit.replaceChildren(h('h2', null, `Edit ${host.name}`), editing.form);
        editing.form.querySelector('input')?.focus();
      }),
      actButton(box, 'Delete', async () => {
        if (!(await confirmDialog({title: `Delete ${host.name}?`, confirm: 'Delete the host', body: 'Its deployments stay in the list.'}))) return;
        await del(path);
        announce('Host deleted');
        again();
      })) : null;
    return h('tr', {'data-host': host.name}, h('td', {class: 'nowrap'}, host.name, host.isWindows ? h('div', {class: 'muted'}, 'Windows') : null,
      host.type === 'docker' ? h('div', {class: 'muted', 'data-docker': 'true'}, 'Docker ', h('span', {class: 'mono'}, host.dockerImage),
        host.engineVersion ? ` · Engine ${host.engineVersion}` : null) : null),
      h('td', {class: 'mono'}, `${host.username}@${host.address}:${host.port}`),
      h('td', null, host.authMethod === 'key' ? 'Key' : 'Password', h('div', {class: 'muted mono'}, host.secret)),
      h('td', null, statusBadge(host.status), host.lastError ? h('div', {class: 'wrap muted host-error'}, host.lastError) : null,
        h('div', {class: 'muted'}, host.lastTestedAt ? ['tested ', when(host.lastTestedAt, {relative: true})] : null)),
      keyCell(ctx, box, host, path, again), actions);
  });
  const head = h('thead', null, h('tr', null, ['Host', 'Connects as', 'Credential', 'Status', 'Host key'].map((c) => h('th', {scope: 'col'}, c)),
    ctx.owner ? h('th', {scope: 'col'}, h('span', {class: 'sr-only'}, 'Actions')) : null));
  const create = ctx.owner ? hostForm({id: 'host-create', fields: hostFields(null), listPath, submit: 'Add host', done: again}) : null;
  ctx.main.append(pageHead('Hosts', ctx.owner ? 'The machines deployment scripts run on, over SSH.'
    : 'The machines deployment scripts run on. Only an owner can change them.'), box,
  hosts.length ? scrollTable('Hosts', head, h('tbody', null, rows)) : h('p', {class: 'muted'}, 'No hosts yet.'), edit,
  create ? h('section', {class: 'section', 'aria-labelledby': 'host-add'}, h('h2', {id: 'host-add'}, 'Add a host'), create.form) : null);
  ctx.guardLeave(() => (create && create.set.dirty()) || (editing && editing.form.isConnected && editing.set.dirty()));
}
