// view-sso.js: the tenant's single sign-on (docs/sso.md), owners only (every
// /iam route is an owner's). Each identity provider with what it is, Edit
// (the client secret is write-only: its mask as the hint, left empty to keep
// it) and Delete; its group rules in priority order (first match wins) with
// Move up, Move down and Remove, and a form that adds one at the end (each
// change writes the whole list, priorities counted down from the top); under
// it the work e-mail domains it claims: per domain whether the DNS proof
// holds (proven since when, or not, with the last check's reason; failed
// re-checks counted), the TXT record to publish (name and value, each with a
// copy button), "Check now", and a form that claims another domain. A form
// at the end adds a provider.

import {h, when, announce, errorBox, copyButton, confirmDialog} from './dom.js';
import {get, post, patch, del, tenantPath} from './api.js';
import {field, FieldSet, FieldError} from './forms.js';
import {pageHead, actButton, rowForm} from './deploy-common.js';

const TYPES = [{value: 'OIDC', label: 'OpenID Connect (any provider)'}, {value: 'AUTH0', label: 'Auth0'},
  {value: 'OKTA', label: 'Okta'}, {value: 'AZURE', label: 'Microsoft Entra ID (Azure)'}, {value: 'GOOGLE', label: 'Google'}];
const ROLES = [{value: 'owner', label: 'Owner'}, {value: 'editor', label: 'Editor'}, {value: 'viewer', label: 'Viewer'}];

// The provider's form: p, when given, fills it (its secret only as the mask in the hint).
function providerFields(p) {
  const v = p || {};
  return [
    field({name: 'name', kind: 'string', required: true, maxLength: 200}, {label: 'Name', value: v.name, hint: 'What the login page\'s button says: "Sign in with …".'}),
    field({name: 'type', kind: 'string', required: true}, {label: 'Type', choices: TYPES, value: v.type || 'OIDC'}),
    field({name: 'issuer', kind: 'string', required: true, format: 'url'},
      {label: 'Issuer', value: v.issuer, hint: 'Exactly as the provider\'s discovery document spells it, e.g. https://example.okta.com'}),
    field({name: 'clientId', kind: 'string', required: true, maxLength: 255}, {label: 'Client ID', value: v.clientId}),
    field({name: 'clientSecret', kind: 'string', required: true, secret: true, maxLength: 1024}, {label: 'Client secret', mask: v.clientSecret}),
    field({name: 'scopes', kind: 'string', maxLength: 1024}, {label: 'Scopes', value: v.scopes ?? 'openid email profile',
      hint: 'Space-separated; openid is required. Add the provider\'s groups scope for group rules.'}),
    field({name: 'groupsClaim', kind: 'string', maxLength: 255}, {label: 'Groups claim', value: v.groupsClaim ?? 'groups',
      hint: 'The claim (in the ID token or from userinfo) that lists the user\'s groups.'}),
    field({name: 'defaultRole', kind: 'string', required: true}, {label: 'Default role', choices: ROLES, value: v.defaultRole || 'viewer',
      hint: 'The role of someone whom no group rule matches.'}),
    field({name: 'strict', kind: 'boolean'}, {label: 'Strict', value: v.strict ?? false, hint: 'Refuse someone whom no group rule matches.'}),
    field({name: 'allowSignup', kind: 'boolean'}, {label: 'Let new people join at their first sign-in', value: v.allowSignup ?? false}),
    field({name: 'enabled', kind: 'boolean'}, {label: 'Enabled', value: v.enabled ?? true}),
  ];
}

// Rules as the API takes them back: in the order shown, the first the highest priority.
function ranked(rules) {
  return rules.map((r, i) => ({group: r.group, role: r.role, priority: rules.length - i}));
}

