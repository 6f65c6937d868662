// view-setup.js: document 000's five-step wizard. Required: GitHub,
// targets, credentials for each selected target; optional (skippable):
// CI/CD and Slack. Each step saves on its own and can be revisited; the
// progress list shows what is done. Leaving a required step that is not
// done, or a form with unsaved input, asks first. The wizard ends on the
// tenant's home. Non-owners see the status only.

import {h, clear, when, announce, errorBox, showError, confirmDialog} from './dom.js';
import {get, put, post, integrationTypes, eventCatalogue, tenantPath} from './api.js';
import {field, FieldSet, integrationForm, layoutFields, formHead} from './forms.js';
import {integrationCard, listCategory, integrationPath} from './cards.js';

const STEPS = ['github', 'targets', 'credentials', 'cicd', 'slack'];
const TARGETS = [
  {value: 'APP_STORE', label: 'App Store (iOS)'},
  {value: 'PLAY_STORE', label: 'Google Play (Android)'},
  {value: 'FIREBASE', label: 'Firebase App Distribution'},
];
const PLATFORMS = [
  {value: 'IOS', label: 'iOS'},
  {value: 'ANDROID', label: 'Android'},
  {value: 'WEB', label: 'Web'},
];

export async function viewSetup(ctx) {
  const tenantId = ctx.tenant.id;
  const status = await get(tenantPath(tenantId, '/release-management/setup'));
  if (ctx.stale()) return;
  const stepId = STEPS.includes(ctx.params[1]) ? ctx.params[1] : status.nextStep || 'github';
  const step = status.steps.find((s) => s.id === stepId);
  const index = STEPS.indexOf(stepId);
  const base = `#/t/${tenantId}/setup`;
  const again = () => ctx.navigate(location.hash.startsWith(`${base}/`) ? location.hash : `${base}/${stepId}`);
  const forms = []; // the step's FieldSets: unsaved input is not left behind silently
  if (ctx.owner) ctx.guardLeave(() => forms.some((f) => f.dirty()));

  let banner = await completion(ctx, status);
  // A verification changes how many connections are verified: the banner follows (the cards keep their answers).
  const refreshBanner = async () => {
    const fresh = await completion(ctx, await get(tenantPath(tenantId, '/release-management/setup')));
    banner.replaceWith(fresh);
    banner = fresh;
  };
  ctx.main.append(h('div', {class: 'page-head'}, h('div', null, h('h1', null, 'Release setup'),
    h('p', {class: 'sub'}, 'Connect source control and your stores once; slipway checks each connection.'))),
  banner, progress(status, stepId, base));

  const section = h('section', {class: 'step panel', 'aria-labelledby': 'step-title'},
    h('h2', {id: 'step-title'}, `Step ${index + 1} of 5: ${step.name}`,
      h('span', {class: step.done ? 'state done' : 'state'}, step.done ? ' · done' : step.required ? ' · required' : ' · optional')));
  ctx.main.append(section);

  if (!ctx.owner) {
    section.append(h('p', {class: 'notice'}, 'Only owners can change the setup. You see its status.'));
    const list = h('div', {class: 'cards'});
    for (const i of status.integrations) list.append(integrationCard({...i, lastVerificationError: null}, {tenantId, owner: false}));
    section.append(h('h3', null, 'Integrations'), status.integrations.length ? list : h('p', {class: 'muted'}, 'None yet.'));
  } else {
    await STEP_VIEWS[stepId](section, {ctx, status, tenantId, again, forms, refreshBanner});
  }
  if (ctx.stale()) return;
  section.append(stepNav(ctx, status, step, index, base, forms));
}

