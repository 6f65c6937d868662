// deploy-common.js: what the deployment pages share (docs/deployments.md):
// status badges for hosts and deployments, a page head, a row's action
// button that shows its error in the page's error box, and the form that
// creates or edits one row (a PATCH sends only what changed).

import {h, announce, showError} from './dom.js';
import {post, patch} from './api.js';
import {FieldSet} from './forms.js';

const BADGES = {
  OK: ['badge-success', 'Connected'], FAILED: ['badge-failure', 'Failed'], HOST_KEY_CHANGED: ['badge-failure', 'Host key changed'],
  UNTESTED: ['badge-not_verified', 'Not tested'], PENDING: ['badge-not_verified', 'Pending'], RUNNING: ['badge-progress', 'Running'],
  SUCCEEDED: ['badge-success', 'Succeeded'], CANCELLED: ['badge-expired', 'Cancelled'],
  PARTIALLY_FAILED: ['badge-failure', 'Partially failed'], SCHEDULED: ['badge-not_verified', 'Scheduled'],
  AWAITING_APPROVAL: ['badge-progress', 'Awaiting approval'],
};

// A host's or a deployment's status: a word and a colour, never colour alone.
export function statusBadge(status) {
  const [cls, word] = BADGES[status] || ['badge-not_verified', status];
  return h('span', {class: `badge ${cls}`, 'data-status': status}, word);
}

export function pageHead(title, sub) {
  return h('div', {class: 'page-head'}, h('div', null, h('h1', null, title), h('p', {class: 'sub'}, sub)));
}

// A button that runs an action; its error goes to box.
export function actButton(box, label, run, attrs) {
  const b = h('button', {type: 'button', class: 'secondary', ...attrs}, label);
  b.addEventListener('click', async () => {
    showError(box, null);
    b.disabled = true;
    try {
      await run();
    } catch (e) {
      showError(box, e.message);
    } finally {
      b.disabled = false;
    }
  });
  return b;
}

// The form that makes a row (POST to listPath) or edits one (PATCH listPath/id): the API's errors go next to their fields.
// o.prepare(body), if given, turns the fields' values into the body sent (a local date-time into RFC 3339).
export function rowForm(o) {
  const set = new FieldSet(o.fields);
  const cancel = o.row ? h('button', {type: 'button', class: 'secondary', onclick: o.done}, 'Cancel') : null;
  const form = h('form', {novalidate: true, id: o.id, class: 'boxed'}, set.summary,
    h('div', {class: 'fields'}, o.fields.map((f) => f.wrap)),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, o.row ? 'Save' : o.submit), cancel));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    set.clearErrors();
    try {
      const body = o.prepare ? o.prepare(set.collect(!!o.row)) : set.collect(!!o.row);
      if (o.row) await patch(`${o.listPath}/${o.row.id}`, body);
      else await post(o.listPath, body);
      announce(o.row ? 'Saved' : 'Added');
      set.initial = set.snapshot();
      o.done();
    } catch (e) {
      set.showErrors(e);
    }
  });
  return {form, set};
}
