// view-sites.js: the tenant's public release-notes sites (docs/sites.md).
// The list and a new site; a site's page with its settings, its posts (a
// Markdown editor, draft, scheduled or published, a link to the public
// page) and its custom domains (the challenge to publish, then Verify).
// Editors and owners write sites, settings and posts; owners manage
// domains and delete sites; viewers read.

import {h, when, announce, errorBox, scrollTable, confirmDialog} from './dom.js';
import {get, post, put, patch, del, tenantPath} from './api.js';
import {field, FieldSet} from './forms.js';
import {pageHead, actButton, rowForm} from './deploy-common.js';

const POST_STATUS = {DRAFT: ['badge-not_verified', 'Draft'], SCHEDULED: ['badge-progress', 'Scheduled'], PUBLISHED: ['badge-success', 'Published']};
const DOMAIN_STATUS = {PENDING: ['badge-not_verified', 'Pending'], VERIFIED: ['badge-success', 'Verified'], FAILED: ['badge-failure', 'Failed']};

function wordBadge(words, status) {
  const [cls, word] = words[status] || ['badge-not_verified', status];
  return h('span', {class: `badge ${cls}`, 'data-status': status}, word);
}

const head = (cols, actions) => h('thead', null, h('tr', null, cols.map((c) => h('th', {scope: 'col'}, c)),
  actions ? h('th', {scope: 'col'}, h('span', {class: 'sr-only'}, 'Actions')) : null));

// The public address of a site's page, or of one post ("preview" for what is not published yet).
function publicUrl(site, p) {
  if (!p) return `/s/${site.slug}/`;
  return p.status === 'PUBLISHED' ? `/s/${site.slug}/${p.slug}` : `/s/${site.slug}/preview/${p.slug}`;
}

export async function viewSites(ctx) {
  const listPath = tenantPath(ctx.tenant.id, '/sites');
  const sites = (await get(`${listPath}?limit=200`)).items;
  if (ctx.stale()) return;
  const writer = ctx.tenant.role !== 'viewer';
  const rows = sites.map((s) => h('tr', {'data-site': s.slug}, h('td', null, h('a', {href: `#/t/${ctx.tenant.id}/sites/${s.id}`}, s.name)),
    h('td', null, h('a', {class: 'mono', href: publicUrl(s), target: '_blank', rel: 'noopener'}, publicUrl(s))), h('td', null, when(s.createdAt))));
  const create = writer ? rowForm({id: 'site-create', listPath, submit: 'Create site', done: () => ctx.navigate(location.hash), fields: [
    field({name: 'name', kind: 'string', required: true, maxLength: 200}, {label: 'Name', hint: 'Also the page\'s title, e.g. Acme release notes.'}),
    field({name: 'slug', kind: 'string', required: true, maxLength: 63}, {label: 'Address', hint: 'Its public path /s/<address>: a-z, 0-9 and -.'}),
  ]}) : null;
  ctx.main.append(pageHead('Sites', writer ? 'Public release-notes pages, with an Atom feed, on slipway or on your own domain.'
    : 'Public release-notes pages. Only editors and owners can change them.'),
  sites.length ? scrollTable('Sites', head(['Site', 'Public page', 'Created']), h('tbody', null, rows)) : h('p', {class: 'muted'}, 'No sites yet.'),
  create ? h('section', {class: 'section', 'aria-labelledby': 'site-add'}, h('h2', {id: 'site-add'}, 'Create a site'), create.form) : null);
  if (create) ctx.guardLeave(() => create.set.dirty());
}

// The site's apps are the tenant's store targets (docs/sites.md "Which apps a site shows"); a saved id no longer listed
// (its target deleted) is still shown, so saving keeps or drops it knowingly.
function appChoices(targets, chosen) {
  const known = targets.map((t) => ({value: t.id, label: `${t.displayName} (${t.type})`}));
  const gone = chosen.filter((id) => !targets.some((t) => t.id === id)).map((id) => ({value: id, label: `A removed target (${id.slice(0, 8)}…)`}));
  return known.concat(gone);
}

