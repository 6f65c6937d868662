// view-deployments.js: scripts run on hosts (docs/deployments.md). The list
// with each one's status, "Deploy" (a host and a script, an environment, a
// repository, pinned first, and a ref, now or later at a date and time) for
// editors and owners, and a deployment's page: its status (awaiting
// approval, with Approve for those who may; scheduled, with its time), what
// it deploys (repository and ref), exit code and output, which
// streams live from GET .../deployments/{id}/logs/stream (Server-Sent
// Events; on a reconnect the browser sends Last-Event-ID, so the stream
// resumes after the last line shown).

import {h, append, clear, when, announce, errorBox, showError, scrollTable, confirmDialog} from './dom.js';
import {get, post, tenantPath} from './api.js';
import {field} from './forms.js';
import {statusBadge, pageHead, actButton, rowForm} from './deploy-common.js';

const FINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'PARTIALLY_FAILED'];
// The browser's time zone, where a scheduled time is entered and shown (a tenant has none of its own).
const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

function cancelButton(box, path, done) {
  return actButton(box, 'Cancel', async () => {
    if (!(await confirmDialog({title: 'Cancel this deployment?', confirm: 'Cancel the deployment', cancel: 'Keep it running',
      body: 'The script is stopped on the host where it runs; what it already did stays done.'}))) return;
    await post(`${path}/cancel`);
    announce('Deployment cancelled');
    done();
  }, {class: 'danger'});
}

const named = (list, id, what) => list.find((x) => x.id === id)?.name || `a deleted ${what}`;

export async function viewDeployments(ctx) {
  const tenantId = ctx.tenant.id;
  const listPath = tenantPath(tenantId, '/deployments');
  const [deps, hosts, scripts, envs, repos] = await Promise.all([get(`${listPath}?limit=50`), get(tenantPath(tenantId, '/hosts?limit=200')),
    get(tenantPath(tenantId, '/deployment-scripts?limit=200')), get(tenantPath(tenantId, '/environments?limit=200')),
    get(tenantPath(tenantId, '/repositories?limit=200'))]);
  if (ctx.stale()) return;
  const again = () => ctx.navigate(location.hash);
  const writer = ctx.tenant.role !== 'viewer';
  const box = errorBox();
  const rows = deps.items.map((d) => h('tr', {'data-deployment': d.id},
    h('td', null, h('a', {href: `#/t/${tenantId}/deployments/${d.id}`}, named(scripts.items, d.scriptId, 'script'))),
    h('td', null, named(hosts.items, d.hostId, 'host')), h('td', null, statusBadge(d.status),
      d.status === 'SCHEDULED' && d.scheduledTime ? h('div', {class: 'muted'}, when(d.scheduledTime)) : null),
    h('td', null, d.exitCode === null ? h('span', {class: 'muted'}, '–') : String(d.exitCode)),
    h('td', null, when(d.createdAt, {relative: true})),
    h('td', {class: 'row-actions'}, writer && !FINAL.includes(d.status) ? cancelButton(box, `${listPath}/${d.id}`, again) : null)));
  const head = h('thead', null, h('tr', null, ['Script', 'Host', 'Status', 'Exit code', 'Requested'].map((c) => h('th', {scope: 'col'}, c)),
    h('th', {scope: 'col'}, h('span', {class: 'sr-only'}, 'Actions'))));
  let create = null;
  if (writer && hosts.items.length && scripts.items.length) {
    const choices = (list) => list.map((x) => ({value: x.id, label: x.name}));
    const schedule = field({name: 'schedule', kind: 'string'}, {label: 'When',
      choices: [{value: 'now', label: 'Now'}, {value: 'later', label: 'Later, at a date and time'}], value: 'now'});
    const at = field({name: 'scheduledTime', kind: 'string'}, {label: `Date and time (${ZONE})`});
    at.control.type = 'datetime-local';
    const later = () => {
      at.wrap.style.display = schedule.control.value === 'later' ? '' : 'none'; // a field's display rule would beat [hidden]
    };
    schedule.control.querySelector('option[value=""]')?.remove();
    schedule.control.addEventListener('change', later);
    later();
    create = rowForm({id: 'deploy-form', listPath, submit: 'Deploy', done: again, fields: [
      field({name: 'scriptId', kind: 'string', required: true}, {label: 'Script', choices: choices(scripts.items), value: scripts.items[0].id}),
      field({name: 'hostId', kind: 'string', required: true}, {label: 'Host', choices: choices(hosts.items), value: hosts.items[0].id}),
      field({name: 'environmentId', kind: 'string'}, {label: 'Environment', choices: envs.items.map((e) => ({value: e.id,
        label: `${e.name}${e.protected ? ' (protected)' : ''}${e.frozen ? ' (frozen)' : ''}`}))}),
      // The synced repositories, the caller's pinned ones first (the list puts them there).
      field({name: 'repositoryId', kind: 'string'}, {label: 'Repository', choices: repos.items.map((r) => ({value: r.id,
        label: `${r.fullName}${r.pinned ? ' (pinned)' : ''}`})), hint: 'Its full name reaches the scripts as SLIPWAY_REPOSITORY.'}),
      field({name: 'ref', kind: 'string', maxLength: 255}, {label: 'Ref', hint: 'A branch, tag or commit, as SLIPWAY_REF; empty: the repository\'s default branch.'}),
      schedule, at],
    // "later" sends the local date-time as RFC 3339 (UTC); "now" sends no time.
    prepare: (body) => {
      if (body.schedule !== 'later') delete body.scheduledTime;
      else if (body.scheduledTime && !Number.isNaN(new Date(body.scheduledTime).getTime())) body.scheduledTime = new Date(body.scheduledTime).toISOString();
      return body;
    }});
  }
  const base = `#/t/${tenantId}`;
  ctx.main.append(pageHead('Deployments', 'Scripts run on hosts, newest first (the latest 50).'), box,
    writer ? h('section', {class: 'section', 'aria-labelledby': 'deploy-title'}, h('h2', {id: 'deploy-title'}, 'Deploy'), create ? create.form
      : h('p', {class: 'notice'}, 'Add a ', h('a', {href: `${base}/hosts`}, 'host'), ' and a ', h('a', {href: `${base}/deployment-scripts`}, 'script'),
        ' to deploy.')) : null,
    deps.items.length ? scrollTable('Deployments', head, h('tbody', null, rows)) : h('p', {class: 'muted'}, 'No deployments yet.'));
  if (create) ctx.guardLeave(() => create.set.dirty());
}

