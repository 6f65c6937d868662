// release-rollout.js: one store target's panels on the release page
// (docs/stores.md): the submission (its status, the review's state in the
// store's own word, a rejection's reason as the store gave it) and the
// rollout (the share of users as a bar, the plan's stages with the current
// one marked, the next step and when it happens in the viewer's local time),
// and, for a rollout watched by a health rule, its latest figure beside the
// rule, when it was read and a breach in words.
// Editors and owners get halt, resume and "go to 100%" (each behind a
// dialog that says what will happen) and, on Google Play, promote to
// another track with an optional plan; viewers see the same panels with no
// button. The server decides (409 for a move it refuses).

import {h, when, absolute, confirmDialog, humanize} from './dom.js';

const STATUS = {
  PENDING: ['badge-not_verified', 'Pending'], PROCESSING: ['badge-progress', 'Processing'], SUBMITTED: ['badge-progress', 'Submitted'],
  IN_REVIEW: ['badge-progress', 'In review'], REJECTED: ['badge-failure', 'Rejected'], APPROVED: ['badge-success', 'Approved'],
  ROLLING_OUT: ['badge-progress', 'Rolling out'], HALTED: ['badge-expired', 'Halted'], RELEASED: ['badge-success', 'Released'],
  FAILED: ['badge-failure', 'Failed'],
};
export const STORE = {PLAY_STORE: 'Google Play', APP_STORE: 'App Store', FIREBASE: 'Firebase'};
const PLAY_TRACKS = ['internal', 'alpha', 'beta', 'production'];
const APPLE_PHASES = '1%, 2%, 5%, 10%, 20%, 50%, 100%'; // the App Store's phased release, a day each (docs/stores.md)

function submissionBadge(status) {
  const [cls, word] = STATUS[status] || ['badge-not_verified', status];
  return h('span', {class: `badge ${cls}`, 'data-status': status}, word);
}

const percent = (fraction) => `${Math.round(fraction * 1000) / 10}%`;
const permillePercent = (p) => `${p / 10}%`;

// "1, 5, 20, 100" and minutes between stages as the API's plan ([] for none); throws with words on a bad list.
export function parsePlan(text, minutes) {
  const parts = String(text || '').split(/[\s,;%]+/).filter(Boolean);
  if (!parts.length) return null;
  const wait = Number(minutes || 0);
  return parts.map((p) => {
    const n = Number(p);
    if (!Number.isFinite(n) || n <= 0 || n > 100) throw new Error(`Rollout plan: "${p}" is not a share from 0.1 to 100.`);
    return {rolloutPermille: Math.round(n * 10), waitMinutes: wait};
  });
}

// The actions a submission's status allows (stores.c decides; this mirrors its table).
function actions(s) {
  if (s.pendingAction) return [];
  const play = s.targetType === 'PLAY_STORE';
  const list = [];
  if (play && ['ROLLING_OUT', 'APPROVED'].includes(s.status)) list.push('rollout');
  if (s.status === 'ROLLING_OUT') list.push('halt', 'complete'); // the App Store: its phased release paused
  if (play && s.status === 'RELEASED') list.push('halt'); // Play: the previous release takes its place
  if (s.status === 'HALTED') list.push('resume', 'complete');
  if (s.status === 'APPROVED') list.push('complete');
  if (s.targetType === 'APP_STORE' && s.status === 'APPROVED') list.push('phased'); // rollout, on Apple's schedule
  if (play && ['ROLLING_OUT', 'HALTED', 'RELEASED'].includes(s.status)) list.push('promote');
  return list;
}

