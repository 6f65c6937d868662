// view-sso.js: the tenant's single sign-on (docs/sso.md), owners only (every
// /iam route is an owner's). Each identity provider with what it is and,
// under it, the work e-mail domains it claims: per domain whether the DNS
// proof holds (proven since when, or not, with the last check's reason), the
// TXT record to publish (name and value, each with a copy button), "Check
// now", and a form that claims another domain. Adding or changing a provider
// is the API's (docs/sso.md "Setting it up").

import {h, when, announce, errorBox, copyButton} from './dom.js';
import {get, post, tenantPath} from './api.js';
import {field} from './forms.js';
import {pageHead, actButton, rowForm} from './deploy-common.js';

// Proven, not proven (a check failed), or never checked: a word and a colour, never colour alone.
function proofBadge(d) {
  const [cls, word, status] = d.proven ? ['badge-success', 'Proven', 'PROVEN']
    : d.lastCheckedAt ? ['badge-failure', 'Not proven', 'NOT_PROVEN'] : ['badge-not_verified', 'Not checked yet', 'UNCHECKED'];
  return h('span', {class: `badge ${cls}`, 'data-status': status}, word);
}

function proofWords(d) {
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

async function providerSection(ctx, p, again, sets) {
  const path = tenantPath(ctx.tenant.id, `/iam/providers/${p.id}/domains`);
  const domains = (await get(path)).items;
  const box = errorBox();
  const claim = rowForm({id: `claim-${p.id}`, listPath: path, submit: 'Claim the domain', done: again, fields: [
    field({name: 'domain', kind: 'string', required: true, maxLength: 253},
      {label: 'Work e-mail domain', hint: 'e.g. example.com: people whose address ends in it are sent to this provider once it is proven.'})]});
  sets.push(claim.set);
  const titleId = `provider-${p.id}`;
  return h('section', {class: 'section', 'aria-labelledby': titleId, 'data-provider': p.name},
    h('h2', {id: titleId}, p.name, ' ', h('span', {class: `badge ${p.enabled ? 'badge-success' : 'badge-expired'}`}, p.enabled ? 'Enabled' : 'Disabled')),
    h('p', {class: 'sub wrap'}, `${p.type} · `, h('span', {class: 'mono'}, p.issuer)),
    h('h3', {class: 'section-sub'}, 'E-mail domains'),
    h('p', {class: 'sub'}, 'Prove each domain is yours with a DNS TXT record: slipway looks it up when you check.'), box,
    domains.length ? h('ul', {class: 'domain-proofs'}, domains.map((d) => domainCard(d, path, box, again)))
      : h('p', {class: 'muted'}, 'No domains claimed: the login page finds this provider by the organisation\'s name only.'),
    h('h3', {class: 'section-sub'}, 'Claim a domain'), claim.form);
}

export async function viewSso(ctx) {
  const providers = (await get(tenantPath(ctx.tenant.id, '/iam/providers'))).items;
  const again = () => ctx.navigate(location.hash);
  const sets = [];
  const sections = await Promise.all(providers.map((p) => providerSection(ctx, p, again, sets)));
  if (ctx.stale()) return;
  ctx.main.append(pageHead('Single sign-on', 'Your identity providers and the work e-mail domains that lead to them.'),
    ...(providers.length ? sections : [h('p', {class: 'muted'}, 'No identity provider yet: an owner adds one with the API (POST /api/v1/{tenantId}/iam/providers).')]));
  ctx.guardLeave(() => sets.some((s) => s.dirty()));
}
