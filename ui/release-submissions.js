// release-submissions.js: a release's store submissions on its page
// (docs/stores.md): one row a submission with its status, rollout share and
// the store's reason; "Submit" for a READY release (editors and owners);
// and the actions the status allows: Google Play's staged rollout (roll
// out to a larger share, halt, resume, complete) and the App Store's
// release of an approved version. Each action's answer or error is shown
// beside the list; the server still decides (409 for a move it refuses).

import {h, append, clear, when, announce, errorBox, showError, scrollTable, confirmDialog} from './dom.js';
import {get, post} from './api.js';
import {field} from './forms.js';
import {canDrive, PLATFORM_WORDS} from './releases.js';
import {actButton, rowForm} from './deploy-common.js';

const STATUS = {
  PENDING: ['badge-not_verified', 'Pending'], PROCESSING: ['badge-progress', 'Processing'], SUBMITTED: ['badge-progress', 'Submitted'],
  IN_REVIEW: ['badge-progress', 'In review'], REJECTED: ['badge-failure', 'Rejected'], APPROVED: ['badge-success', 'Approved'],
  ROLLING_OUT: ['badge-progress', 'Rolling out'], HALTED: ['badge-expired', 'Halted'], RELEASED: ['badge-success', 'Released'],
  FAILED: ['badge-failure', 'Failed'],
};
const STORE = {PLAY_STORE: 'Google Play', APP_STORE: 'App Store', FIREBASE: 'Firebase'};

function submissionBadge(status) {
  const [cls, word] = STATUS[status] || ['badge-not_verified', status];
  return h('span', {class: `badge ${cls}`, 'data-status': status}, word);
}

const percent = (fraction) => `${Math.round(fraction * 1000) / 10}%`;

// The actions a submission's status allows (stores.c decides; this mirrors its table).
function actions(s) {
  if (s.pendingAction) return [];
  const play = s.targetType === 'PLAY_STORE';
  if (s.status === 'ROLLING_OUT') return play ? ['rollout', 'halt', 'complete'] : ['complete'];
  if (s.status === 'HALTED') return ['resume', 'complete'];
  if (s.status === 'APPROVED') return play ? ['rollout', 'complete'] : ['complete'];
  return [];
}

// The panel: its section element and show(release) to draw it (again) for the release as it is now.
export function submissionsPanel(ctx, path) {
  const section = h('section', {class: 'panel', 'aria-labelledby': 'submissions-title', id: 'submissions'});
  const box = errorBox();
  const result = h('p', {class: 'notice success', role: 'status', hidden: true, id: 'submission-result'});
  let form = null;
  let last = null;

  const act = (s, action, body) => async () => {
    showError(box, null);
    const after = await post(path(`/submissions/${s.id}/${action}`), body);
    result.textContent = `${PLATFORM_WORDS[s.platform] || s.platform}: ${action} sent (${after.pendingAction || after.status}).`;
    result.hidden = false;
    announce(result.textContent);
    show(last);
  };
  const row = (s) => {
    const cells = h('td', {class: 'row-actions'});
    if (canDrive(ctx.tenant)) {
      for (const a of actions(s)) {
        if (a === 'rollout') {
          const id = `rollout-${s.id}`;
          const input = h('input', {id, type: 'number', min: 1, max: 100, step: '0.1', class: 'percent', value: String(Math.min(100, Math.round(s.rolloutFraction * 100) + 10))});
          cells.append(h('span', {class: 'rollout'}, h('label', {for: id}, 'Share %'), input,
            actButton(box, 'Roll out', () => act(s, 'rollout', {rolloutPermille: Math.round(Number(input.value) * 10)})(), {'data-action': 'rollout'})));
        } else {
          cells.append(actButton(box, {halt: 'Halt', resume: 'Resume', complete: s.targetType === 'PLAY_STORE' ? 'Complete' : 'Release'}[a],
            async () => {
              if (a !== 'resume' && !(await confirmDialog({title: a === 'halt' ? 'Halt the rollout?' : 'Release to every user?', danger: a === 'halt',
                confirm: a === 'halt' ? 'Halt' : 'Release to everyone', body: a === 'halt' ? 'No more users get this version until it is resumed.'
                  : 'Everyone gets this version; this cannot be undone.'}))) return;
              await act(s, a)();
            }, {'data-action': a}));
        }
      }
    }
    return h('tr', {'data-submission': s.platform}, h('td', null, PLATFORM_WORDS[s.platform] || s.platform),
      h('td', null, STORE[s.targetType] || s.targetType, h('div', {class: 'muted'}, `${s.track} · build ${s.buildNumber}`)),
      h('td', null, submissionBadge(s.status), s.pendingAction ? h('div', {class: 'muted'}, `${s.pendingAction} under way`) : null,
        s.statusReason ? h('div', {class: 'wrap muted'}, s.statusReason) : null),
      h('td', null, percent(s.rolloutFraction)), h('td', null, when(s.updatedAt, {relative: true})), cells);
  };

  async function show(rel) {
    last = rel;
    const list = (await get(path('/submissions'))).items;
    if (ctx.stale()) return;
    const stores = (rel.platforms || []).filter((p) => p === 'IOS' || p === 'ANDROID');
    if (!form && canDrive(ctx.tenant) && rel.status === 'READY' && stores.length) {
      form = rowForm({id: 'submission-form', listPath: path('/submissions'), submit: 'Submit', done: () => show(last), fields: [
        field({name: 'platform', kind: 'string', required: true}, {label: 'Platform', choices: stores.map((p) => ({value: p, label: PLATFORM_WORDS[p]})),
          value: stores[0]}),
        field({name: 'track', kind: 'string', maxLength: 64}, {label: 'Track', hint: 'Google Play: internal, alpha, beta or production (the default).'}),
        field({name: 'rolloutPermille', kind: 'integer', minimum: 1, maximum: 1000}, {label: 'First share (‰)',
          hint: 'Google Play: thousandths of users, e.g. 100 for 10%. Empty: everyone.'})]});
    }
    append(clear(section), [h('h2', {id: 'submissions-title'}, 'Store submissions'), box, result,
      list.length ? scrollTable('Store submissions', h('thead', null, h('tr', null, ['Platform', 'Store', 'Status', 'Users', 'Updated']
        .map((c) => h('th', {scope: 'col'}, c)), h('th', {scope: 'col'}, h('span', {class: 'sr-only'}, 'Actions')))), h('tbody', null, list.map(row)))
        : h('p', {class: 'muted'}, rel.status === 'READY' ? 'Nothing submitted yet.' : 'A release is submitted to the stores once it is ready.'),
      form && rel.status === 'READY' ? form.form : null]);
  }
  return {section, show: (rel) => show(rel).catch((e) => showError(box, e.message))};
}
