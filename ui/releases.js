// releases.js: what the release pages share: status badges in words, the
// stages as a stepper, which actions a status allows (the lifecycle table
// of docs/releases.md, mirrored: the server still decides), and a release
// as one row of a list.

import {h, when} from './dom.js';
import {get, tenantPath} from './api.js';

export const STATUSES = ['KICKOFF', 'BUILDING', 'REGRESSION', 'READY', 'PAUSED', 'BLOCKED', 'CANCELLED', 'FINISHED', 'RELEASED'];
export const ACTIVE = ['KICKOFF', 'BUILDING', 'REGRESSION', 'READY', 'PAUSED', 'BLOCKED', 'RELEASED'];
// The stages a release goes through, in order (PAUSED and BLOCKED interrupt one of them).
const STAGES = [
  ['KICKOFF', 'Kickoff', 'Release branch and first candidate tag'],
  ['BUILDING', 'Builds', 'Each platform builds the candidate'],
  ['REGRESSION', 'Regression', 'Testing and approvals'],
  ['READY', 'Ready', 'Ready to submit to the stores'],
  ['RELEASED', 'Released', 'With every user of each store'],
  ['FINISHED', 'Finished', 'Final tag made'],
];
const WORDS = {
  KICKOFF: 'Kickoff', BUILDING: 'Building', REGRESSION: 'Regression', READY: 'Ready', PAUSED: 'Paused', BLOCKED: 'Blocked',
  CANCELLED: 'Cancelled', FINISHED: 'Finished', RELEASED: 'Released',
};
const TONE = {KICKOFF: 'progress', BUILDING: 'progress', REGRESSION: 'progress', READY: 'success', FINISHED: 'success',
  PAUSED: 'expired', BLOCKED: 'failure', CANCELLED: 'not_verified', RELEASED: 'success'};
export const PLATFORM_WORDS = {IOS: 'iOS', ANDROID: 'Android', WEB: 'Web'};
export const TYPE_WORDS = {MAJOR: 'Major', MINOR: 'Minor', PATCH: 'Patch', HOTFIX: 'Hotfix'};

export function statusWord(status) {
  return WORDS[status] || status;
}

// A release status as a badge: a word and a colour, never colour alone.
export function releaseBadge(status) {
  return h('span', {class: `badge badge-${TONE[status] || 'not_verified'}`, 'data-status': status}, statusWord(status));
}

// The actions an editor may take in a status (lifecycle.c's table), in the order they are shown.
export function allowedActions(status) {
  const out = [];
  if (['KICKOFF', 'BUILDING', 'REGRESSION', 'READY'].includes(status)) out.push('pause');
  if (status === 'PAUSED') out.push('resume');
  if (status === 'BLOCKED') out.push('retry');
  if (!['CANCELLED', 'FINISHED', 'RELEASED'].includes(status)) out.push('cancel');
  return out;
}

export function canDrive(tenant) {
  return tenant.role === 'owner' || tenant.role === 'editor';
}

// The stages as an ordered list: done, current (or interrupted: paused, blocked), to come.
export function stepper(rel) {
  const stage = rel.status === 'PAUSED' || rel.status === 'BLOCKED' || rel.status === 'CANCELLED' ? rel.resumeStatus : rel.status;
  const at = STAGES.findIndex(([s]) => s === stage);
  const finished = rel.status === 'FINISHED';
  // A release may be finished from READY, never released through slipway's store submissions: its Released stage was
  // skipped, not done (done: every platform has a submission the store released).
  const released = (rel.platforms || []).every((p) => (rel.stores || []).some((x) => x.platform === p && x.status === 'RELEASED'));
  return h('ol', {class: 'stepper', 'aria-label': 'Stages'}, STAGES.map(([s, name, what], i) => {
    let state = i < at || finished ? 'done' : i === at ? 'current' : 'todo';
    if (state === 'done' && s === 'RELEASED' && finished && !released) state = 'skipped';
    if (state === 'current' && rel.status !== stage) state = rel.status.toLowerCase();
    const said = {done: 'done', current: 'in progress', todo: 'not started', paused: 'paused', blocked: 'blocked',
      cancelled: 'cancelled', skipped: 'skipped: finished without a store release'}[state];
    return h('li', {class: `stage stage-${state}`, 'data-stage': s, 'aria-current': i === at ? 'step' : null},
      h('span', {class: 'mark', 'aria-hidden': 'true'}, state === 'done' ? '✓' : state === 'blocked' ? '!' : state === 'paused' ? 'Ⅱ' : state === 'skipped' ? '–' : String(i + 1)),
      h('span', {class: 'stage-text'}, h('span', {class: 'stage-name'}, name), h('span', {class: 'stage-what'}, what),
        h('span', {class: 'sr-only'}, ` (${said})`)));
  }));
}

// One release as a list row: version (its page's link), status, type, platforms, target date, created.
export function releaseRow(tenantId, r) {
  return h('tr', {'data-release': r.id},
    h('td', null, h('a', {href: `#/t/${tenantId}/releases/${r.id}`, class: 'strong'}, r.version)),
    h('td', null, releaseBadge(r.status)),
    h('td', null, TYPE_WORDS[r.releaseType] || r.releaseType),
    h('td', null, (r.platforms || []).map((p) => PLATFORM_WORDS[p] || p).join(', ')),
    h('td', null, r.targetDate ? targetDate(r.targetDate) : h('span', {class: 'muted'}, '—')),
    h('td', null, when(r.createdAt, {relative: true})));
}

export const ROW_HEADS = ['Version', 'Status', 'Type', 'Platforms', 'Target date', 'Created'];

// "12 Jun 2026": a day, with the month as a word (a date has no time zone).
export function targetDate(day) {
  const d = new Date(`${day}T00:00:00Z`);
  return h('time', {datetime: day}, new Intl.DateTimeFormat(undefined, {day: 'numeric', month: 'short', year: 'numeric',
    timeZone: 'UTC'}).format(d));
}

// The tenant's active releases (every status that is not final), newest first.
export async function activeReleases(tenantId) {
  const pages = await Promise.all(ACTIVE.map((s) => get(tenantPath(tenantId, `/releases?status=${s}&limit=200`))));
  return pages.flatMap((p) => p.items).sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
}
