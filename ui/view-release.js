// view-release.js: one release: its stages as a stepper, what it is made
// of (branch, tag, base), the builds of each platform (linking to the CI's
// run), the actions its status allows (editors and owners: also a new
// candidate and finish), the regression approvals with an Approve button
// for a member whose role the configuration names (and the candidates'
// TestRail runs with their pass rate), the notes with an edit
// box, and its
// timeline, followed live over Server-Sent Events: the stream starts at
// the timeline's beginning, so a reconnect misses nothing, and every event
// that moves the release reloads its summary.

import {h, append, clear, when, announce, errorBox, showError, confirmDialog} from './dom.js';
import {get, post, patch, tenantPath} from './api.js';
import {submissionsPanel} from './release-submissions.js';
import {releaseBadge, stepper, allowedActions, canDrive, PLATFORM_WORDS, TYPE_WORDS, statusWord, targetDate} from './releases.js';

const ACTIONS = {
  pause: {label: 'Pause', done: 'paused', ask: null},
  resume: {label: 'Resume', done: 'resumed', ask: null},
  retry: {label: 'Retry', done: 'retried', ask: null},
  'new-candidate': {label: 'New candidate', done: 'is tagging a new candidate',
    ask: (r) => ({title: `Tag candidate ${r.candidateNumber + 1} of ${r.version}?`,
      body: `slipway tags the head of ${r.releaseBranch} as candidate ${r.candidateNumber + 1} and builds it again. ` +
        `Approvals of candidate ${r.candidateNumber} no longer count: the new one is approved again. Nothing happens if the branch has not moved.`,
      confirm: `Tag candidate ${r.candidateNumber + 1}`, cancel: 'Not now', danger: false})},
  finish: {label: 'Finish', done: 'is finishing',
    ask: (r) => ({title: `Finish release ${r.version}?`, body: 'slipway makes the final tag at the current candidate and the release in your source control, with the notes.',
      confirm: 'Finish the release', cancel: 'Not yet', danger: false})},
  cancel: {label: 'Cancel release', done: 'cancelled',
    ask: (r) => ({title: `Cancel release ${r.version}?`, body: 'Nothing more happens to it: a cancelled release cannot be resumed. Its branch and tags stay.',
      confirm: 'Cancel the release', cancel: 'Keep it'})},
};

// A timeline event in words.
const EVENT_WORDS = {
  create: 'Release created',
  'resolve-ref': 'Read the base branch\'s head',
  'create-branch': 'Made the release branch',
  'create-tag': 'Tagged the candidate',
  'kickoff-done': 'Kickoff done',
  'kickoff-failed': 'Kickoff blocked',
  pause: 'Paused',
  resume: 'Resumed',
  retry: 'Retried',
  cancel: 'Cancelled',
  approve: 'Approved',
  approved: 'Approvals complete',
  'new-candidate': 'New candidate',
  'read-branch-head': 'Read the release branch\'s head',
  'create-final-tag': 'Made the final tag',
  'create-release': 'Made the release in source control',
  compare: 'Collected the notes',
  'edit-notes': 'Notes edited',
  finish: 'Finished',
  'trigger-build': 'Started the build',
  'wait-build': 'Waiting for the build',
  'build-webhook': 'The CI reported the build',
  'poll-build': 'Asked the CI about the build',
  'cancel-build': 'Cancelled the build',
  'build-succeeded': 'Build succeeded',
  'build-failed': 'Build failed',
  'builds-done': 'Builds done',
};
// A store submission's events (docs/stores.md): some names are the release's own too, so a store event's words win.
const STORE_EVENT_WORDS = {
  submit: 'Store submission',
  submitted: 'Submitted to the store',
  processing: 'The store is processing the build',
  'in-review': 'In the store\'s review',
  rejected: 'Rejected by the store',
  'review-approved': 'Approved by the store',
  'rollout-updated': 'Rollout moved',
  'submission-failed': 'Store submission failed',
  rollout: 'Rollout share changed',
  halt: 'Rollout halted',
  resume: 'Rollout resumed',
  complete: 'Rollout to everyone',
  promote: 'Promoted to another track',
  poll: 'Read the store',
  released: 'Released to every user',
};
const STORE_ACTIONS = ['submit', 'rollout', 'halt', 'resume', 'complete', 'promote', 'poll'];
const eventWords = (e) => ((e.details && (e.details.submissionId || e.details.target)) || (e.kind === 'CALL' && STORE_ACTIONS.includes(e.name))
  ? STORE_EVENT_WORDS[e.name] : null) || EVENT_WORDS[e.name] || STORE_EVENT_WORDS[e.name] || e.name;
