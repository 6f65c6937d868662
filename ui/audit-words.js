// audit-words.js: an audit row as a sentence a person reads ("Changed the
// role of ana@example.com from editor to viewer"), with names instead of ids
// (the integration's display name, the member's e-mail), and its details as
// labelled words instead of raw JSON. Used by the audit log and the home page.

import {get, tenantPath} from './api.js';
import {humanize} from './dom.js';
import {listAll, typeName, statusWords} from './cards.js';

// What the rows' ids stand for, from what the tenant has now (a deleted thing keeps its type, from the row).
export async function loadNames(tenantId, owner) {
  const [ints, members, invitations] = await Promise.all([listAll(tenantId).catch(() => ({all: []})),
    get(tenantPath(tenantId, '/members?limit=200')).catch(() => ({items: []})),
    owner ? get(tenantPath(tenantId, '/invitations?limit=200')).catch(() => ({items: []})) : {items: []}]);
  return {
    integrations: new Map(ints.all.map((i) => [i.id, i])),
    members: new Map(members.items.map((m) => [m.accountId, m.email])),
    invitations: new Map(invitations.items.map((i) => [i.id, i.email])),
  };
}

function integrationName(row, names) {
  const i = names.integrations.get(row.targetId);
  const type = row.details && row.details.type;
  if (i) return `${i.displayName}${i.displayName === typeName(i.type) ? '' : ` (${typeName(i.type)})`}`;
  return type ? `a ${typeName(type)} integration` : 'an integration';
}

function memberName(row, names) {
  return names.members.get(row.targetId) || 'a former member';
}

function fieldList(fields) {
  return (fields || []).map((f) => humanize(f)).join(', ');
}

// The row as one sentence, without its actor.
export function sentence(row, names) {
  const d = row.details || {};
  const failed = row.outcome === 'failure';
  switch (row.action) {
  case 'integration.create': return `Added ${integrationName(row, names)}`;
  case 'integration.update': return `Changed ${integrationName(row, names)}`;
  case 'integration.delete': return `Deleted ${integrationName(row, names)}`;
  case 'integration.verify':
    return `Verified ${integrationName(row, names)}: ${d.verdict ? statusWords(d.to) : `no verdict, still ${statusWords(d.to)}`}`;
  case 'setup.save': return d.setupComplete ? 'Saved the release setup (complete)' : 'Saved the release setup';
  case 'member.invite': return `Invited ${d.email || names.invitations.get(row.targetId) || 'someone'} as ${d.role}`;
  case 'member.invite.revoke': return `Revoked the invitation of ${d.email || names.invitations.get(row.targetId) || 'someone'}`;
  case 'member.join': return `Joined as ${d.role}`;
  case 'member.add': return `Added ${memberName(row, names)}`;
  case 'member.update': return d.to ? `Changed the role of ${memberName(row, names)} from ${d.from} to ${d.to}` : `Changed ${memberName(row, names)}`;
  case 'member.remove': return `Removed ${memberName(row, names)}${d.role ? ` (${d.role})` : ''}`;
  case 'tenant.create': return `Created the tenant ${d.orgName || ''}`.trim();
  case 'tenant.update': return d.orgName ? `Renamed the tenant to ${d.orgName}` : (d.fields || []).includes('orgName') ? 'Renamed the tenant' : 'Changed the tenant';
  case 'tenant.delete': return 'Deleted the tenant';
  case 'release.create': return d.version ? `Started release ${d.version}` : 'Started a release';
  case 'release.pause': return `Paused a release${d.reason ? `: ${d.reason}` : ''}`;
  case 'release.resume': return 'Resumed a release';
  case 'release.retry': return 'Retried a blocked release';
  case 'release.cancel': return `Cancelled a release${d.reason ? `: ${d.reason}` : ''}`;
  case 'release.config.update': return 'Changed the release settings';
  case 'auth.sso_login': return failed ? `Failed to sign in with single sign-on${d.reason ? `: ${d.reason}` : ''}` : 'Signed in with single sign-on';
  case 'member.join_sso': return `Joined through single sign-on as ${d.to || 'a member'}`;
  case 'member.role_sso': return `Single sign-on changed the role of ${memberName(row, names)} from ${d.from} to ${d.to}`;
  case 'iam.provider.create': return 'Added an identity provider';
  case 'iam.provider.update': return 'Changed an identity provider';
  case 'iam.provider.delete': return 'Removed an identity provider';
  case 'iam.settings.update': return d.ssoRequired === true ? 'Required single sign-on for everyone'
    : d.ssoRequired === false ? 'Stopped requiring single sign-on' : 'Changed the sign-on settings';
  case 'auth.login': return failed ? 'Failed to log in' : 'Logged in';
  case 'auth.logout': return 'Logged out';
  case 'token.create': return 'Created an API token';
  case 'token.revoke': return 'Revoked an API token';
  case 'admin.bootstrap': return 'Set up slipway (first owner and tenant)';
  default: return row.action;
  }
}