function settingsSection(ctx, site, path, again, sets, targets) {
  const s = site.settings;
  const apps = appChoices(targets, s.apps);
  if (ctx.tenant.role === 'viewer') {
    const yes = (b) => (b ? 'Yes' : 'No');
    return h('section', {class: 'section', 'aria-labelledby': 'settings-title'}, h('h2', {id: 'settings-title'}, 'Settings'),
      h('dl', {class: 'facts', id: 'site-settings'}, h('dt', null, 'Title'), h('dd', null, s.title), h('dt', null, 'Accent colour'),
        h('dd', {class: 'mono'}, s.accentColor), h('dt', null, 'Footer'), h('dd', null, s.footer || '–'), h('dt', null, 'Apps'),
        h('dd', null, s.apps.length ? apps.filter((a) => s.apps.includes(a.value)).map((a) => a.label).join(', ') : 'Every app'),
        h('dt', null, 'Release notes published'), h('dd', null, yes(s.autoPublishNotes)), h('dt', null, 'Drafts previewable'), h('dd', null, yes(s.draftsPreviewable))));
  }
  const fields = [
    field({name: 'title', kind: 'string', required: true, maxLength: 200}, {label: 'Title', value: s.title}),
    field({name: 'accentColor', kind: 'string', maxLength: 7}, {label: 'Accent colour', value: s.accentColor, hint: 'Links and headings on the public page.'}),
    field({name: 'footer', kind: 'string', maxLength: 2000}, {label: 'Footer', value: s.footer, hint: 'A line under every page, e.g. a copyright.'}),
    field({name: 'apps', kind: 'array'}, {label: 'Apps', value: s.apps, choices: apps,
      hint: apps.length ? 'A finished release\'s notes come here when it was submitted to one of these; none checked: every release.'
        : 'No distribution targets yet: every release\'s notes come here.'}),
    field({name: 'autoPublishNotes', kind: 'boolean'}, {label: 'Publish each finished release\'s notes as a post', value: s.autoPublishNotes}),
    field({name: 'draftsPreviewable', kind: 'boolean'}, {label: 'Members may preview drafts and scheduled posts', value: s.draftsPreviewable}),
  ];
  fields[1].control.type = 'color';
  for (const f of fields.slice(4)) f.wrap.classList.add('wide'); // a checkbox and its sentence on one line
  const set = new FieldSet(fields);
  sets.push(set);
  const form = h('form', {novalidate: true, id: 'site-settings-form', class: 'boxed'}, set.summary, h('div', {class: 'fields'}, fields.map((f) => f.wrap)),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Save settings')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    set.clearErrors();
    try {
      // A PUT replaces the settings: what the form does not show (logo, platforms) is sent as it is; no app checked is [].
      const {logoUrl, platforms} = s;
      await put(`${path}/settings`, {logoUrl, platforms, apps: [], ...set.collect(false)});
      announce('Settings saved');
      set.initial = set.snapshot();
      again();
    } catch (e) {
      set.showErrors(e);
    }
  });
  return h('section', {class: 'section', 'aria-labelledby': 'settings-title'}, h('h2', {id: 'settings-title'}, 'Settings'), form);
}

// "2026-06-12T14:05" in the reader's zone, for a datetime-local input.
function localInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