// Back, then Continue (primary once the step is done), Skip (a required step asks first), or Finish on the last.
function stepNav(ctx, status, step, index, base, forms) {
  const home = `#/t/${ctx.tenant.id}`;
  const nav = h('nav', {class: 'step-nav', 'aria-label': 'Wizard steps'});
  const leave = (href, warnRequired) => async (ev) => {
    ev.preventDefault();
    if (ctx.owner && forms.some((f) => f.dirty()) && !(await confirmDialog({title: 'Leave without saving?',
      body: 'What you entered on this step is not saved yet.', confirm: 'Leave without saving', cancel: 'Stay and save'}))) return;
    if (ctx.owner && warnRequired && !(await confirmDialog({title: `Skip “${step.name}” for now?`,
      body: 'This step is required: setup stays incomplete, and releases cannot start, until it is done. You can come back to it at any time.',
      confirm: 'Skip for now', cancel: 'Stay on this step', danger: false}))) return;
    ctx.navigate(href);
  };
  const go = (href, text, cls, warn) => h('a', {class: `button ${cls}`, href, onclick: leave(href, warn), 'data-guarded': 'true'}, text);
  if (index > 0) nav.append(go(`${base}/${STEPS[index - 1]}`, 'Back', 'secondary', false));
  const end = h('div', {class: 'end'});
  if (index < STEPS.length - 1) {
    const next = `${base}/${STEPS[index + 1]}`;
    if (step.done) end.append(go(next, 'Continue', 'primary', false));
    else if (step.required) end.append(go(next, 'Skip for now', 'ghost', true));
    else end.append(go(next, 'Skip this step', 'secondary', false));
  } else {
    end.append(go(home, status.setupComplete ? 'Finish: go to the overview' : 'Finish later: go to the overview',
      status.setupComplete ? 'primary' : 'secondary', false));
  }
  nav.append(end);
  return nav;
}

async function completion(ctx, status) {
  if (!status.setupComplete) {
    return h('p', {class: 'notice'}, 'Setup is not complete: connect GitHub, choose targets and give their credentials. CI/CD and Slack are optional.');
  }
  let who = 'someone';
  if (status.setupCompletedByAccountId === ctx.me.id) {
    who = 'you';
  } else if (status.setupCompletedByAccountId) {
    try {
      const members = await get(tenantPath(ctx.tenant.id, '/members?limit=200'));
      const m = members.items.find((x) => x.accountId === status.setupCompletedByAccountId);
      who = m ? m.email : 'a former member';
    } catch { /* keep "someone" */ }
  }
  // Saved is not verified: say how many connections have passed their check.
  const total = status.integrations.length;
  const valid = status.integrations.filter((i) => i.verificationStatus === 'VALID').length;
  return h('p', {class: `notice ${valid === total ? 'success' : 'warn'}`, 'data-complete': 'true'}, 'Setup complete: ',
    when(status.setupCompletedAt), ` by ${who}. `,
    valid === total ? `All ${total} connections verified.` : `${valid} of ${total} connections verified: verify the others before releasing.`);
}

function progress(status, current, base) {
  return h('nav', {class: 'panel progress', 'aria-label': 'Setup progress'},
    h('div', {class: 'meter'}, h('label', {for: 'setup-progress'}, `${status.progress}% done`),
      h('progress', {id: 'setup-progress', max: 100, value: status.progress}, `${status.progress}%`)),
    h('ol', {class: 'steps'}, status.steps.map((s) => h('li', {class: s.done ? 'done' : ''},
      h('a', {href: `${base}/${s.id}`, 'aria-current': s.id === current ? 'step' : null},
        h('span', {class: 'mark', 'aria-hidden': 'true'}, s.done ? '✓' : String(STEPS.indexOf(s.id) + 1)),
        h('span', null, s.name),
        h('span', {class: 'sr-only'}, s.done ? ' (done)' : s.required ? ' (required, not done)' : ' (optional, not done)'))))));
}

// A card for each integration, with its controls; changes re-render the step.
function cards(list, w, refs) {
  return h('div', {class: 'cards'}, list.map((i) => integrationCard(i, {tenantId: w.tenantId, owner: true, refs, onChange: w.again,
    onVerified: () => w.refreshBanner().catch(() => {})})));
}