// The rest of the row's details as [label, words] pairs (what the sentence did not say).
export function detailPairs(row) {
  const d = row.details || {};
  const pairs = [];
  switch (row.action) {
  case 'integration.create':
  case 'integration.update':
    if (d.fields && d.fields.length) pairs.push([row.action.endsWith('create') ? 'Fields' : 'Changed', fieldList(d.fields)]);
    break;
  case 'integration.verify':
    if (d.message) pairs.push(['Reason', d.message]);
    if (d.from && d.to && d.from !== d.to) pairs.push(['Status', `${statusWords(d.from)} → ${statusWords(d.to)}`]);
    break;
  case 'setup.save':
    if (d.sections && typeof d.sections === 'object') pairs.push(['Steps', (Array.isArray(d.sections) ? d.sections : Object.keys(d.sections)).map(humanize).join(', ')]);
    for (const c of d.integrations || []) pairs.push([c.change === 'create' ? 'Added' : 'Changed', `${typeName(c.type)}${c.fields ? `: ${fieldList(c.fields)}` : ''}`]);
    break;
  case 'member.invite':
    if (d.replacedPending) pairs.push(['Note', 'replaced a pending invitation']);
    break;
  case 'member.join':
    if (d.accountCreated) pairs.push(['Note', 'created their account']);
    break;
  default:
    break;
  }
  return pairs;
}

export const ACTION_GROUPS = [
  ['Integrations', ['integration.create', 'integration.update', 'integration.delete', 'integration.verify']],
  ['Setup', ['setup.save']],
  ['Releases', ['release.create', 'release.pause', 'release.resume', 'release.retry', 'release.cancel', 'release.config.update']],
  ['Members', ['member.invite', 'member.invite.revoke', 'member.join', 'member.add', 'member.update', 'member.remove']],
  ['Tenant', ['tenant.create', 'tenant.update', 'tenant.delete', 'admin.bootstrap']],
  ['Sign-on', ['auth.sso_login', 'member.join_sso', 'member.role_sso', 'iam.provider.create', 'iam.provider.update', 'iam.provider.delete',
    'iam.settings.update']],
  ['Account', ['auth.login', 'auth.logout', 'token.create', 'token.revoke']],
];

export const ACTION_WORDS = {
  'integration.create': 'Integration added', 'integration.update': 'Integration changed', 'integration.delete': 'Integration deleted',
  'integration.verify': 'Integration verified', 'setup.save': 'Setup saved', 'member.invite': 'Member invited',
  'member.invite.revoke': 'Invitation revoked', 'member.join': 'Member joined', 'member.add': 'Member added',
  'member.update': 'Role changed', 'member.remove': 'Member removed', 'tenant.create': 'Tenant created',
  'tenant.update': 'Tenant changed', 'tenant.delete': 'Tenant deleted', 'admin.bootstrap': 'First start',
  'auth.login': 'Logged in', 'auth.logout': 'Logged out', 'token.create': 'API token created', 'token.revoke': 'API token revoked',
  'release.create': 'Release started', 'release.pause': 'Release paused', 'release.resume': 'Release resumed',
  'release.retry': 'Release retried', 'release.cancel': 'Release cancelled', 'release.config.update': 'Release settings changed',
  'auth.sso_login': 'Signed in (SSO)', 'member.join_sso': 'Joined (SSO)', 'member.role_sso': 'Role changed (SSO)',
  'iam.provider.create': 'Identity provider added', 'iam.provider.update': 'Identity provider changed',
  'iam.provider.delete': 'Identity provider removed', 'iam.settings.update': 'Sign-on settings changed',
};
