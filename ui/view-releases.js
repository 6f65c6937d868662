// view-releases.js: the tenant's releases, active first by default, any
// status on request (keyset pages), and for editors and owners the form
// that starts a new one. The form checks only what it can see (a version,
// at least one platform); everything else is the API's answer, shown next
// to the field it names.

import {h, append, clear, announce, scrollTable, pager} from './dom.js';
import {get, post, tenantPath} from './api.js';
import {field, FieldSet} from './forms.js';
import {STATUSES, ROW_HEADS, releaseRow, activeReleases, statusWord, canDrive, PLATFORM_WORDS, TYPE_WORDS} from './releases.js';

const LIMIT = 25;

export async function viewReleases(ctx) {
  const tenantId = ctx.tenant.id;
  const can = await get(tenantPath(tenantId, '/release-management/can-create-releases'));
  if (ctx.stale()) return;
  const results = h('div', {'aria-live': 'polite', 'aria-busy': 'false', id: 'release-list'});
  const cursors = [null];
  const status = h('select', {id: 'release-status', name: 'status'}, h('option', {value: 'active'}, 'Active (not finished or cancelled)'),
    h('option', {value: ''}, 'All statuses'), STATUSES.map((s) => h('option', {value: s}, statusWord(s))));
  status.addEventListener('change', () => {
    cursors.length = 1;
    load(0);
  });
  const filters = h('form', {class: 'filters panel', role: 'search', 'aria-label': 'Filter releases', novalidate: true},
    h('div', {class: 'field'}, h('label', {for: 'release-status'}, 'Status'), status));
  filters.addEventListener('submit', (ev) => ev.preventDefault());

  async function load(index) {
    results.setAttribute('aria-busy', 'true');
    let items;
    let next = null;
    try {
      if (status.value === 'active') {
        items = await activeReleases(tenantId);
      } else {
        const q = new URLSearchParams({limit: String(LIMIT)});
        if (status.value) q.set('status', status.value);
        if (cursors[index]) q.set('cursor', cursors[index]);
        const page = await get(tenantPath(tenantId, `/releases?${q}`));
        items = page.items;
        next = page.nextCursor;
        cursors[index + 1] = next;
      }
    } catch (e) {
      clear(results).append(h('div', {class: 'error-box', role: 'alert'}, h('p', null, e.message)));
      results.setAttribute('aria-busy', 'false');
      return;
    }
    if (ctx.stale()) return;
    const what = status.value === 'active' ? 'active releases' : status.value ? `${statusWord(status.value).toLowerCase()} releases` : 'releases';
    append(clear(results), [items.length
      ? scrollTable(`Releases: ${what}`, h('thead', null, h('tr', null, ROW_HEADS.map((t) => h('th', {scope: 'col'}, t)))),
        h('tbody', null, items.map((r) => releaseRow(tenantId, r))))
      : h('p', {class: 'empty'}, `No ${what}.`),
    status.value === 'active' ? null : pager('Release pages', index, next, load)]);
    results.setAttribute('aria-busy', 'false');
  }

  ctx.main.append(h('div', {class: 'page-head'}, h('div', null, h('h1', null, 'Releases'),
    h('p', {class: 'sub'}, 'Every release of the app: kickoff, builds, regression, ready to submit.'))));
  if (canDrive(ctx.tenant)) ctx.main.append(createForm(ctx, can));
  ctx.main.append(h('section', {class: 'section', 'aria-labelledby': 'list-title'}, h('h2', {id: 'list-title'}, 'Releases'), filters, results));
  await load(0);
}

function createForm(ctx, can) {
  const tenantId = ctx.tenant.id;
  const version = field({name: 'version', kind: 'string', required: true, maxLength: 64},
    {label: 'Version', hint: 'The version as the configuration\'s scheme writes it: 1.4.0 (semver) or 2026.12 (calver).'});
  const type = field({name: 'releaseType', kind: 'string', required: true, allowed: Object.keys(TYPE_WORDS)},
    {label: 'Type', value: 'MINOR', choices: Object.entries(TYPE_WORDS).map(([value, label]) => ({value, label}))});
  const platforms = field({name: 'platforms', kind: 'array', required: true, allowed: Object.keys(PLATFORM_WORDS)},
    {label: 'Platforms', hint: 'At least one.'});
  for (const box of platforms.control.querySelectorAll('input')) box.nextElementSibling.textContent = PLATFORM_WORDS[box.value];
  const date = field({name: 'targetDate', kind: 'string'}, {label: 'Target date', hint: 'Optional: when it should reach the stores.'});
  date.control.type = 'date';
  const base = field({name: 'baseRef', kind: 'string', maxLength: 255},
    {label: 'Base branch or commit', hint: 'Optional: the configuration\'s base branch, else the repository\'s default branch.'});
  const set = new FieldSet([version, type, platforms, date, base]);
  const submit = h('button', {type: 'submit', class: 'primary'}, 'Start release');
  const form = h('form', {novalidate: true, id: 'release-form', class: 'boxed'}, set.summary,
    h('div', {class: 'fields'}, version.wrap, type.wrap, platforms.wrap, date.wrap, base.wrap),
    h('div', {class: 'actions'}, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    set.clearErrors();
    submit.disabled = true;
    try {
      const rel = await post(tenantPath(tenantId, '/releases'), set.collect(false));
      announce(`Release ${rel.version} created: kickoff started`);
      ctx.navigate(`#/t/${tenantId}/releases/${rel.id}`);
    } catch (e) {
      set.showErrors(e);
    } finally {
      submit.disabled = false;
    }
  });
  ctx.guardLeave(() => set.dirty());
  return h('section', {class: 'section', 'aria-labelledby': 'new-release'}, h('h2', {id: 'new-release'}, 'Start a release'),
    can.allowed ? null : h('p', {class: 'notice warn'}, 'Releases cannot start yet: ', can.reasons[0] || 'setup is not complete',
      '. ', h('a', {href: `#/t/${tenantId}`}, 'See what to do next.')),
    form);
}
