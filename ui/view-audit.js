// view-audit.js: the tenant's audit trail (owners), filtered by kind of
// action, by who (everyone, or only me), and by time, a page at a time
// (keyset cursors; "Newer" goes back). Each row reads as a sentence with
// names instead of ids, and its details as words (audit-words.js).

import {h, clear, when, scrollTable, pager} from './dom.js';
import {get, tenantPath} from './api.js';
import {loadNames, sentence, detailPairs, ACTION_GROUPS, ACTION_WORDS} from './audit-words.js';

const LIMIT = 25;

export async function viewAudit(ctx) {
  const tenantId = ctx.tenant.id;
  const filters = {};
  const cursors = [null]; // the cursor of each page seen, for "Newer"
  const results = h('div', {'aria-live': 'polite', 'aria-busy': 'false'});
  const names = await loadNames(tenantId, true);
  if (ctx.stale()) return;

  const input = (id, label, attrs) => h('div', {class: 'field'}, h('label', {for: id}, label), h('input', {id, name: id, ...attrs}));
  const action = h('select', {id: 'audit-action', name: 'action'}, h('option', {value: ''}, 'Any action'),
    ACTION_GROUPS.map(([group, actions]) => h('optgroup', {label: group},
      actions.map((a) => h('option', {value: a}, `${ACTION_WORDS[a] || a} (${a})`)))));
  const mine = h('input', {type: 'checkbox', id: 'audit-mine', name: 'mine'});
  const form = h('form', {class: 'filters panel', novalidate: true, role: 'search', 'aria-label': 'Filter the audit log'},
    h('div', {class: 'field'}, h('label', {for: 'audit-action'}, 'Action'), action),
    input('audit-actor', 'Who (e-mail or account id)', {type: 'text', autocomplete: 'off'}),
    input('audit-since', 'Since (your time)', {type: 'datetime-local'}),
    input('audit-until', 'Until (your time)', {type: 'datetime-local'}),
    h('div', {class: 'field field-check'}, mine, h('label', {for: 'audit-mine'}, 'Only my actions')),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Apply filters')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const iso = (v) => (v ? new Date(v).toISOString() : '');
    filters.action = action.value;
    filters.actor = mine.checked ? ctx.me.id : form.querySelector('#audit-actor').value.trim();
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
      results.append(h('p', {class: 'empty'}, 'No audit entries match.'));
    } else {
      const table = scrollTable(`Audit log, page ${index + 1}`,
        h('thead', null, h('tr', null, ['When', 'Who', 'What', 'Action', 'Outcome', 'Details'].map((c) => h('th', {scope: 'col'}, c)))),
        h('tbody', null, page.items.map((r) => h('tr', {class: r.outcome === 'failure' ? 'failure' : '', 'data-action': r.action},
          h('td', null, when(r.createdAt, {relative: true, both: true})),
          h('td', {class: 'who-what'}, r.actorAccountId === ctx.me.id ? 'you' : r.actorEmail || 'slipway'),
          h('td', {class: 'who-what'}, sentence(r, names)),
          h('td', {class: 'mono action'}, r.action),
          h('td', null, h('span', {class: `badge badge-${r.outcome === 'failure' ? 'failure' : 'success'}`}, r.outcome === 'failure' ? 'Failed' : 'Done')),
          h('td', {class: 'details'}, details(r))))));
      table.querySelector('table').classList.add('audit');
      results.append(table);
    }
    results.append(pager('Audit pages', index, page.nextCursor, load));
  }

  ctx.main.append(h('div', {class: 'page-head'}, h('div', null, h('h1', null, 'Audit log'),
    h('p', {class: 'sub'}, 'Every change in this tenant, who made it and when. Your logins and API tokens are under ',
      h('a', {href: '#/activity'}, 'Your activity'), '.'))), form, results);
  await load(0);
}

function details(r) {
  const pairs = detailPairs(r);
  if (!pairs.length) return '';
  return h('dl', null, pairs.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}