const STEP_VIEWS = {
  async github(section, w) {
    const summary = w.status.integrations.find((i) => i.category === 'scm' && i.type === 'GITHUB');
    const existing = summary ? await get(integrationPath(w.tenantId, 'scm', summary.id)) : null;
    const fields = [
      field({name: 'organization', kind: 'string', required: true, maxLength: 255}, {value: existing?.organization, label: 'Organisation or user'}),
      field({name: 'repoName', kind: 'string', required: true, maxLength: 255}, {value: existing?.repoName, label: 'Repository'}),
      field({name: 'defaultBranch', kind: 'string', maxLength: 255, default: 'main'}, {value: existing?.defaultBranch, label: 'Default branch'}),
      field({name: 'accessToken', kind: 'string', required: true, secret: true, maxLength: 4096},
        {mask: existing?.accessToken, label: 'Access token'}),
    ];
    const set = new FieldSet(fields, {derived: ['displayName']});
    w.forms.push(set);
    const form = h('form', {novalidate: true, id: 'github-form', class: 'boxed'},
      formHead('GITHUB', 'GitHub'),
      set.summary, layoutFields(fields),
      h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, existing ? 'Save changes' : 'Connect GitHub')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      set.clearErrors();
      try {
        await put(tenantPath(w.tenantId, '/release-management/setup/steps/github'), set.collect(false));
        set.forgetSecrets(null);
        set.initial = set.snapshot();
        announce('GitHub connection saved');
        w.again();
      } catch (e) {
        set.showErrors(e);
      }
    });
    section.append(h('p', null, 'slipway branches, tags and reads your repository through this connection.'), form);
    if (existing) section.append(h('h3', null, 'Connection'), cards([existing], w, null));
  },

  async targets(section, w) {
    const box = errorBox();
    const group = (name, legend, options, chosen) => {
      const err = h('p', {class: 'field-error', id: `${name}-err`, hidden: true});
      const fs = h('fieldset', {'aria-describedby': `${name}-err`}, h('legend', null, legend),
        options.map((o) => h('div', {class: 'field-check'},
          h('input', {type: 'checkbox', id: `${name}-${o.value}`, name, value: o.value, checked: chosen.includes(o.value)}),
          h('label', {for: `${name}-${o.value}`}, o.label))), err);
      return {fs, err, values: () => [...fs.querySelectorAll('input:checked')].map((i) => i.value)};
    };
    const targets = group('targets', 'Where do you ship? (at least one)', TARGETS, w.status.selectedTargets);
    const platforms = group('platforms', 'Which platforms do you build?', PLATFORMS, w.status.selectedPlatforms);
    const form = h('form', {novalidate: true, id: 'targets-form', class: 'boxed'}, box, targets.fs, platforms.fs,
      h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Save targets')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      showError(box, null);
      for (const g of [targets, platforms]) g.err.hidden = true;
      try {
        await put(tenantPath(w.tenantId, '/release-management/setup/steps/targets'), {targets: targets.values(), platforms: platforms.values()});
        announce('Targets saved');
        w.again();
      } catch (e) {
        const rest = [];
        for (const d of e.details) {
          const g = {targets, platforms}[String(d.field).split('.').pop()];
          if (g) {
            g.err.textContent = d.message;
            g.err.hidden = false;
          } else {
            rest.push(`${d.field}: ${d.message}`);
          }
        }
        showError(box, e.message, rest);
      }
    });
    section.append(form);
  },

  async credentials(section, w) {
    const chosen = w.status.selectedTargets;
    if (!chosen.length) {
      section.append(h('p', null, 'Choose your targets first: ', h('a', {href: `#/t/${w.tenantId}/setup/targets`}, 'step 2'), '.'));
      return;
    }
    const [types, stored] = await Promise.all([integrationTypes(), listCategory(w.tenantId, 'targets')]);
    section.append(h('p', null, 'The credentials slipway uses to upload and release, one set per target. They are stored encrypted and never shown again.'));
    for (const type of chosen) {
      const desc = types.find((t) => t.type === type);
      const mine = stored.filter((i) => i.type === type);
      const sub = h('section', {class: 'sub', 'aria-labelledby': `cred-${type}`}, h('h3', {id: `cred-${type}`}, desc ? desc.displayName : type));
      if (mine.length) {
        sub.append(cards(mine, w, null));
      } else if (desc) {
        const {form, set} = integrationForm(desc, undefined, null, async (body) => {
          const saved = await post(integrationPath(w.tenantId, 'targets'), body);
          set.initial = set.snapshot();
          announce(`${saved.displayName} saved`);
          w.again();
          return saved;
        });
        w.forms.push(set);
        sub.append(form);
      } else {
        sub.append(h('p', {class: 'notice'}, `${type} is not enabled on this server.`));
      }
      section.append(sub);
    }
  },

  async cicd(section, w) {
    const [types, pipelines, scm, targets] = await Promise.all([integrationTypes(), listCategory(w.tenantId, 'pipelines'),
      listCategory(w.tenantId, 'scm'), listCategory(w.tenantId, 'targets')]);
    const refs = {scm, targets};
    section.append(h('p', null, 'Optional: the CI/CD jobs that build each release. Each pipeline builds from a source control connection and ships to a target.'));
    if (pipelines.length) section.append(cards(pipelines, w, refs));
    section.append(chooser(types.filter((t) => t.category === 'pipelines'), 'pipelines', refs, w,
      pipelines.length ? 'Add another pipeline' : 'Add a pipeline', pipelines.length > 0));
  },

  async slack(section, w) {
    const [types, comms, events] = await Promise.all([integrationTypes(), listCategory(w.tenantId, 'communication'),
      eventCatalogue(w.tenantId)]);
    const slack = comms.filter((i) => i.type === 'SLACK');
    section.append(h('p', null, 'Optional: where release news is posted. A bot token lets slipway check the channels; a webhook only posts.'));
    if (slack.length) section.append(cards(slack, w, {events}));
    else section.append(chooser(types.filter((t) => t.type === 'SLACK'), 'communication', {events}, w, 'Connect Slack'));
  },
};