// The group rules: the list in the order they are tried, each with its moves, and a form that adds one.
function rulesPart(p, path, box, again, sets) {
  const rules = [...p.groupMappings];
  const save = async (next, said) => {
    await patch(path, {groupMappings: ranked(next)});
    announce(said);
  };
  const act = (label, group, next, said) => actButton(box, h('span', null, label, h('span', {class: 'sr-only'}, ` ${group}`)), async () => {
    await save(next(), said);
    again();
  });
  const moved = (i, by) => {
    const next = [...rules];
    [next[i], next[i + by]] = [next[i + by], next[i]];
    return next;
  };
  const rows = rules.map((r, i) => h('li', {class: 'rule', 'data-group': r.group},
    h('span', {class: 'rule-order muted'}, `${i + 1}.`), h('span', {class: 'mono wrap'}, r.group), h('span', null, ' → '),
    h('span', {class: 'rule-role'}, ROLES.find((x) => x.value === r.role)?.label || r.role),
    h('span', {class: 'actions'},
      i > 0 ? act('Move up', r.group, () => moved(i, -1), `${r.group} moved up`) : null,
      i < rules.length - 1 ? act('Move down', r.group, () => moved(i, 1), `${r.group} moved down`) : null,
      act('Remove', r.group, () => rules.filter((_, j) => j !== i), `${r.group} removed`))));
  const fields = [field({name: 'group', kind: 'string', required: true, maxLength: 255}, {label: 'Group', hint: 'The group\'s value as the provider sends it.'}),
    field({name: 'role', kind: 'string', required: true}, {label: 'Role', choices: ROLES, value: 'viewer'})];
  const set = new FieldSet(fields);
  sets.push(set);
  const form = h('form', {novalidate: true, id: `rule-${p.id}`, class: 'boxed'}, set.summary, h('div', {class: 'fields'}, fields.map((f) => f.wrap)),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Add the rule')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    set.clearErrors();
    try {
      const r = set.collect(false);
      if (rules.some((x) => x.group === r.group)) throw new FieldError([{field: 'group', message: 'has a rule already'}]);
      await save([...rules, r], `Rule for ${r.group} added`);
      set.initial = set.snapshot();
      again();
    } catch (e) {
      set.showErrors(e);
    }
  });
  return [h('h3', {class: 'section-sub'}, 'Group rules'),
    h('p', {class: 'sub'}, `Tried from the top at every sign-in; the first group the person has gives the role. No match: ${p.strict ? 'refused (strict)' : `the default role, ${p.defaultRole}`}.`),
    rows.length ? h('ol', {class: 'rules'}, rows) : h('p', {class: 'muted'}, 'No group rules: everyone gets the default role.'),
    form];
}

// Proven, not proven (a check failed), or never checked: a word and a colour, never colour alone.
function proofBadge(d) {
  const [cls, word, status] = d.proven ? ['badge-success', 'Proven', 'PROVEN']
    : d.lastCheckedAt ? ['badge-failure', 'Not proven', 'NOT_PROVEN'] : ['badge-not_verified', 'Not checked yet', 'UNCHECKED'];
  return h('span', {class: `badge ${cls}`, 'data-status': status}, word);
}

function proofWords(d) {
  if (d.proven && d.failures) {
    return h('p', {class: 'wrap host-error', 'data-last-error': 'true'}, 'Proven ', when(d.provenAt, {relative: true}),
      `, but the last ${d.failures === 1 ? 'check' : `${d.failures} checks`} did not find the record: ${d.lastError || ''} `,
      '(3 in a row over a day and the login page stops offering it)');
  }
  if (d.proven) return h('p', {class: 'muted'}, 'Proven ', when(d.provenAt, {relative: true}), d.lastCheckedAt ? ['; last checked ', when(d.lastCheckedAt, {relative: true})] : null);
  if (d.lastCheckedAt) {
    return h('p', {class: 'wrap host-error', 'data-last-error': 'true'}, 'Checked ', when(d.lastCheckedAt, {relative: true}), `: ${d.lastError || 'the record was not found'}`);
  }
  return h('p', {class: 'muted'}, 'Publish the record below, then Check now. The login page offers this provider for the domain only once it is proven.');
}

// One line of the record: its label, the text monospaced, and (domain given) a copy button named after it.
function recordLine(label, text, domain) {
  return h('div', {class: 'record-line'}, h('dt', null, label),
    h('dd', null, h('code', {class: 'mono wrap', 'data-record': label.toLowerCase()}, text),
      domain ? copyButton(() => text, h('span', null, 'Copy', h('span', {class: 'sr-only'}, ` the ${label.toLowerCase()} for ${domain}`))) : null));
}

function domainCard(d, path, box, again) {
  return h('li', {class: 'domain-proof', 'data-iam-domain': d.domain},
    h('div', {class: 'domain-proof-head'}, h('h3', {class: 'mono'}, d.domain), proofBadge(d)),
    proofWords(d),
    d.record ? h('dl', {class: 'record'}, recordLine('Type', d.record.type), recordLine('Name', d.record.name, d.domain),
      recordLine('Value', d.record.value, d.domain))
      : h('p', {class: 'muted'}, 'Claimed before domains were proven by DNS: claim it again below to get its record.'),
    d.record ? h('div', {class: 'actions'}, actButton(box, h('span', null, 'Check now', h('span', {class: 'sr-only'}, ` for ${d.domain}`)), async () => {
      const after = await post(`${path}/check`, {domain: d.domain});
      announce(after.proven ? `${d.domain} proven` : `${d.domain} not proven: ${after.lastError || ''}`);
      again();
    })) : null);
}

