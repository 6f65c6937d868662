// release-submissions.js: a release's store targets on its page
// (docs/stores.md): one card a target and track, for its latest submission,
// with the submission and rollout panels of release-rollout.js; "Submit"
// for a READY release (editors and owners), with Google Play's optional
// rollout plan and a health rule (a monitoring integration, a metric, a
// threshold and a window). Each action's answer or error is shown above the
// cards; the server still decides (409 for a move it refuses).

import {h, append, clear, announce, errorBox, showError} from './dom.js';
import {get, post, tenantPath} from './api.js';
import {field, FieldSet} from './forms.js';
import {canDrive, PLATFORM_WORDS} from './releases.js';
import {storeCard, healthPart, inPlayReview, parsePlan, STORE} from './release-rollout.js';

// The latest submission of each target and track (the list is oldest first), with how many came before it.
function latestPerTarget(list) {
  const byKey = new Map();
  for (const s of list) {
    const key = `${s.targetIntegrationId || s.targetType}/${s.track}`;
    const earlier = byKey.has(key) ? byKey.get(key).earlier + 1 : 0;
    byKey.set(key, {s, earlier});
  }
  return [...byKey.values()];
}

const METRICS = [{value: 'crashFreeSessions', label: 'Crash-free sessions (%)'}, {value: 'crashFreeUsers', label: 'Crash-free users (%)'},
  {value: 'errorCount', label: 'Error count'}];

// The submit form: platform, track, build, either a first share or a plan (Google Play), a health rule
// (monitors: the tenant's monitoring integrations), and where the tenant has Firebase App Distribution targets
// (testers), a choice of one of them with its tester groups and e-mails. A HOTFIX to Google Play may carry the
// share the release it fixes has reached over (carryRollout), in place of a first share or plan.
function submitForm(stores, monitors, testers, listPath, done, hotfix) {
  const fields = [
    field({name: 'platform', kind: 'string', required: true}, {label: 'Platform', choices: stores.map((p) => ({value: p, label: PLATFORM_WORDS[p]})),
      value: stores[0]}),
    field({name: 'track', kind: 'string', maxLength: 64}, {label: 'Track', hint: 'Google Play: internal, alpha, beta or production (the default).'}),
    field({name: 'buildNumber', kind: 'string', maxLength: 64}, {label: 'Build number', hint: 'Empty: the platform\'s latest succeeded build.'}),
    field({name: 'rolloutPermille', kind: 'integer', minimum: 1, maximum: 1000}, {label: 'First share (‰)',
      hint: 'Google Play: thousandths of users, e.g. 100 for 10%. Empty: everyone (or the plan\'s first stage).'}),
    field({name: 'rolloutPlan', kind: 'string', maxLength: 200}, {label: 'Rollout plan (%)',
      hint: 'Google Play: the shares it moves through on its own, e.g. 10, 50, 100 (the last 100).'}),
    field({name: 'waitMinutes', kind: 'integer', minimum: 0, maximum: 10080}, {label: 'Minutes between stages', hint: 'With a plan: how long each stage holds.'}),
  ];
  if (hotfix && stores.includes('ANDROID')) {
    fields.push(field({name: 'carryRollout', kind: 'boolean'}, {label: 'Carry the rollout share over',
      hint: 'Google Play: start at the share the release this hotfix fixes has reached on the same track, so no user who has that build waits. Leave the first share and plan empty.'}));
  }
  if (monitors.length) { // a health rule only where the tenant has a monitoring integration to read it from
    fields.push(field({name: 'monitoringIntegrationId', kind: 'string'}, {label: 'Health watched by',
      choices: monitors.map((m) => ({value: m.id, label: `${m.displayName} (${m.type})`})),
      hint: 'A breach of the rule below halts the release\'s staged rollouts on every store. (none): not watched.'}),
    field({name: 'metric', kind: 'string'}, {label: 'Health metric', choices: METRICS, value: 'crashFreeSessions'}),
    field({name: 'threshold', kind: 'string', maxLength: 20}, {label: 'Threshold',
      hint: 'Crash-free: the lowest share allowed, e.g. 99.5. Error count: the most errors allowed.'}),
    field({name: 'windowMinutes', kind: 'integer', minimum: 0, maximum: 1440}, {label: 'Breach lasts (minutes)',
      hint: 'How long a breach must last before the rollouts halt (0: at once).'}));
  }
  if (testers.length) { // Firebase is never a platform's default: only where it is named
    fields.push(field({name: 'targetIntegrationId', kind: 'string'}, {label: 'Distribute with',
      choices: testers.map((t) => ({value: t.id, label: `${t.displayName} (Firebase App Distribution)`})),
      hint: '(none): the platform\'s store. Firebase gives the build to testers, on the track "testers".'}),
    field({name: 'testerGroups', kind: 'array', maxLength: 2000}, {label: 'Tester groups', hint: 'Firebase: group aliases, e.g. qa.'}),
    field({name: 'testerEmails', kind: 'array', maxLength: 2000}, {label: 'Tester e-mails', hint: 'Firebase: testers\' addresses.'}));
  }
  const set = new FieldSet(fields);
  const form = h('form', {novalidate: true, id: 'submission-form', class: 'boxed'}, set.summary,
    h('div', {class: 'fields'}, fields.map((f) => f.wrap)), h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Submit')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    set.clearErrors();
    try {
      const {rolloutPlan, waitMinutes, monitoringIntegrationId, metric, threshold, windowMinutes, testerGroups, testerEmails, carryRollout, ...body} = set.collect(false);
      if (carryRollout) body.carryRollout = true; // unticked: not sent (the server refuses it for other stores and types)
      if (testerGroups || testerEmails) body.testers = {...(testerGroups ? {groups: testerGroups} : {}), ...(testerEmails ? {emails: testerEmails} : {})};
      const plan = parsePlan(rolloutPlan, waitMinutes);
      if (plan) body.rolloutPlan = plan;
      if (monitoringIntegrationId) { // the server says what is wrong with a rule (an empty threshold is null)
        body.healthRule = {monitoringIntegrationId, metric: metric || 'crashFreeSessions',
          threshold: threshold === undefined ? null : Number(threshold), windowMinutes: windowMinutes ?? 0};
      }
      await post(listPath, body);
      announce('Submitted');
      done();
    } catch (e) {
      set.showErrors(e);
    }
  });
  return form;
}