export async function viewDeployment(ctx) {
  const tenantId = ctx.tenant.id;
  const path = tenantPath(tenantId, `/deployments/${ctx.params[1]}`);
  let dep = await get(path);
  const [host, script] = await Promise.all([get(tenantPath(tenantId, `/hosts/${dep.hostId}`)).catch(() => null),
    get(tenantPath(tenantId, `/deployment-scripts/${dep.scriptId}`)).catch(() => null)]);
  if (ctx.stale()) return;
  const writer = ctx.tenant.role !== 'viewer';
  const [env, repos] = await Promise.all([
    dep.environmentId ? get(tenantPath(tenantId, `/environments/${dep.environmentId}`)).catch(() => null) : null,
    dep.repositoryId ? get(tenantPath(tenantId, '/repositories?limit=200')).catch(() => null) : null]);
  if (ctx.stale()) return;
  const repo = repos ? repos.items.find((r) => r.id === dep.repositoryId) : null;
  const box = errorBox();
  const summary = h('dl', {class: 'facts', id: 'deployment-summary'});
  const actions = h('div', {class: 'actions'});
  const show = () => {
    append(clear(summary), [h('dt', null, 'Status'), h('dd', null, statusBadge(dep.status), dep.statusReason ? ` ${dep.statusReason}` : null),
      h('dt', null, 'Exit code'), h('dd', {id: 'exit-code'}, dep.exitCode === null ? '–' : String(dep.exitCode)),
      h('dt', null, 'Host'), h('dd', null, host ? `${host.name} (${host.username}@${host.address})` : 'a deleted host'),
      dep.environmentId ? [h('dt', null, 'Environment'), h('dd', {id: 'deployment-environment'}, env ? env.name : 'a deleted environment',
        env && env.protected ? h('span', {class: 'muted'}, ` · ${env.requiredApprovals} approval${env.requiredApprovals === 1 ? '' : 's'} needed`) : null,
        env && env.frozen ? h('span', {class: 'muted'}, ` · frozen: ${env.frozenReason}`) : null)] : null,
      dep.scheduledTime ? [h('dt', null, 'Scheduled for'), h('dd', {id: 'scheduled-time'}, when(dep.scheduledTime))] : null,
      dep.repositoryId ? [h('dt', null, 'Repository'), h('dd', {id: 'deployment-repository'}, repo ? repo.fullName : 'a repository not listed')] : null,
      dep.ref ? [h('dt', null, 'Ref'), h('dd', {id: 'deployment-ref'}, h('code', null, dep.ref))] : null,
      dep.approvals && dep.approvals.length ? [h('dt', null, 'Approved by'), h('dd', {id: 'approvals'}, dep.approvals.map((a, i) => [i ? ', ' : '',
        a.accountId === ctx.me.id ? 'you' : (a.role ? `an ${a.role}` : 'a member'), ' ', when(a.createdAt, {relative: true})]))] : null,
      h('dt', null, 'Started'), h('dd', null, when(dep.startedAt)), h('dt', null, 'Finished'), h('dd', null, when(dep.finishedAt)),
      dep.droppedLines ? [h('dt', null, 'Lines not kept'), h('dd', null, String(dep.droppedLines))] : null]);
    append(clear(actions), [mayApprove() ? approveButton() : null, writer && !FINAL.includes(dep.status) ? cancelButton(box, path, refresh) : null]);
  };
  // Approve: awaiting approval, for a member whose role the environment names, never the requester nor one who approved.
  const mayApprove = () => dep.status === 'AWAITING_APPROVAL' && writer && dep.requestedByAccountId !== ctx.me.id &&
    !(dep.approvals || []).some((a) => a.accountId === ctx.me.id) && (!env || env.approverRoles.includes(ctx.tenant.role));
  const approveButton = () => actButton(box, 'Approve', async () => {
    dep = await post(`${path}/approve`, {});
    answered++;
    announce(dep.status === 'AWAITING_APPROVAL' ? 'Approved: more approvals needed' : 'Approved');
    show();
  }, {class: 'primary', id: 'approve'});
  // A refresh asked before the approval's answer came is dropped: it would put back the deployment as it was before
  // (no approval, Approve offered again) until the next one.
  let refreshing = null;
  let answered = 0; // approvals answered so far
  const refresh = () => {
    const asked = answered;
    refreshing = refreshing || get(path).then((d) => {
      if (ctx.stale() || asked !== answered) return;
      dep = d;
      show();
    }, (e) => showError(box, e.message)).finally(() => {
      refreshing = null;
    });
  };
  show();
  // The stream carries lines, not the status: while the deployment runs, its summary is asked for again.
  const timer = window.setInterval(() => {
    if (FINAL.includes(dep.status)) window.clearInterval(timer);
    else refresh();
  }, 2000);
  ctx.onLeave(() => window.clearInterval(timer));

  const log = h('pre', {class: 'deploy-log', id: 'deploy-log', role: 'log', 'aria-live': 'off', tabindex: '0', 'aria-label': 'Output'});
  const empty = h('p', {class: 'muted'}, 'No output yet.');
  const live = h('span', {class: 'live', hidden: true}, 'Live');
  const source = new EventSource(`${path}/logs/stream`);
  source.addEventListener('open', () => {
    live.hidden = false;
  });
  source.addEventListener('log', (ev) => {
    const line = JSON.parse(ev.data);
    empty.hidden = true;
    const follow = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    log.append(h('span', {class: `line line-${line.stream}`, 'data-stream': line.stream}, line.message, '\n'));
    if (follow) log.scrollTop = log.scrollHeight;
  });
  source.addEventListener('error', () => {
    live.hidden = true;
  });
  ctx.onLeave(() => source.close());

  const title = script ? script.name : 'Deployment';
  ctx.main.append(h('div', {class: 'page-head'}, h('div', null, h('h1', null, title),
    h('p', {class: 'sub'}, h('a', {href: `#/t/${tenantId}/deployments`}, 'All deployments'))), actions), box,
  h('section', {class: 'panel'}, summary),
  h('section', {class: 'section', 'aria-labelledby': 'log-title'}, h('h2', {id: 'log-title'}, 'Output ', live),
    h('p', {class: 'sub'}, 'Standard output, ', h('span', {class: 'line-stderr'}, 'standard error'), ' and ', h('span', {class: 'line-system'}, 'slipway\'s own lines'), '.'),
    empty, log));
}
