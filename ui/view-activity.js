// view-activity.js: your own account's events (logins, logouts, API tokens),
// which belong to no tenant's audit log (GET /api/v1/me/audit-logs). What
// you did inside a tenant is in its audit log, under "Only my actions".

import {h, clear, when, scrollTable, pager} from './dom.js';
import {get} from './api.js';
import {sentence} from './audit-words.js';

const LIMIT = 25;
const NO_NAMES = {integrations: new Map(), members: new Map(), invitations: new Map()};

export async function viewActivity(ctx) {
  const cursors = [null];
  const results = h('div', {'aria-live': 'polite'});
  const tokens = await get('/api/v1/me/tokens?limit=200').catch(() => ({items: []}));
  if (ctx.stale()) return;
  const tokenNames = new Map(tokens.items.map((t) => [t.id, t.name]));

  async function load(index) {
    const q = new URLSearchParams({limit: String(LIMIT)});
    if (cursors[index]) q.set('cursor', cursors[index]);
    const page = await get(`/api/v1/me/audit-logs?${q}`);
    cursors[index + 1] = page.nextCursor;
    clear(results);
    results.append(page.items.length
      ? scrollTable('Your account activity',
        h('thead', null, h('tr', null, ['When', 'What', 'From'].map((c) => h('th', {scope: 'col'}, c)))),
        h('tbody', null, page.items.map((r) => h('tr', {'data-action': r.action},
          h('td', null, when(r.createdAt, {relative: true, both: true})),
          h('td', {class: 'who-what'}, sentence(r, NO_NAMES), r.action.startsWith('token.') && tokenNames.get(r.targetId)
            ? `: ${tokenNames.get(r.targetId)}` : '', r.outcome === 'failure' && r.action !== 'auth.login' ? ' (failed)' : ''),
          h('td', {class: 'mono'}, r.ip || '')))))
      : h('p', {class: 'empty'}, 'Nothing yet.'));
    results.append(pager('Activity pages', index, page.nextCursor, load));
  }

  ctx.main.append(h('div', {class: 'page-head'}, h('div', null, h('h1', null, 'Your activity'),
    h('p', {class: 'sub'}, `Logins and API tokens of ${ctx.me.email}. What you did in a tenant is in its audit log (owners), under “Only my actions”.`))),
  results);
  await load(0);
}