function postEditor(ctx, site, path, p, again) {
  const fields = [
    field({name: 'title', kind: 'string', required: true, maxLength: 200}, {label: 'Title', value: p?.title}),
    field({name: 'slug', kind: 'string', required: true, maxLength: 100}, {label: 'Address', value: p?.slug, hint: `Its page: /s/${site.slug}/<address>.`}),
    field({name: 'status', kind: 'string', required: true}, {label: 'Status', value: p?.status || 'DRAFT',
      choices: [{value: 'DRAFT', label: 'Draft'}, {value: 'SCHEDULED', label: 'Scheduled'}, {value: 'PUBLISHED', label: 'Published'}]}),
    field({name: 'publishedAt', kind: 'string'}, {label: 'Publish at', value: localInput(p?.publishedAt),
      hint: 'Scheduled: required. Published: empty for now. Draft: leave empty.'}),
    field({name: 'body', kind: 'string', required: true, maxLength: 100000}, {label: 'Text (Markdown)', value: p?.body,
      hint: 'CommonMark; HTML in it is shown as text.'}),
  ];
  fields[3].control.type = 'datetime-local';
  fields[4].control.rows = 10;
  const set = new FieldSet(fields);
  const cancel = p ? h('button', {type: 'button', class: 'secondary', onclick: again}, 'Cancel') : null;
  const form = h('form', {novalidate: true, id: 'post-form', class: 'boxed'}, set.summary, h('div', {class: 'fields'}, fields.map((f) => f.wrap)),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, p ? 'Save post' : 'Add post'), cancel));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    set.clearErrors();
    try {
      const body = set.collect(!!p);
      if (body.publishedAt) body.publishedAt = new Date(body.publishedAt).toISOString();
      if (p) await patch(`${path}/posts/${p.id}`, body);
      else await post(`${path}/posts`, body);
      announce(p ? 'Post saved' : 'Post added');
      set.initial = set.snapshot();
      again();
    } catch (e) {
      set.showErrors(e);
    }
  });
  return {form, set};
}

// A published post's public page, or the preview of one that is not out yet.
function viewLink(site, p) {
  const word = p.status === 'PUBLISHED' ? 'View' : 'Preview';
  return h('a', {href: publicUrl(site, p), target: '_blank', rel: 'noopener', 'aria-label': `${word} ${p.title}`}, word);
}

function postsSection(ctx, site, path, posts, again, sets) {
  const writer = ctx.tenant.role !== 'viewer';
  const box = errorBox();
  const editArea = h('div', {id: 'post-edit'});
  const created = writer ? postEditor(ctx, site, path, null, again) : null;
  if (created) sets.push(created.set);
  const rows = posts.map((p) => h('tr', {'data-post': p.slug},
    h('td', null, p.title, h('div', {class: 'muted mono'}, p.slug)),
    h('td', null, wordBadge(POST_STATUS, p.status), p.publishedAt ? h('div', {class: 'muted'}, when(p.publishedAt)) : null),
    h('td', null, when(p.updatedAt, {relative: true})),
    h('td', {class: 'row-actions'},
      p.status === 'PUBLISHED' || site.settings.draftsPreviewable ? viewLink(site, p) : null,
      writer ? actButton(box, 'Edit', async () => {
        const edit = postEditor(ctx, site, path, p, again);
        sets.push(edit.set);
        editArea.replaceChildren(h('h3', {class: 'section-sub'}, `Edit "${p.title}"`), edit.form);
        edit.form.querySelector('input').focus();
      }, {'aria-label': `Edit ${p.title}`}) : null,
      writer ? actButton(box, 'Delete', async () => {
        if (!(await confirmDialog({title: `Delete "${p.title}"?`, confirm: 'Delete the post',
          body: 'It leaves the public pages and the feed at once.'}))) return;
        await del(`${path}/posts/${p.id}`);
        announce('Post deleted');
        again();
      }, {class: 'danger', 'aria-label': `Delete ${p.title}`}) : null)));
  return h('section', {class: 'section', 'aria-labelledby': 'posts-title'}, h('h2', {id: 'posts-title'}, 'Posts'), box,
    posts.length ? scrollTable('Posts', head(['Post', 'Status', 'Updated'], true), h('tbody', null, rows)) : h('p', {class: 'muted'}, 'No posts yet.'),
    editArea, created ? [h('h3', {class: 'section-sub'}, 'Write a post'), created.form] : null);
}