// What each action does, said before it is sent.
function question(s, a) {
  const share = percent(s.rolloutFraction);
  const store = STORE[s.targetType] || s.targetType;
  if (a === 'halt' && s.status === 'RELEASED') {
    return {title: 'Halt a release every user has?', confirm: 'Halt', danger: true,
      body: `${store} stops offering build ${s.buildNumber}: the previous release takes its place for users who do not have it yet.`};
  }
  if (a === 'halt') {
    return {title: 'Halt the rollout?', confirm: 'Halt', danger: true,
      body: `No new users get build ${s.buildNumber} on ${store} until it is resumed; the ${share} who have it keep it.${s.rolloutPlan ? ' The plan stops until then.' : ''}`};
  }
  if (a === 'resume') {
    return {title: 'Resume the rollout?', confirm: 'Resume', danger: false,
      body: `${store} goes on giving build ${s.buildNumber} to ${share} of users${s.rolloutPlan ? ', and the plan continues its wait' : ''}.`};
  }
  if (a === 'phased') {
    return {title: 'Start a phased release?', confirm: 'Start the phased release', danger: false,
      body: `Build ${s.buildNumber} goes live on the App Store for a share of users Apple raises over 7 days (${APPLE_PHASES}). It can be halted and resumed, or released to everyone at once.`};
  }
  const app = s.targetType === 'APP_STORE' && s.status === 'APPROVED';
  return {title: app ? 'Release to the App Store?' : 'Go to 100%?', confirm: app ? 'Release to everyone' : 'Go to 100%', danger: true,
    body: `Every user gets build ${s.buildNumber} on ${store} now${s.rolloutPlan ? ', skipping the plan\'s remaining stages' : ''}. This cannot be undone.`};
}

// A live Play release's change that Play reviews again (docs/stores.md): held until Play decides, hours maybe.
export function inPlayReview(s) {
  return Boolean(s.pendingAction) && s.targetType === 'PLAY_STORE' && ['ROLLING_OUT', 'HALTED', 'RELEASED'].includes(s.status) &&
    /(IN_REVIEW|NOT_SENT_FOR_REVIEW|APPROVED_NOT_PUBLISHED)$/.test(s.reviewState || '');
}

// An action under way in words; one in Play's review says so.
function pendingWords(s) {
  return inPlayReview(s) ? h('span', {class: 'muted small', 'data-field': 'change-review'},
    ` ${s.pendingAction} in Google Play's review: users keep the current share until Play publishes it`)
    : h('span', {class: 'muted small'}, ` ${s.pendingAction} under way`);
}

// The submission panel: where the store stands.
function submissionPart(s) {
  return h('div', {class: 'store-part', 'data-part': 'submission'},
    h('h4', null, 'Submission'),
    h('p', {class: 'store-status'}, submissionBadge(s.status), s.pendingAction ? pendingWords(s) : null),
    h('dl', {class: 'facts compact'},
      h('dt', null, 'Review'), h('dd', {'data-field': 'review'}, s.reviewState ? h('span', {title: s.reviewState}, humanize(s.reviewState.replace(/^RELEASE_LIFECYCLE_STATE_/, '').replace(/_/g, ' '))) : h('span', {class: 'muted'}, 'none yet')),
      h('dt', null, 'Build'), h('dd', null, s.buildNumber, h('span', {class: 'muted'}, ` on ${s.track}`)),
      h('dt', null, 'Submitted'), h('dd', null, when(s.submittedAt, {relative: true}))),
    s.statusReason ? h('p', {class: `notice ${s.status === 'REJECTED' || s.status === 'FAILED' ? 'warn' : ''} wrap`, 'data-field': 'reason'},
      h('strong', null, s.status === 'REJECTED' ? 'The store says: ' : 'Reason: '), s.statusReason) : null);
}

// The plan's stages, the current one marked; what happens next and when (the viewer's own time zone).
function planPart(s) {
  const plan = s.rolloutPlan || [];
  const stage = s.planStage ?? -1;
  if (!plan.length && s.targetType === 'APP_STORE') { // the phased release: Apple's own schedule, not a plan of slipway's
    return h('p', {class: 'muted small', 'data-field': 'next'}, s.status === 'ROLLING_OUT' || s.status === 'HALTED'
      ? `Phased release: Apple raises the share over 7 days (${APPLE_PHASES}); a halt pauses it.` : null);
  }
  if (!plan.length) {
    return h('p', {class: 'muted small', 'data-field': 'next'}, s.status === 'ROLLING_OUT' ? 'No plan: the share changes only on command.' : null);
  }
  const list = h('ol', {class: 'plan-stages', 'aria-label': 'Rollout plan'}, plan.map((p, i) => h('li', {
    class: i < stage ? 'done' : i === stage ? 'current' : '', 'aria-current': i === stage ? 'step' : null, 'data-stage': i},
  h('span', {class: 'share'}, permillePercent(p.rolloutPermille)),
  i < plan.length - 1 ? h('span', {class: 'wait'}, `then ${p.waitMinutes} min`) : null)));
  let next = null;
  const following = plan[stage + 1];
  if (s.status === 'HALTED') next = 'Halted: the plan waits until the rollout is resumed.';
  else if (following && s.planNextAt) {
    next = ['Next: ', h('strong', null, permillePercent(following.rolloutPermille)), ' at ',
      h('time', {datetime: s.planNextAt}, absolute(s.planNextAt))];
  } else if (!following && stage >= 0) next = 'The plan is done.';
  return [list, next ? h('p', {class: 'small', 'data-field': 'next'}, next) : null];
}