// A type picker and the picked type's generated form (for categories with several types). Folded (a button
// that opens it) when `folded`: a category that has some already, or a form just saved.
export function chooser(descs, category, refs, w, title, folded) {
  const host = h('div');
  const headId = `add-${category}`;
  const wrap = h('section', {class: 'sub', 'aria-labelledby': headId});
  if (!descs.length) {
    wrap.append(h('h3', {id: headId}, title), h('p', {class: 'muted'}, 'No type of this kind is enabled on this server.'));
    return wrap;
  }
  let shown = null; // the FieldSet of the form shown, tracked for unsaved input
  const show = (type) => {
    const desc = descs.find((d) => d.type === type);
    const {form, set} = integrationForm(desc, undefined, refs, async (body) => {
      const saved = await post(integrationPath(w.tenantId, category), body);
      set.initial = set.snapshot();
      announce(`${saved.displayName} saved`);
      w.again();
      return saved;
    }, folded ? () => toggle(false) : null);
    if (w.forms) {
      if (w.forms.includes(shown)) w.forms.splice(w.forms.indexOf(shown), 1);
      w.forms.push(set);
    }
    shown = set;
    clear(host).append(form);
  };
  const picker = h('div');
  if (descs.length > 1) {
    const id = `type-${category}`;
    const select = h('select', {id}, descs.map((d) => h('option', {value: d.type}, d.displayName)));
    select.addEventListener('change', () => show(select.value));
    picker.append(h('div', {class: 'field'}, h('label', {for: id}, 'Type'), select));
  }
  const body = h('div', null, picker, host);
  const button = h('button', {type: 'button', class: 'secondary', 'aria-expanded': String(!folded), 'aria-controls': `${headId}-body`}, title);
  body.id = `${headId}-body`;
  const toggle = (open) => {
    body.hidden = !open;
    button.setAttribute('aria-expanded', String(open));
    if (open) {
      if (!host.firstChild) show(descs[0].type);
      body.querySelector('select, input:not([type="file"]), textarea')?.focus();
    } else {
      button.focus();
    }
  };
  button.addEventListener('click', () => toggle(body.hidden));
  if (folded) {
    body.hidden = true;
    wrap.toggle = button; // the caller may place it elsewhere (beside a heading)
    wrap.append(h('h3', {id: headId, class: 'sr-only'}, title), button, body);
  } else {
    wrap.append(h('h3', {id: headId}, title), body);
    show(descs[0].type);
  }
  return wrap;
}
