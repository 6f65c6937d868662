// release-submissions.js: a release's store targets on its page
// (docs/stores.md): one card a target and track, for its latest submission,
// with the submission and rollout panels of release-rollout.js; "Submit"
// for a READY release (editors and owners), with Google Play's optional
// rollout plan. Each action's answer or error is shown above the cards; the
// server still decides (409 for a move it refuses).

import {h, append, clear, announce, errorBox, showError} from './dom.js';
import {get, post} from './api.js';
import {field, FieldSet} from './forms.js';
import {canDrive, PLATFORM_WORDS} from './releases.js';
import {storeCard, parsePlan, STORE} from './release-rollout.js';

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

// The submit form: platform, track, build, and either a first share or a plan (Google Play).
function submitForm(stores, listPath, done) {
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
  const set = new FieldSet(fields);
  const form = h('form', {novalidate: true, id: 'submission-form', class: 'boxed'}, set.summary,
    h('div', {class: 'fields'}, fields.map((f) => f.wrap)), h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Submit')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    set.clearErrors();
    try {
      const {rolloutPlan, waitMinutes, ...body} = set.collect(false);
      const plan = parsePlan(rolloutPlan, waitMinutes);
      if (plan) body.rolloutPlan = plan;
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

  const act = async (s, action, body) => {
    showError(box, null);
    try {
      const after = await post(path(`/submissions/${s.id}/${action}`), body);
      const word = {rollout: 'the new share', halt: 'the halt', resume: 'the resume', complete: 'going to 100%', promote: 'the promotion'}[action];
      result.textContent = `${STORE[s.targetType] || s.targetType}: ${word || action} sent; the store applies it now (${after.pendingAction || after.status}).`;
      result.hidden = false;
      announce(result.textContent);
    } catch (e) {
      showError(box, e.message);
    }
    await show(last);
  };

  async function show(rel) {
    last = rel;
    const list = (await get(path('/submissions'))).items;
    if (ctx.stale()) return;
    const stores = (rel.platforms || []).filter((p) => p === 'IOS' || p === 'ANDROID');
    if (!form && canDrive(ctx.tenant) && rel.status === 'READY' && stores.length) {
      // Open while nothing is submitted; afterwards one line under the cards (it keeps its state across redraws).
      form = h('details', {class: 'more submit-box', open: !list.length}, h('summary', null, 'Submit a build to a store'),
        submitForm(stores, path('/submissions'), () => show(last)));
    }
    const cards = latestPerTarget(list).map(({s, earlier}) => storeCard(s, {canAct: canDrive(ctx.tenant), act, fail: (m) => showError(box, m), earlier}));
    append(clear(section), [h('h2', {id: 'submissions-title'}, 'Stores'), box, result,
      cards.length ? h('div', {class: 'store-cards'}, cards)
        : h('p', {class: 'muted'}, rel.status === 'READY' ? 'Nothing submitted yet.' : 'A release is submitted to the stores once it is ready.'),
      form && rel.status === 'READY' ? form : null]);
    // An action under way ends in its job, which moves no release: its answer is read again until it has ended.
    window.clearTimeout(timer);
    if (list.some((s) => s.pendingAction)) timer = window.setTimeout(() => !ctx.stale() && show(last).catch(() => {}), 1000);
  }
  return {section, show: (rel) => show(rel).catch((e) => showError(box, e.message))};
}
