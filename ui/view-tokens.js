// view-tokens.js: my personal API tokens, for scripts. A new token is shown
// once, with a copy button; the list never holds a secret.

import {h, when, announce, errorBox, showError, copyButton, scrollTable, confirmDialog} from './dom.js';
import {get, post, del} from './api.js';
import {field, FieldSet} from './forms.js';

export async function viewTokens(ctx) {
  const page = await get('/api/v1/me/tokens?limit=200');
  if (ctx.stale()) return;
  const again = () => ctx.navigate(location.hash);
  const box = errorBox();
  const live = page.items.filter((t) => !t.revokedAt && t.name !== 'login');

  const rows = live.map((t) => {
    const revoke = h('button', {type: 'button', class: 'danger', 'aria-label': `Revoke ${t.name}`}, 'Revoke');
    revoke.addEventListener('click', async () => {
      showError(box, null);
      if (!(await confirmDialog({title: `Revoke ${t.name}?`, confirm: `Revoke ${t.name}`,
        body: 'Scripts that use it are refused from now on. This cannot be undone.'}))) return;
      try {
        await del(`/api/v1/me/tokens/${t.id}`);
        announce(`${t.name} revoked`);
        again();
      } catch (e) {
        showError(box, e.message);
      }
    });
    return h('tr', null, h('td', null, t.name), h('td', {class: 'mono'}, `${t.prefix}…`), h('td', null, when(t.createdAt)),
      h('td', null, when(t.lastUsedAt, {relative: true})), h('td', null, t.expiresAt ? when(t.expiresAt) : 'never'), h('td', null, revoke));
  });

  const name = field({name: 'name', kind: 'string', required: true, maxLength: 200}, {label: 'Name', hint: 'What the token is for, e.g. "CI deploy".'});
  const days = field({name: 'expiresInDays', kind: 'integer', minimum: 1, maximum: 3650}, {label: 'Expires after (days)', hint: 'Empty: never expires.'});
  const set = new FieldSet([name, days]);
  const shown = h('div', {class: 'once', hidden: true, role: 'status'});
  const form = h('form', {novalidate: true, id: 'token-form', class: 'boxed'}, set.summary, h('div', {class: 'fields'}, name.wrap, days.wrap),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Create token')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    set.clearErrors();
    try {
      const t = await post('/api/v1/me/tokens', set.collect(false));
      const value = h('input', {type: 'text', readonly: true, id: 'new-token', value: t.token, class: 'mono'});
      shown.replaceChildren(h('p', null, `Copy "${t.name}" now: it is shown only once. Send it as Authorization: Bearer …`),
        h('label', {for: 'new-token'}, 'New token'), h('div', {class: 'copy-row'}, value, copyButton(() => value.value)),
        h('button', {type: 'button', class: 'secondary', onclick: again}, 'Done: hide it'));
      shown.hidden = false;
      form.hidden = true;
      value.focus();
      value.select();
    } catch (e) {
      set.showErrors(e);
    }
  });

  ctx.main.append(h('div', {class: 'page-head'}, h('div', null, h('h1', null, 'API tokens'),
    h('p', {class: 'sub'}, 'Personal tokens let scripts call the slipway API as you, with your roles. This browser uses its own session instead.')),
  h('a', {href: '#/activity'}, 'Your activity')),
    box,
    live.length
      ? scrollTable('Your API tokens',
        h('thead', null, h('tr', null, ['Name', 'Starts with', 'Created', 'Last used', 'Expires'].map((c) => h('th', {scope: 'col'}, c)),
          h('th', {scope: 'col'}, h('span', {class: 'sr-only'}, 'Actions')))),
        h('tbody', null, rows))
      : h('p', {class: 'muted'}, 'No API tokens.'),
    h('section', {class: 'section', 'aria-labelledby': 'new-token-title'}, h('h2', {id: 'new-token-title'}, 'Create a token'), form, shown));
}
