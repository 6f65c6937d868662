// view-home.js: a tenant's home, the first page after login. It tells the
// truth about setup (saved is not done while connections are unverified),
// the health of every integration, what to do next (from can-create-
// releases' reasons, each with the action that fixes it), the active
// releases with their stage, and, for owners, recent activity, live (the
// audit trail's event stream).

import {h, badge, when, logo, announce, errorBox, showError} from './dom.js';
import {get, tenantPath} from './api.js';
import {listAll, verifyOne, typeName, typeLabel, statusWords} from './cards.js';
import {loadNames, sentence} from './audit-words.js';
import {activeReleases, releaseBadge, stepper, canDrive, PLATFORM_WORDS, targetDate} from './releases.js';

const FEED = 8;

export async function viewHome(ctx) {
  const tenantId = ctx.tenant.id;
  const [status, can, ints, names, recent, active] = await Promise.all([
    get(tenantPath(tenantId, '/release-management/setup')),
    get(tenantPath(tenantId, '/release-management/can-create-releases')),
    listAll(tenantId),
    ctx.owner ? loadNames(tenantId, true) : null,
    ctx.owner ? get(tenantPath(tenantId, `/audit-logs?limit=${FEED}`)) : null,
    activeReleases(tenantId),
  ]);
  if (ctx.stale()) return;
  const again = () => ctx.navigate(location.hash);
  const all = ints.all;
  const valid = all.filter((i) => i.verificationStatus === 'VALID').length;

  ctx.main.append(h('div', {class: 'page-head'},
    h('div', null, h('h1', null, 'Overview'), h('p', {class: 'sub'}, `${ctx.tenant.orgName} · you are ${ctx.tenant.role === 'owner' ? 'an owner' : `a ${ctx.tenant.role}`}`))));

  const left = h('div', {class: 'stack'},
    setupPanel(tenantId, status, all.length, valid),
    nextPanel(ctx, status, can, all, again),
    releasesPanel(ctx, can, active));
  const right = h('div', {class: 'stack'}, healthPanel(ctx, all));
  if (ctx.owner) right.append(activityPanel(ctx, names, recent.items));
  ctx.main.append(h('div', {class: 'columns'}, left, right));
}

// Each active release with its status and stage; a link to start one when releases can start.
function releasesPanel(ctx, can, active) {
  const base = `#/t/${ctx.tenant.id}/releases`;
  const list = h('ul', {class: 'active-releases'}, active.map((r) => h('li', {'data-release': r.id},
    h('div', {class: 'release-line'}, h('a', {href: `${base}/${r.id}`, class: 'name'}, `Release ${r.version}`), releaseBadge(r.status),
      h('span', {class: 'muted small'}, (r.platforms || []).map((p) => PLATFORM_WORDS[p] || p).join(', '),
        r.targetDate ? [' · target ', targetDate(r.targetDate)] : null)),
    stepper(r))));
  return h('section', {class: 'panel', 'aria-labelledby': 'releases-title', id: 'releases'},
    h('h2', {id: 'releases-title'}, 'Active releases', h('a', {class: 'small', href: base}, 'All releases')),
    active.length ? list : h('p', {class: 'empty'}, can.allowed ? 'No active releases.' : 'No releases yet: they can start once the steps above are done.'),
    can.allowed && canDrive(ctx.tenant) ? h('div', {class: 'panel-foot'}, h('a', {class: 'button primary', href: base}, 'Start a release')) : null);
}

function setupPanel(tenantId, status, total, valid) {
  const base = `#/t/${tenantId}/setup`;
  const required = status.steps.filter((s) => s.required);
  const requiredDone = required.filter((s) => s.done).length;
  let headline;
  let tone;
  if (!status.setupComplete) {
    headline = `Setup: ${requiredDone} of ${required.length} required steps done`;
    tone = 'warn';
  } else if (total && valid === total) {
    headline = `Setup complete: all ${total} connections verified`;
    tone = 'success';
  } else {
    headline = `Setup saved, but ${valid} of ${total} connections verified`;
    tone = 'warn';
  }
  return h('section', {class: 'panel', 'aria-labelledby': 'setup-title', 'data-setup': tone},
    h('h2', {id: 'setup-title'}, 'Setup'),
    h('p', {class: 'big'}, headline),
    status.setupComplete && status.setupCompletedAt
      ? h('p', {class: 'muted small'}, 'Completed ', when(status.setupCompletedAt, {relative: true}), '.') : null,
    h('div', {class: 'meter'}, h('label', {for: 'home-progress'}, `${status.progress}% of the steps`),
      h('progress', {id: 'home-progress', max: 100, value: status.progress}, `${status.progress}%`)),
    h('ol', {class: 'steps'}, status.steps.map((s, i) => h('li', {class: s.done ? 'done' : ''},
      h('a', {href: `${base}/${s.id}`}, h('span', {class: 'mark', 'aria-hidden': 'true'}, s.done ? '✓' : String(i + 1)),
        h('span', null, s.name), h('span', {class: 'sr-only'}, s.done ? ' (done)' : s.required ? ' (required, not done)' : ' (optional, not done)'))))),
    h('div', {class: 'panel-foot'}, status.setupComplete
      ? h('a', {class: 'button secondary', href: base}, 'Review setup')
      : h('a', {class: 'button primary', href: `${base}/${status.nextStep || 'github'}`}, 'Continue setup')));
}