// The rollout panel: the share as a bar, the plan, and (o.canAct) the buttons. o.act(s, action, body) sends one;
// o.fail(message) shows what the page refused before sending.
function rolloutPart(s, o) {
  const pct = Math.round(s.rolloutFraction * 1000) / 10;
  const buttons = o.canAct ? actions(s).filter((a) => a !== 'promote' && a !== 'rollout').map((a) => {
    const label = {halt: 'Halt', resume: 'Resume', complete: s.targetType === 'APP_STORE' && s.status === 'APPROVED' ? 'Release' : 'Go to 100%',
      phased: 'Start phased release'}[a];
    return h('button', {type: 'button', class: a === 'halt' ? 'danger' : a === 'resume' ? 'primary' : 'secondary', 'data-action': a,
      onclick: async (ev) => {
        if (!(await confirmDialog(question(s, a)))) return;
        ev.target.disabled = true;
        if (a === 'phased') await o.act(s, 'rollout', {rolloutPermille: 10}); // Apple's schedule sets the share: this only starts it
        else await o.act(s, a);
      }}, label);
  }) : [];
  return h('div', {class: 'store-part', 'data-part': 'rollout'},
    h('h4', null, 'Rollout'),
    h('div', {class: 'share-line'}, h('progress', {max: 100, value: pct, 'aria-label': `Share of users: ${pct}%`}),
      h('strong', {'data-field': 'share'}, `${pct}%`)),
    planPart(s),
    o.canAct && actions(s).includes('rollout') ? shareForm(s, o) : null,
    buttons.length ? h('div', {class: 'actions', role: 'group', 'aria-label': `Rollout actions: ${STORE[s.targetType] || s.targetType}`}, buttons) : null,
    o.canAct && actions(s).includes('promote') ? promoteForm(s, o) : null);
}

// A share typed and not sent yet, by submission: the page redraws the panel on every live event (a
// review's poll, a stage), and a redraw must not put the default back under the editor's hand.
const typedShare = new Map();

// Google Play: a larger share now, by hand.
function shareForm(s, o) {
  const id = `rollout-${s.id}`;
  const input = h('input', {id, type: 'number', min: 0.1, max: 100, step: '0.1', class: 'percent',
    value: typedShare.get(s.id) ?? String(Math.min(100, Math.round(s.rolloutFraction * 100) + 10)),
    oninput: () => typedShare.set(s.id, input.value)});
  return h('div', {class: 'rollout'}, h('label', {for: id}, 'Share %'), input,
    h('button', {type: 'button', class: 'secondary', 'data-action': 'rollout', onclick: async () => {
      const permille = Math.round(Number(input.value) * 10);
      if (!(await confirmDialog({title: `Roll out to ${permille / 10}%?`, confirm: 'Roll out', danger: false,
        body: `${STORE[s.targetType]} gives build ${s.buildNumber} to ${permille / 10}% of users instead of ${percent(s.rolloutFraction)}.`}))) return;
      typedShare.delete(s.id);
      await o.act(s, 'rollout', {rolloutPermille: permille});
    }}, 'Roll out'));
}