async function providerSection(ctx, p, again, sets, edit) {
  const self = tenantPath(ctx.tenant.id, `/iam/providers/${p.id}`);
  const path = `${self}/domains`;
  const domains = (await get(path)).items;
  const box = errorBox();
  const claim = rowForm({id: `claim-${p.id}`, listPath: path, submit: 'Claim the domain', done: again, fields: [
    field({name: 'domain', kind: 'string', required: true, maxLength: 253},
      {label: 'Work e-mail domain', hint: 'e.g. example.com: people whose address ends in it are sent to this provider once it is proven.'})]});
  sets.push(claim.set);
  const titleId = `provider-${p.id}`;
  return h('section', {class: 'section', 'aria-labelledby': titleId, 'data-provider': p.name},
    h('h2', {id: titleId}, p.name, ' ', h('span', {class: `badge ${p.enabled ? 'badge-success' : 'badge-expired'}`}, p.enabled ? 'Enabled' : 'Disabled')),
    h('p', {class: 'sub wrap'}, `${p.type} · `, h('span', {class: 'mono'}, p.issuer), ` · client ${p.clientId} · secret `, h('span', {class: 'mono'}, p.clientSecret)),
    h('div', {class: 'actions'},
      actButton(box, h('span', null, 'Edit', h('span', {class: 'sr-only'}, ` ${p.name}`)), async () => edit(p)),
      actButton(box, h('span', null, 'Delete', h('span', {class: 'sr-only'}, ` ${p.name}`)), async () => {
        if (!(await confirmDialog({title: `Delete ${p.name}?`, confirm: 'Delete the provider',
          body: 'Its sign-ins stop at once; its members stay members and keep their roles.'}))) return;
        await del(self);
        announce(`${p.name} deleted`);
        again();
      })), box,
    ...rulesPart(p, self, box, again, sets),
    h('h3', {class: 'section-sub'}, 'E-mail domains'),
    h('p', {class: 'sub'}, 'Prove each domain is yours with a DNS TXT record: slipway looks it up when you check, and again every day.'),
    domains.length ? h('ul', {class: 'domain-proofs'}, domains.map((d) => domainCard(d, path, box, again)))
      : h('p', {class: 'muted'}, 'No domains claimed: the login page finds this provider by the organisation\'s name only.'),
    h('h3', {class: 'section-sub'}, 'Claim a domain'), claim.form);
}

export async function viewSso(ctx) {
  const listPath = tenantPath(ctx.tenant.id, '/iam/providers');
  const providers = (await get(listPath)).items;
  const again = () => ctx.navigate(location.hash);
  const sets = [];
  let editing = null;
  const editBox = h('section', {class: 'section', id: 'provider-edit', hidden: true});
  const edit = (p) => {
    editing = rowForm({id: 'provider-form', fields: providerFields(p), listPath, row: p, done: again});
    editBox.replaceChildren(h('h2', null, `Edit ${p.name}`), editing.form);
    editBox.hidden = false;
    editBox.scrollIntoView({block: 'start'});
    editing.form.querySelector('input')?.focus();
  };
  const sections = await Promise.all(providers.map((p) => providerSection(ctx, p, again, sets, edit)));
  if (ctx.stale()) return;
  const create = rowForm({id: 'provider-create', fields: providerFields(null), listPath, submit: 'Add the provider', done: again});
  sets.push(create.set);
  ctx.main.append(pageHead('Single sign-on', 'Your identity providers, the group rules that give roles, and the work e-mail domains that lead to them.'),
    ...(providers.length ? sections : [h('p', {class: 'muted'}, 'No identity provider yet: add one below.')]), editBox,
    h('section', {class: 'section', 'aria-labelledby': 'provider-add'}, h('h2', {id: 'provider-add'}, 'Add an identity provider'),
      h('p', {class: 'sub wrap'}, 'Register slipway at the provider first, with the redirect URI ',
        h('span', {class: 'mono'}, 'SLIPWAY_PUBLIC_URL/api/v1/auth/oidc/callback'), ' (docs/sso.md "Setting it up").'), create.form));
  ctx.guardLeave(() => sets.some((s) => s.dirty()) || (editing && editing.form.isConnected && editing.set.dirty()));
}
