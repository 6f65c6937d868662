// view-audit.js: the tenant's audit trail (owners), filtered by action,
// actor and time, a page at a time (keyset cursors; "Newer" goes back).

import {h, clear, when, scrollTable} from './dom.js';
import {get, tenantPath} from './api.js';

const ACTIONS = ['auth.login', 'auth.logout', 'token.create', 'token.revoke', 'tenant.create', 'tenant.update', 'tenant.delete',
  'member.invite', 'member.invite.revoke', 'member.join', 'member.add', 'member.update', 'member.remove', 'admin.bootstrap',
  'integration.create', 'integration.update', 'integration.delete', 'integration.verify', 'setup.save'];
const LIMIT = 25;

export async function viewAudit(ctx) {
  const tenantId = ctx.tenant.id;
  const filters = {};
  const cursors = [null]; // the cursor of each page seen, for "Newer"
  const results = h('div', {'aria-live': 'polite', 'aria-busy': 'false'});

  const input = (id, label, attrs) => h('div', {class: 'field'}, h('label', {for: id}, label), h('input', {id, name: id, ...attrs}));
  const action = h('select', {id: 'audit-action', name: 'action'}, h('option', {value: ''}, 'Any action'), ACTIONS.map((a) => h('option', {value: a}, a)));
  const form = h('form', {class: 'filters', novalidate: true, role: 'search', 'aria-label': 'Filter the audit log'},
    h('div', {class: 'field'}, h('label', {for: 'audit-action'}, 'Action'), action),
    input('audit-actor', 'Actor (e-mail or account id)', {type: 'text', autocomplete: 'off'}),
    input('audit-since', 'Since', {type: 'datetime-local'}),
    input('audit-until', 'Until', {type: 'datetime-local'}),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Apply filters')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const iso = (v) => (v ? new Date(v).toISOString() : '');
    filters.action = action.value;
    filters.actor = form.querySelector('#audit-actor').value.trim();
    filters.since = iso(form.querySelector('#audit-since').value);
    filters.until = iso(form.querySelector('#audit-until').value);
    cursors.length = 1;
    load(0);
  });

  async function load(index) {
    const q = new URLSearchParams({limit: String(LIMIT)});
    for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v);
    if (cursors[index]) q.set('cursor', cursors[index]);
    results.setAttribute('aria-busy', 'true');
    let page;
    try {
      page = await get(tenantPath(tenantId, `/audit-logs?${q}`));
    } catch (e) {
      clear(results).append(h('div', {class: 'error-box', role: 'alert'}, h('p', null, e.message)));
      results.setAttribute('aria-busy', 'false');
      return;
    }
    cursors[index + 1] = page.nextCursor;
    clear(results);
    results.setAttribute('aria-busy', 'false');
    if (!page.items.length) {
      results.append(h('p', {class: 'muted'}, 'No audit entries match.'));
    } else {
      const table = scrollTable(`Audit log, page ${index + 1}`,
        h('thead', null, h('tr', null, ['When', 'Actor', 'Action', 'Target', 'Outcome', 'Details'].map((c) => h('th', {scope: 'col'}, c)))),
        h('tbody', null, page.items.map((r) => h('tr', {class: r.outcome === 'failure' ? 'failure' : ''},
          h('td', null, when(r.createdAt)), h('td', null, r.actorEmail || r.actorAccountId || 'system'),
          h('td', {class: 'mono'}, r.action), h('td', null, r.targetType ? `${r.targetType} ${(r.targetId || '').slice(0, 8)}` : ''),
          h('td', null, r.outcome), h('td', {class: 'details'}, detailsText(r.details))))));
      table.querySelector('table').classList.add('audit');
      results.append(table);
    }
    const newer = h('button', {type: 'button', class: 'secondary', disabled: index === 0}, 'Newer');
    const older = h('button', {type: 'button', class: 'secondary', disabled: !page.nextCursor}, 'Older');
    newer.addEventListener('click', () => load(index - 1));
    older.addEventListener('click', () => load(index + 1));
    results.append(h('nav', {class: 'pager', 'aria-label': 'Audit pages'}, newer, h('span', null, `Page ${index + 1}`), older));
  }

  ctx.main.append(h('h1', null, 'Audit log'), form, results);
  await load(0);
}

function detailsText(d) {
  if (!d || typeof d !== 'object' || !Object.keys(d).length) return '';
  return Object.entries(d).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join('; ');
}