const OUTCOME = {OK: ['success', 'Done'], RETRY: ['expired', 'Will retry'], FAILED: ['failure', 'Failed']};

export async function viewRelease(ctx) {
  const tenantId = ctx.tenant.id;
  const releaseId = ctx.params[1];
  const path = (rest) => tenantPath(tenantId, `/releases/${releaseId}${rest || ''}`);
  const [first, members, config] = await Promise.all([get(path()),
    get(tenantPath(tenantId, '/members?limit=200')).then((p) => p.items, () => []),
    get(tenantPath(tenantId, '/release-configuration')).catch(() => ({approvalRoles: [], approvalCount: 1}))]);
  if (ctx.stale()) return;
  const emails = Object.fromEntries(members.map((m) => [m.accountId, m.email]));
  const who = (id) => (!id ? 'slipway' : id === ctx.me.id ? 'You' : emails[id] || 'A member');

  const box = errorBox();
  const head = h('div', {class: 'page-head'});
  const summary = h('section', {class: 'panel', 'aria-labelledby': 'stages-title', id: 'stages'});
  const builds = h('section', {class: 'panel', 'aria-labelledby': 'builds-title', id: 'builds'});
  const approvals = h('section', {class: 'panel', 'aria-labelledby': 'approvals-title', id: 'approvals'});
  const notes = h('section', {class: 'panel', 'aria-labelledby': 'notes-title', id: 'notes'});
  let editing = false;
  const live = h('span', {class: 'live', hidden: true}, 'Live');
  const list = h('ol', {class: 'timeline', 'aria-live': 'polite', 'aria-relevant': 'additions', id: 'timeline-list'});
  const seen = new Set();
  let rel = first;
  const submissions = submissionsPanel(ctx, path);

  function show() {
    const heading = h('h1', null, `Release ${rel.version}`);
    append(clear(head), [h('div', null, heading,
      h('p', {class: 'sub'}, releaseBadge(rel.status), ` ${TYPE_WORDS[rel.releaseType] || rel.releaseType} release for `,
        (rel.platforms || []).map((p) => PLATFORM_WORDS[p] || p).join(', '), rel.targetDate ? [', target ', targetDate(rel.targetDate)] : null)),
    actionBar()]);
    const reason = rel.statusReason && ['BLOCKED', 'CANCELLED'].includes(rel.status)
      ? h('p', {class: `notice ${rel.status === 'BLOCKED' ? 'warn' : ''}`, id: 'status-reason'},
        `${statusWord(rel.status)}: ${rel.statusReason}`) : null;
    append(clear(summary), [h('h2', {id: 'stages-title'}, 'Stages'), stepper(rel), reason,
      h('dl', {class: 'facts'},
        fact('Release branch', rel.releaseBranch, rel.branchCommit),
        fact('Candidate', rel.candidateTag ? `${rel.candidateTag} (#${rel.candidateNumber})` : null),
        rel.finalTag ? fact('Final tag', rel.finalTag, rel.candidateCommit) : null,
        fact('Base', rel.baseRef || 'the default branch', rel.baseCommit),
        h('dt', null, 'Created'), h('dd', null, when(rel.createdAt, {relative: true}), ' by ', who(rel.createdByAccountId)),
        rel.kickoffAt ? [h('dt', null, 'Kicked off'), h('dd', null, when(rel.kickoffAt, {relative: true}))] : null)]);
    clear(builds).append(h('h2', {id: 'builds-title'}, 'Builds'), buildList(rel));
    showApprovals();
    submissions.show(rel);
    if (!editing) showNotes();
  }

  // The current candidate's approvals count; older ones stay listed, marked.
  function showApprovals() {
    const list = rel.approvals || [];
    const current = list.filter((a) => a.candidateNumber === rel.candidateNumber);
    const mayApprove = rel.status === 'REGRESSION' && (config.approvalRoles || []).includes(ctx.tenant.role) &&
      !current.some((a) => a.accountId === ctx.me.id);
    const btn = mayApprove ? h('button', {type: 'button', class: 'primary', id: 'approve'}, 'Approve') : null;
    const note = mayApprove ? h('input', {type: 'text', id: 'approve-note', maxlength: 1000, placeholder: 'What you checked (optional)',
      'aria-label': 'Approval note'}) : null;
    btn?.addEventListener('click', async () => {
      showError(box, null);
      btn.disabled = true;
      try {
        const body = note.value.trim() ? {note: note.value.trim()} : {};
        await post(path('/approve'), body);
        announce(`You approved candidate ${rel.candidateNumber}`);
        rel = await get(path());
        show();
      } catch (e) {
        btn.disabled = false;
        showError(box, e.message);
      }
    });
    append(clear(approvals), [h('h2', {id: 'approvals-title'}, 'Approvals'),
      h('p', {class: 'sub'}, `${current.length} of ${config.approvalCount || 1} for candidate ${rel.candidateNumber || '-'}`,
        (config.approvalRoles || []).length ? ` (by ${(config.approvalRoles || []).join(' or ')})` : null),
      list.length ? h('ul', {class: 'approvals'}, list.map((a) => h('li', {'data-candidate': a.candidateNumber,
        class: a.candidateNumber === rel.candidateNumber ? '' : 'muted'},
      h('strong', null, a.accountId === ctx.me.id ? 'You' : a.accountName), ` (${a.role}) approved candidate ${a.candidateNumber} `,
      when(a.createdAt, {relative: true}), a.note ? h('p', {class: 'message'}, a.note) : null)))
        : h('p', {class: 'empty'}, 'No approvals yet.'),
      btn ? h('div', {class: 'actions'}, note, btn) : null, testRuns]);
    showTestRuns();
  }

  // The candidates' TestRail runs with their pass rate (the approval's gate when the configuration sets one);
  // editors may have them read now. Nothing shows for a tenant without test management.
  const testRuns = h('div', {id: 'test-runs'});
  async function showTestRuns() {
    const runs = await get(path('/test-runs')).then((p) => p.items, () => []);
    const gate = config.minTestPassRate;
    if (!runs.length && gate == null) return clear(testRuns);
    const read = canDrive(ctx.tenant) && runs.some((r) => r.status === 'ACTIVE')
      ? h('button', {type: 'button', class: 'secondary', id: 'read-test-runs'}, 'Read results now') : null;
    read?.addEventListener('click', async () => {
      showError(box, null);
      try {
        await post(path('/test-runs/refresh'), {});
        announce('Test results are being read');
        setTimeout(showTestRuns, 1500);
      } catch (e) {
        showError(box, e.message);
      }
    });
    const rate = (r) => r.passRate == null ? 'no tests' : `${r.passRate.toFixed(1)}% passed (${r.counts.passed} of ${r.total})`;
    append(clear(testRuns), [h('h3', {class: 'section-sub'}, 'Test runs'),
      gate != null ? h('p', {class: 'sub'}, `Approval needs each run of the candidate to pass at least ${gate}%.`) : null,
      runs.length ? h('ul', {class: 'approvals test-runs'}, runs.map((r) => h('li', {'data-candidate': r.candidate,
        class: r.candidate === rel.candidateNumber ? '' : 'muted'},
      h('a', {href: r.url, target: '_blank', rel: 'noopener'}, r.name), ` ${rate(r)}`,
      gate != null && r.candidate === rel.candidateNumber && (r.passRate == null || r.passRate < gate)
        ? h('span', {class: 'badge failure'}, ' below the gate') : null,
      r.lastError ? h('p', {class: 'message'}, r.lastError) : null)))
        : h('p', {class: 'empty'}, 'No test run yet.'),
      read ? h('div', {class: 'actions'}, read) : null]);
  }

  // The notes: generated from the commits until someone edits them; editable until the release ends.
  function showNotes() {
    const editable = canDrive(ctx.tenant) && !['FINISHED', 'CANCELLED'].includes(rel.status);
    const edit = editable ? h('button', {type: 'button', class: 'secondary', id: 'edit-notes'}, 'Edit notes') : null;
    edit?.addEventListener('click', () => {
      editing = true;
      const area = h('textarea', {id: 'notes-text', rows: 12, maxlength: 60000, 'aria-label': 'Release notes (Markdown)'});
      area.value = rel.notes || '';
      const save = h('button', {type: 'button', class: 'primary', id: 'save-notes'}, 'Save notes');
      const stop = h('button', {type: 'button', class: 'secondary'}, 'Cancel');
      stop.addEventListener('click', () => {
        editing = false;
        showNotes();
      });
      save.addEventListener('click', async () => {
        showError(box, null);
        save.disabled = true;
        try {
          rel = {...rel, ...(await patch(path(), {notes: area.value}))};
          editing = false;
          announce('Notes saved');
          showNotes();
        } catch (e) {
          save.disabled = false;
          showError(box, e.message);
        }
      });
      append(clear(notes), [h('h2', {id: 'notes-title'}, 'Notes'), area, h('div', {class: 'actions'}, save, stop)]);
      area.focus();
    });
    append(clear(notes), [h('h2', {id: 'notes-title'}, 'Notes'),
      rel.notes ? h('pre', {class: 'notes', id: 'notes-body'}, rel.notes) : h('p', {class: 'empty'}, 'Collected from the commits once the candidate is tagged.'),
      rel.notesEditedAt ? h('p', {class: 'muted small'}, 'Edited ', when(rel.notesEditedAt, {relative: true}), ': new candidates keep these notes.') : null,
      edit ? h('div', {class: 'actions'}, edit) : null]);
  }

  function actionBar() {
    if (!canDrive(ctx.tenant)) return null;
    const actions = allowedActions(rel.status);
    if (rel.status === 'REGRESSION' || rel.status === 'READY') actions.unshift('new-candidate');
    if (rel.status === 'READY' || rel.status === 'RELEASED') actions.unshift('finish');
    if (!actions.length) return null;
    return h('div', {class: 'actions', role: 'group', 'aria-label': 'Release actions'}, actions.map((a) => {
      const btn = h('button', {type: 'button', class: a === 'cancel' ? 'danger' : a === 'pause' ? 'secondary' : 'primary', 'data-action': a},
        ACTIONS[a].label);
      btn.addEventListener('click', async () => {
        showError(box, null);
        if (ACTIONS[a].ask && !(await confirmDialog(ACTIONS[a].ask(rel)))) return;
        btn.disabled = true;
        try {
          rel = {...rel, ...(await post(path(`/${a}`)))};
          announce(`Release ${rel.version} ${ACTIONS[a].done}`);
          show();
          head.querySelector('[data-action]')?.focus();
        } catch (e) {
          btn.disabled = false;
          showError(box, e.message);
        }
      });
      return btn;
    }));
  }

  function fact(label, value, commit) {
    return [h('dt', null, label), h('dd', null, value ? h('span', {class: 'mono'}, value) : h('span', {class: 'muted'}, 'not yet'),
      commit ? h('span', {class: 'muted mono small'}, ` at ${commit.slice(0, 12)}`) : null)];
  }

  function buildList(r) {
    const latest = {};
    for (const b of r.builds || []) if (!latest[b.platform] || (b.attempt || 0) >= (latest[b.platform].attempt || 0)) latest[b.platform] = b;
    return h('ul', {class: 'builds'}, (r.platforms || []).map((p) => {
      const b = latest[p];
      const name = PLATFORM_WORDS[p] || p;
      if (!b) {
        return h('li', {'data-platform': p}, h('span', {class: 'name'}, name),
          h('span', {class: 'muted'}, r.status === 'KICKOFF' ? 'Waits for kickoff' : 'Not triggered yet'));
      }
      const label = b.buildNumber ? `Build #${b.buildNumber}` : 'CI run';
      return h('li', {'data-platform': p}, h('span', {class: 'name'}, name),
        h('span', {class: `badge badge-${b.status === 'SUCCEEDED' ? 'success' : b.status === 'FAILED' ? 'failure' : 'progress'}`}, b.status),
        b.buildUrl ? h('a', {href: b.buildUrl, target: '_blank', rel: 'noopener noreferrer'}, `${label} ↗`, h('span', {class: 'sr-only'}, ` (${name}, opens the CI)`))
          : h('span', {class: 'muted'}, label),
        b.attempt > 1 ? h('span', {class: 'muted small'}, `attempt ${b.attempt}`) : null);
    }));
  }

  function eventItem(e) {
    // A step's outcome is news; an action or a status change that happened needs no "Done".
    const [tone, word] = (e.kind === 'CALL' || e.outcome !== 'OK') && OUTCOME[e.outcome] ? OUTCOME[e.outcome] : [];
    const move = e.fromStatus && e.toStatus ? `${statusWord(e.fromStatus)} → ${statusWord(e.toStatus)}` : e.toStatus ? `→ ${statusWord(e.toStatus)}` : null;
    return h('li', {'data-id': e.id, 'data-name': e.name, class: `ev ev-${(e.outcome || 'none').toLowerCase()} ev-${String(e.kind).toLowerCase()}`},
      h('span', {class: 'dot', 'aria-hidden': 'true'}),
      h('div', {class: 'ev-body'},
        h('p', {class: 'line'}, h('strong', null, eventWords(e)),
          word ? [' ', h('span', {class: `badge badge-${tone}`}, word)] : null, move ? h('span', {class: 'muted'}, ` ${move}`) : null),
        e.message ? h('p', {class: 'message'}, e.message) : null,
        h('p', {class: 'meta'}, who(e.actorAccountId), ' · ', when(e.createdAt, {relative: true}))));
  }

  function addEvent(e) {
    if (seen.has(e.id)) return false;
    seen.add(e.id);
    // In the timeline's order, (createdAt, id), as the API and the stream give it.
    const key = `${e.createdAt}/${e.id}`;
    const after = [...list.children].find((li) => li.dataset.key > key);
    const item = eventItem(e);
    item.dataset.key = key;
    list.insertBefore(item, after || null);
    empty.hidden = true;
    return true;
  }

  const empty = h('p', {class: 'empty'}, 'Nothing has happened yet.');
  for (const e of first.events || []) addEvent(e);
  show();

  // Live: every new event is shown; one that moves the release (or a step's outcome) reloads its summary.
  let reloading = null;
  const reload = () => {
    reloading = reloading || get(path()).then((r) => {
      if (ctx.stale()) return;
      rel = r;
      const focused = head.contains(document.activeElement);
      show();
      if (focused) head.querySelector('[data-action]')?.focus();
    }, () => {}).finally(() => {
      reloading = null;
    });
  };
  const source = new EventSource(path('/events/stream'));
  source.addEventListener('open', () => {
    live.hidden = false;
  });
  source.addEventListener('release-event', (ev) => {
    if (addEvent(JSON.parse(ev.data))) reload();
  });
  // A watched rollout's new health reading (no timeline row): its health part on the stores panel is redrawn.
  source.addEventListener('release-health', (ev) => {
    const health = JSON.parse(ev.data).health;
    if (JSON.stringify(health) === JSON.stringify(rel.health || [])) return;
    rel = {...rel, health};
    submissions.health(health);
  });
  source.addEventListener('error', () => {
    live.hidden = true;
  });
  ctx.onLeave(() => source.close());

  ctx.main.append(head, box, h('div', {class: 'columns'},
    h('div', {class: 'stack'}, summary, builds, submissions.section, approvals, notes),
    h('section', {class: 'panel', 'aria-labelledby': 'timeline-title', id: 'timeline'},
      h('h2', {id: 'timeline-title'}, h('span', null, 'Timeline ', live)), empty, list)));
}