// can-create-releases' reasons, each turned into the action that fixes it.
function nextPanel(ctx, status, can, all, again) {
  const tenantId = ctx.tenant.id;
  const base = `#/t/${tenantId}`;
  const box = errorBox();
  const verifyButton = (items, label) => {
    if (!ctx.owner || !items.length) return null;
    const btn = h('button', {type: 'button', class: 'secondary'}, label || 'Verify now');
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      btn.textContent = 'Verifying…';
      showError(box, null);
      try {
        for (const i of items) await verifyOne(tenantId, i);
        announce('Verified');
        again();
      } catch (e) {
        showError(box, e.message);
        btn.disabled = false;
        btn.textContent = label || 'Verify now';
      }
    });
    return btn;
  };
  const link = (href, text) => h('a', {class: 'button secondary', href}, text);
  const items = can.reasons.map((r) => {
    let m;
    if (/setup is not complete/i.test(r)) return [r, link(`${base}/setup/${status.nextStep || 'github'}`, 'Continue setup')];
    if (/no source control connection/i.test(r)) return [r, link(`${base}/setup/github`, 'Connect source control')];
    if (/source control connection is not verified/i.test(r)) {
      const scm = all.filter((i) => i.category === 'scm');
      return ['The source control connection is not verified yet', verifyButton(scm) || link(`${base}/integrations`, 'See integrations')];
    }
    if ((m = r.match(/^([A-Z_]+) is selected but has no credentials/))) {
      return [`${typeName(m[1])} is selected but has no credentials`, link(`${base}/setup/credentials`, 'Add credentials')];
    }
    if ((m = r.match(/^([A-Z_]+) credentials are ([A-Z_]+)/))) {
      const mine = all.filter((i) => i.type === m[1]);
      return [`${typeName(m[1])} credentials are ${statusWords(m[2])}, not valid`, verifyButton(mine) || link(`${base}/integrations`, 'See integrations')];
    }
    return [r, link(`${base}/setup`, 'Open setup')];
  });
  return h('section', {class: 'panel', 'aria-labelledby': 'next-title', id: 'next'},
    h('h2', {id: 'next-title'}, 'What to do next'),
    can.allowed
      ? h('p', {class: 'notice success', 'data-ready': 'true'}, 'Ready: releases can be created.')
      : h('p', {class: 'muted'}, 'Releases can be created once these are done:'),
    box,
    items.length ? h('ul', {class: 'todo'}, items.map(([text, action]) => h('li', null, h('span', null, text), action))) : null);
}

function healthPanel(ctx, all) {
  const base = `#/t/${ctx.tenant.id}`;
  const list = h('ul', {class: 'health'}, all.map((i) => {
    const reason = i.verificationStatus === 'VALID' ? null : i.lastVerificationError;
    return h('li', {'data-id': i.id},
      logo(i.type, true),
      h('div', null, h('div', {class: 'name'}, i.displayName), i.displayName === typeName(i.type) ? null : typeLabel(i.type, 'muted small')),
      h('div', null, badge(i.verificationStatus)),
      h('p', {class: 'why'}, i.lastVerifiedAt ? ['Verified ', when(i.lastVerifiedAt, {relative: true}), reason ? `. ${reason}` : '.'] : 'Not checked yet.'));
  }));
  return h('section', {class: 'panel', 'aria-labelledby': 'health-title', id: 'health'},
    h('h2', {id: 'health-title'}, 'Integrations', h('a', {class: 'small', href: `${base}/integrations`}, ctx.owner ? 'Manage' : 'Details')),
    all.length ? list : h('p', {class: 'empty'}, 'No integrations yet.'));
}

// The latest rows, then new ones as they happen (Server-Sent Events; the session cookie authenticates it).
function activityPanel(ctx, names, rows) {
  const base = `#/t/${ctx.tenant.id}`;
  const seen = new Set();
  const list = h('ul', {class: 'feed', 'aria-live': 'polite', 'aria-relevant': 'additions'});
  const item = (r) => h('li', {'data-id': r.id},
    h('span', {class: 'line'}, h('strong', null, r.actorAccountId === ctx.me.id ? 'You' : r.actorEmail || 'slipway'), ' ',
      sentence(r, names).replace(/^./, (c) => c.toLowerCase())),
    h('span', {class: 'meta'}, when(r.createdAt, {relative: true}), r.outcome === 'failure' ? ' · failed' : ''));
  for (const r of rows) {
    seen.add(r.id);
    list.append(item(r));
  }
  const state = h('span', {class: 'live', hidden: true}, 'Live');
  const source = new EventSource(tenantPath(ctx.tenant.id, '/audit-logs/stream'));
  source.addEventListener('open', () => {
    state.hidden = false;
  });
  source.addEventListener('audit', (ev) => {
    const r = JSON.parse(ev.data);
    if (seen.has(r.id)) return;
    seen.add(r.id);
    list.prepend(item(r));
    while (list.children.length > FEED) list.lastChild.remove();
    empty.hidden = true;
  });
  source.addEventListener('error', () => {
    state.hidden = true;
  });
  ctx.onLeave(() => source.close());
  const empty = h('p', {class: 'empty', hidden: rows.length > 0}, 'Nothing has happened yet.');
  return h('section', {class: 'panel', 'aria-labelledby': 'activity-title', id: 'activity'},
    h('h2', {id: 'activity-title'}, h('span', null, 'Recent activity ', state), h('a', {class: 'small', href: `${base}/audit`}, 'Audit log')),
    empty, list);
}