// Google Play: the build to another track, with an optional plan of its own.
function promoteForm(s, o) {
  const id = `promote-${s.id}`;
  const track = h('select', {id: `${id}-track`}, PLAY_TRACKS.filter((t) => t !== s.track).map((t) => h('option', {value: t}, t)));
  const plan = h('input', {type: 'text', id: `${id}-plan`, placeholder: '10, 50, 100', inputmode: 'decimal', 'aria-describedby': `${id}-hint`});
  const minutes = h('input', {type: 'number', id: `${id}-wait`, min: 0, max: 10080, value: '60', class: 'percent'});
  return h('details', {class: 'promote'}, h('summary', null, 'Promote to another track'),
    h('div', {class: 'promote-fields'},
      h('label', {for: `${id}-track`}, 'Track'), track,
      h('label', {for: `${id}-plan`}, 'Plan (% stages, optional)'), plan,
      h('label', {for: `${id}-wait`}, 'Minutes between stages'), minutes),
    h('p', {class: 'muted small', id: `${id}-hint`}, 'Empty: everyone on that track at once. The last stage must be 100.'),
    h('button', {type: 'button', class: 'secondary', 'data-action': 'promote', onclick: async () => {
      const body = {track: track.value};
      let stages = null;
      try {
        stages = parsePlan(plan.value, minutes.value);
      } catch (e) {
        o.fail(e.message);
        return;
      }
      if (stages) body.rolloutPlan = stages;
      if (!(await confirmDialog({title: `Promote build ${s.buildNumber} to ${track.value}?`, confirm: 'Promote', danger: false,
        body: `${STORE[s.targetType]} gets a new submission of this build on ${track.value}${stages ? `, rolled out ${stages.map((x) => permillePercent(x.rolloutPermille)).join(' → ')}` : ' for everyone'}; this one stays as it is.`}))) return;
      await o.act(s, 'promote', body);
    }}, 'Promote'));
}

const METRIC = {crashFreeSessions: 'crash-free sessions', crashFreeUsers: 'crash-free users', errorCount: 'errors'};

// A figure of the rule's metric in words: "98.7%" or "40 errors".
function figure(rule, value) {
  return rule.metric === 'errorCount' ? `${value} error${value === 1 ? '' : 's'}` : `${value}%`;
}

// The health rule's part (e: GET release's health entry of the submission): the latest figure, the rule, when it was
// read, and a breach (or why there is no figure) in words. Its data-health (the submission) lets a new reading replace it.
export function healthPart(e) {
  const r = e.rule;
  const counts = r.metric === 'errorCount';
  const side = counts ? 'above' : 'below';
  let state = null;
  if (e.breachSince) {
    const halts = e.status !== 'ROLLING_OUT' ? ''
      : r.windowMinutes ? ` The rollouts halt once it has lasted ${r.windowMinutes} min.` : ' The rollouts halt now.';
    state = h('p', {class: 'notice warn', 'data-field': 'health-breach'}, h('strong', null, 'Breach: '),
      `${METRIC[r.metric]} ${side} the threshold since `, when(e.breachSince), `.${halts}`);
  } else if (e.error) {
    state = h('p', {class: 'muted small wrap', 'data-field': 'health-error'}, `No figure: ${e.error}`);
  } else if (e.value !== null) {
    state = h('p', {class: 'small', 'data-field': 'health-ok'}, 'Within the rule.');
  }
  return h('div', {class: 'store-part store-health', 'data-part': 'health', 'data-health': e.submissionId},
    h('h4', null, 'Health'),
    h('p', {class: 'health-line'},
      h('strong', {'data-field': 'health-value'}, e.value === null ? '—' : figure(r, e.value)),
      h('span', {class: 'muted'}, ` ${METRIC[r.metric] || r.metric}`)),
    h('p', {class: 'small', 'data-field': 'health-rule'},
      `Rule: ${counts ? 'more than' : 'under'} ${figure(r, r.threshold)} for ${r.windowMinutes} min halts the rollouts.`),
    h('p', {class: 'muted small', 'data-field': 'health-read'}, e.checkedAt ? ['Read ', when(e.checkedAt, {relative: true})] : 'Not read yet.'),
    state);
}

// One store target's card: the submission, the rollout and its health side by side (stacked on a phone).
// o.health: the release's health entry of this submission, if a rule watches it.
export function storeCard(s, o) {
  return h('article', {class: 'store-card', 'data-submission': s.platform, 'data-target': s.targetType, 'data-track': s.track},
    h('h3', null, `${STORE[s.targetType] || s.targetType} · ${s.track}`, o.earlier ? h('span', {class: 'muted small'}, ` (${o.earlier} earlier)`) : null),
    h('div', {class: 'store-parts'}, submissionPart(s), rolloutPart(s, o), o.health ? healthPart(o.health) : null));
}