// The panel: its section element and show(release) to draw it (again) for the release as it is now.
export function submissionsPanel(ctx, path) {
  const section = h('section', {class: 'panel', 'aria-labelledby': 'submissions-title', id: 'submissions'});
  const box = errorBox();
  const result = h('p', {class: 'notice success', role: 'status', hidden: true, id: 'submission-result'});
  let form = null;
  let last = null;
  let timer = 0;
  // The cards drawn, by submission: a redraw keeps the element of a card whose submission, health and rights are as
  // they were, so a live event's redraw between a mouse's press and its release does not swallow the click.
  const drawn = new Map();

  const act = async (s, action, body) => {
    showError(box, null);
    try {
      const after = await post(path(`/submissions/${s.id}/${action}`), body);
      const word = {rollout: s.targetType === 'APP_STORE' ? 'the start of the phased release' : 'the new share', halt: 'the halt', resume: 'the resume', complete: 'going to 100%', promote: 'the promotion'}[action];
      result.textContent = `${STORE[s.targetType] || s.targetType}: ${word || action} sent; the store applies it now (${after.pendingAction || after.status}).`;
      result.hidden = false;
      announce(result.textContent);
    } catch (e) {
      showError(box, e.message);
    }
    drawn.delete(s.id); // its button was disabled when clicked
    await show(last);
  };

  function card(s, earlier, health) {
    const canAct = canDrive(ctx.tenant);
    const key = JSON.stringify([s, earlier, health ?? null, canAct]);
    const old = drawn.get(s.id);
    if (old && old.key === key) return old.el;
    const el = storeCard(s, {canAct, act, fail: (m) => showError(box, m), earlier, health});
    drawn.set(s.id, {key, el});
    return el;
  }

  async function show(rel) {
    last = rel;
    const list = (await get(path('/submissions'))).items;
    if (ctx.stale()) return;
    const stores = (rel.platforms || []).filter((p) => p === 'IOS' || p === 'ANDROID');
    if (!form && canDrive(ctx.tenant) && rel.status === 'READY' && stores.length) {
      // Open while nothing is submitted; afterwards one line under the cards (it keeps its state across redraws).
      const [monitors, targets] = await Promise.all(['monitoring', 'targets'].map((c) => get(tenantPath(ctx.tenant.id, `/integrations/${c}`))
        .then((p) => p.items, () => [])));
      if (ctx.stale()) return;
      form = form || h('details', {class: 'more submit-box', open: !list.length}, h('summary', null, 'Submit a build to a store'),
        submitForm(stores, monitors, targets.filter((t) => t.type === 'FIREBASE'), path('/submissions'), () => show(last),
          rel.releaseType === 'HOTFIX'));
    }
    const health = new Map((rel.health || []).map((e) => [e.submissionId, e]));
    const cards = latestPerTarget(list).map(({s, earlier}) => card(s, earlier, health.get(s.id)));
    append(clear(section), [h('h2', {id: 'submissions-title'}, 'Stores'), box, result,
      cards.length ? h('div', {class: 'store-cards'}, cards)
        : h('p', {class: 'muted'}, rel.status === 'READY' ? 'Nothing submitted yet.' : 'A release is submitted to the stores once it is ready.'),
      form && rel.status === 'READY' ? form : null]);
    // An action under way ends in its job, which moves no release: its answer is read again until it has ended,
    // each second while the store applies it, each half minute while it only waits for Play's review (its
    // decision also reaches the page as a timeline row). A watched rollout's readings come over the release's
    // stream (release-health, view-release.js).
    window.clearTimeout(timer);
    const pending = list.filter((s) => s.pendingAction);
    if (pending.length) {
      timer = window.setTimeout(() => !ctx.stale() && show(last).catch(() => {}), pending.every(inPlayReview) ? 30000 : 1000);
    }
  }
  // A new health reading (the release's stream): each card's health part replaced in place, so a form being typed in or a
  // button about to be clicked stays; a rule with no part drawn yet redraws the panel.
  function health(entries) {
    if (!last) return;
    last = {...last, health: entries};
    const parts = entries.map((e) => [e, section.querySelector(`[data-part="health"][data-health="${e.submissionId}"]`)]);
    if (parts.some(([, part]) => !part)) {
      show(last).catch((e) => showError(box, e.message));
      return;
    }
    for (const [e, part] of parts) part.replaceWith(healthPart(e));
  }
  return {section, show: (rel) => show(rel).catch((e) => showError(box, e.message)), health};
}
