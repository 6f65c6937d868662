// view-release-settings.js: the tenant's release configuration (branch and
// tag templates, version scheme, source control and base branch, which
// pipeline builds each platform, who approves regression). Owners edit it
// (a save replaces the whole configuration, as the API's PUT does); editors
// and viewers read it.

import {h, when, announce} from './dom.js';
import {get, put, tenantPath} from './api.js';
import {field, FieldSet} from './forms.js';
import {listCategory} from './cards.js';
import {PLATFORM_WORDS} from './releases.js';

const SCHEMES = [{value: 'SEMVER', label: 'Semantic (1.4.0)'}, {value: 'CALVER', label: 'Calendar (2026.12 or 2026.12.1)'}];

export async function viewReleaseSettings(ctx) {
  const tenantId = ctx.tenant.id;
  const [cfg, scms, pipelines] = await Promise.all([get(tenantPath(tenantId, '/release-configuration')),
    listCategory(tenantId, 'scm'), listCategory(tenantId, 'pipelines')]);
  if (ctx.stale()) return;
  const scmName = (id) => scms.find((s) => s.id === id)?.displayName;
  const pipeName = (id) => pipelines.find((p) => p.id === id)?.displayName;

  ctx.main.append(h('div', {class: 'page-head'}, h('div', null, h('h1', null, 'Release settings'),
    h('p', {class: 'sub'}, ctx.owner ? 'How releases are named, built and approved. Changes apply to releases created afterwards.'
      : 'How releases are named, built and approved. Only an owner can change them.',
    cfg.updatedAt ? [' Last changed ', when(cfg.updatedAt, {relative: true}), '.'] : ' These are the defaults.'))));
  if (!ctx.owner) {
    const row = (label, value) => [h('dt', null, label), h('dd', null, value || h('span', {class: 'muted'}, 'not set'))];
    ctx.main.append(h('section', {class: 'panel', 'aria-label': 'Release configuration'}, h('dl', {class: 'facts', id: 'release-config'},
      row('Version scheme', SCHEMES.find((s) => s.value === cfg.versionScheme)?.label),
      row('Release branch', h('span', {class: 'mono'}, cfg.branchTemplate)),
      row('Candidate tag', h('span', {class: 'mono'}, cfg.candidateTagTemplate)),
      row('Final tag', h('span', {class: 'mono'}, cfg.finalTagTemplate)),
      row('Source control', scmName(cfg.scmIntegrationId) || (cfg.scmIntegrationId ? 'an integration' : 'the oldest verified one')),
      row('Base branch', cfg.baseBranch ? h('span', {class: 'mono'}, cfg.baseBranch) : 'the repository\'s default branch'),
      Object.keys(PLATFORM_WORDS).map((p) => row(`${PLATFORM_WORDS[p]} pipeline`, pipeName(cfg.platformPipelines[p]))),
      row('Approvals', `${cfg.approvalCount} from: ${cfg.approvalRoles.join(', ')}`),
      row('Test pass rate needed', cfg.minTestPassRate == null ? 'none' : `${cfg.minTestPassRate}%`))));
    return;
  }

  const text = (name, label, hint, max) => field({name, kind: 'string', required: true, maxLength: max || 200},
    {label, hint, value: cfg[name]});
  const fields = [
    field({name: 'versionScheme', kind: 'string', required: true, allowed: SCHEMES.map((s) => s.value)},
      {label: 'Version scheme', choices: SCHEMES, value: cfg.versionScheme}),
    text('branchTemplate', 'Release branch', 'Must contain {version}, e.g. release/{version}.'),
    text('candidateTagTemplate', 'Candidate tag', 'Must contain {version} and {n} (the candidate\'s number), e.g. v{version}-rc.{n}.'),
    text('finalTagTemplate', 'Final tag', 'Must contain {version}, e.g. v{version}.'),
    field({name: 'scmIntegrationId', kind: 'string'}, {label: 'Source control', value: cfg.scmIntegrationId,
      choices: scms.map((s) => ({value: s.id, label: `${s.displayName} (${s.type})`})), hint: 'Empty: the oldest verified one.'}),
    field({name: 'baseBranch', kind: 'string', maxLength: 255}, {label: 'Base branch', value: cfg.baseBranch,
      hint: 'Where releases branch from. Empty: the repository\'s default branch.'}),
    ...Object.keys(PLATFORM_WORDS).map((p) => field({name: `pipeline${p}`, kind: 'string'}, {label: `${PLATFORM_WORDS[p]} pipeline`,
      value: cfg.platformPipelines[p], choices: pipelines.map((x) => ({value: x.id, label: `${x.displayName} (${x.type})`}))})),
    field({name: 'approvalRoles', kind: 'array', required: true, allowed: ['owner', 'editor', 'viewer']},
      {label: 'Who approves regression', value: cfg.approvalRoles}),
    field({name: 'approvalCount', kind: 'integer', required: true, minimum: 1, maximum: 10},
      {label: 'Approvals needed', value: cfg.approvalCount, hint: '1 to 10.'}),
    field({name: 'minTestPassRate', kind: 'integer', minimum: 0, maximum: 100}, {label: 'Test pass rate needed (%)',
      value: cfg.minTestPassRate ?? undefined, hint: 'Empty: none. Else each TestRail run of the candidate must pass this share of its tests (untested count against) before it can be approved.'}),
  ];
  const set = new FieldSet(fields);
  const submit = h('button', {type: 'submit', class: 'primary'}, 'Save settings');
  const form = h('form', {novalidate: true, id: 'release-config-form', class: 'boxed'}, set.summary,
    h('div', {class: 'fields'}, fields.map((f) => f.wrap)), h('div', {class: 'actions'}, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    set.clearErrors();
    submit.disabled = true;
    try {
      const body = set.collect(false);
      body.platformPipelines = {};
      for (const p of Object.keys(PLATFORM_WORDS)) {
        if (body[`pipeline${p}`]) body.platformPipelines[p] = body[`pipeline${p}`];
        delete body[`pipeline${p}`];
      }
      await put(tenantPath(tenantId, '/release-configuration'), body);
      announce('Release settings saved');
      set.initial = set.snapshot();
    } catch (e) {
      // platformPipelines.IOS names the select of that platform.
      for (const d of e.details || []) {
        const m = String(d.field || '').match(/^platformPipelines\.(\w+)$/);
        if (m) d.field = `pipeline${m[1]}`;
      }
      set.showErrors(e);
    } finally {
      submit.disabled = false;
    }
  });
  ctx.guardLeave(() => set.dirty());
  ctx.main.append(form);
}