function domainsSection(ctx, path, domains, again, sets) {
  const box = errorBox();
  const rows = domains.map((d) => h('tr', {'data-domain': d.hostName},
    h('td', {class: 'mono'}, d.hostName),
    h('td', null, wordBadge(DOMAIN_STATUS, d.status), d.lastError ? h('div', {class: 'wrap host-error'}, d.lastError) : null,
      h('div', {class: 'muted'}, d.lastCheckedAt ? ['checked ', when(d.lastCheckedAt, {relative: true})] : 'not checked yet')),
    h('td', null, d.status === 'VERIFIED' ? h('span', {class: 'muted'}, 'Done') : [
      h('div', null, 'Serve ', h('code', {class: 'wrap', 'data-token': 'true'}, d.challengeToken)),
      h('div', null, 'at ', h('code', {class: 'wrap'}, d.challengeUrl))]),
    ctx.owner ? h('td', {class: 'row-actions'},
      actButton(box, 'Verify', async () => {
        const after = await post(`${path}/domains/${d.id}/verify`);
        announce(after.status === 'VERIFIED' ? `${d.hostName} verified` : `${d.hostName}: ${after.lastError || after.status}`);
        again();
      }, {'aria-label': `Verify ${d.hostName}`}),
      actButton(box, 'Remove', async () => {
        if (!(await confirmDialog({title: `Remove ${d.hostName}?`, confirm: 'Remove the domain', body: 'The site is no longer served there.'}))) return;
        await del(`${path}/domains/${d.id}`);
        announce('Domain removed');
        again();
      }, {class: 'danger', 'aria-label': `Remove ${d.hostName}`})) : null));
  const add = ctx.owner ? rowForm({id: 'domain-create', listPath: `${path}/domains`, submit: 'Add domain', done: again, fields: [
    field({name: 'hostName', kind: 'string', required: true, maxLength: 253}, {label: 'Host name', hint: 'e.g. releases.example.com, pointed at this slipway.'})]}) : null;
  if (add) sets.push(add.set);
  return h('section', {class: 'section', 'aria-labelledby': 'domains-title'}, h('h2', {id: 'domains-title'}, 'Custom domains'),
    h('p', {class: 'sub'}, 'To prove a domain is yours, serve its token as plain text at its address, then Verify.'), box,
    domains.length ? scrollTable('Custom domains', head(['Domain', 'Status', 'Challenge'], ctx.owner), h('tbody', null, rows))
      : h('p', {class: 'muted'}, 'No custom domains: the site is served under /s/ only.'),
    add ? [h('h3', {class: 'section-sub'}, 'Add a domain'), add.form] : null);
}

export async function viewSite(ctx) {
  const path = tenantPath(ctx.tenant.id, `/sites/${ctx.params[1]}`);
  const [site, posts, domains, targets] = await Promise.all([get(path), get(`${path}/posts?limit=200`), get(`${path}/domains?limit=200`),
    get(tenantPath(ctx.tenant.id, '/integrations/targets')).then((p) => p.items, () => [])]);
  if (ctx.stale()) return;
  const again = () => ctx.navigate(location.hash);
  const sets = [];
  const box = errorBox();
  const remove = ctx.owner ? actButton(box, 'Delete site', async () => {
    if (!(await confirmDialog({title: `Delete ${site.name}?`, confirm: 'Delete the site',
      body: 'Its posts, settings and domains go with it, and its public pages end.'}))) return;
    await del(path);
    announce('Site deleted');
    ctx.navigate(`#/t/${ctx.tenant.id}/sites`);
  }, {class: 'danger'}) : null;
  const headEl = pageHead(site.name, '');
  headEl.querySelector('.sub').append('Public at ', h('a', {class: 'mono', href: publicUrl(site), target: '_blank', rel: 'noopener'}, publicUrl(site)),
    ' · ', h('a', {href: `#/t/${ctx.tenant.id}/sites`}, 'All sites'));
  if (remove) headEl.append(h('div', {class: 'actions'}, remove));
  ctx.main.append(headEl, box, settingsSection(ctx, site, path, again, sets, targets), postsSection(ctx, site, path, posts.items, again, sets),
    domainsSection(ctx, path, domains.items, again, sets));
  ctx.guardLeave(() => sets.some((s) => s.dirty()));
}
