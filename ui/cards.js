// cards.js: one integration as a card: its status badge, when it was last
// verified and the provider's reason in words; for owners, Verify, Edit and
// Delete. Used by the setup wizard and the integrations page.

import {h, append, clear, badge, when, errorBox, showError, announce, logo, confirmDialog} from './dom.js';
import {post, del, patch, get, tenantPath, integrationTypes} from './api.js';
import {integrationForm} from './forms.js';

export const CATEGORIES = [
  {slug: 'scm', title: 'Source control', noun: 'source control connection'},
  {slug: 'targets', title: 'Distribution targets', noun: 'distribution target'},
  {slug: 'pipelines', title: 'CI/CD pipelines', noun: 'pipeline'},
  {slug: 'communication', title: 'Communication', noun: 'communication channel'},
  {slug: 'tickets', title: 'Ticket systems', noun: 'ticket system'},
  {slug: 'test-management', title: 'Test management', noun: 'test management tool'},
  {slug: 'code-signing', title: 'Code signing', noun: 'signing certificate'},
  {slug: 'monitoring', title: 'Monitoring', noun: 'crash reporting project'},
];

export function integrationPath(tenantId, category, id, rest) {
  return tenantPath(tenantId, `/integrations/${category}${id ? `/${id}` : ''}${rest || ''}`);
}

// What a pipeline builds from and ships to.
function pipelineLinks(obj) {
  const scm = obj.scm ? `${obj.scm.displayName} (${obj.scm.type})` : 'unknown';
  const target = obj.target ? `${obj.target.displayName} (${obj.target.type})` : 'unknown';
  return h('dl', {class: 'links'}, h('dt', null, 'Source'), h('dd', null, scm), h('dt', null, 'Target'), h('dd', null, target));
}

// ctx: {tenantId, owner (bool), refs (for Edit: the tenant's SCM connections and targets), onChange(), onVerified(status)}
export function integrationCard(obj, ctx) {
  const titleId = `card-${obj.id}`;
  const card = h('article', {class: 'card', 'aria-labelledby': titleId, 'data-id': obj.id, 'data-type': obj.type});
  const statusLine = h('div', {class: 'status-line'});
  const reason = h('p', {class: 'reason'});
  const cause = h('p', {class: 'cause'});
  const errors = errorBox();
  const editArea = h('div', {class: 'edit-area'});
  let current = obj;

  // The provider's reason, and (after a check) the cause the server found: name not resolved, 401 and its text...
  function renderStatus(status, lastVerifiedAt, message, why) {
    clear(statusLine).append(badge(status),
      lastVerifiedAt ? h('span', null, 'Last verified ', when(lastVerifiedAt, {relative: true})) : h('span', null, 'Not checked yet'));
    reason.textContent = message || '';
    reason.hidden = !message;
    cause.textContent = why ? `Cause: ${why}` : '';
    cause.hidden = !why;
  }
  renderStatus(obj.verificationStatus, obj.lastVerifiedAt, obj.lastVerificationError);

  const actions = h('div', {class: 'actions'});
  if (ctx.owner) {
    const verifyBtn = h('button', {type: 'button', class: 'secondary verify', 'aria-describedby': titleId}, 'Verify');
    // Verifies and shows the answer; resolves to the status after it (verify-all runs it for every card).
    card.verify = async (quiet) => {
      verifyBtn.disabled = true;
      verifyBtn.textContent = 'Verifying…';
      showError(errors, null);
      try {
        const a = await verifyOne(ctx.tenantId, current);
        const at = a.verdict ? a.timestamp : current.lastVerifiedAt;
        renderStatus(a.status, at, a.message, a.details && a.details.cause);
        current = {...current, verificationStatus: a.status, lastVerifiedAt: at};
        if (!quiet) announce(`${current.displayName}: ${statusWords(a.status)}. ${a.message}`);
        if (ctx.onVerified) ctx.onVerified(a.status);
        return a.status;
      } catch (e) {
        showError(errors, e.message);
        return current.verificationStatus;
      } finally {
        verifyBtn.disabled = false;
        verifyBtn.textContent = 'Verify';
      }
    };
    verifyBtn.addEventListener('click', () => card.verify(false));

    const editBtn = h('button', {type: 'button', class: 'secondary', 'aria-expanded': 'false', 'aria-describedby': titleId}, 'Edit');
    const closeEdit = () => {
      clear(editArea);
      card.classList.remove('editing');
      editBtn.setAttribute('aria-expanded', 'false');
      editBtn.focus();
    };
    editBtn.addEventListener('click', async () => {
      if (editArea.firstChild) return closeEdit();
      let desc;
      try {
        desc = (await integrationTypes()).find((t) => t.type === current.type);
      } catch (e) {
        showError(errors, e.message);
        return;
      }
      if (!desc) return showError(errors, `${current.type} is not enabled on this server.`);
      const {form} = integrationForm(desc, current, ctx.refs, async (body) => {
        const saved = await patch(integrationPath(ctx.tenantId, current.category, current.id), body);
        announce(`${saved.displayName} saved`);
        if (ctx.onChange) ctx.onChange(saved);
        return saved;
      }, closeEdit);
      editArea.append(form);
      card.classList.add('editing'); // the form takes the row's whole width
      editBtn.setAttribute('aria-expanded', 'true');
      form.querySelector('input:not([type="file"]), select, textarea')?.focus();
    });

    const deleteBtn = h('button', {type: 'button', class: 'danger', 'aria-describedby': titleId}, 'Delete');
    deleteBtn.addEventListener('click', () => remove());
    actions.append(verifyBtn, editBtn, deleteBtn);
  }

  async function remove() {
    showError(errors, null);
    const sure = await confirmDialog({title: `Delete ${current.displayName}?`, confirm: `Delete ${current.displayName}`,
      body: 'Its stored credentials are removed for good; releases can no longer use it.'});
    if (!sure) return;
    try {
      await del(integrationPath(ctx.tenantId, current.category, current.id));
      announce(`${current.displayName} deleted`);
      card.remove();
      if (ctx.onChange) ctx.onChange(null);
    } catch (e) {
      if (e.status === 409) {
        // "<id> (<name>)": the name is what a person knows.
        const users = e.details.filter((d) => d.field === 'pipelines').map((d) => d.message.replace(/^[0-9a-f-]{36} \((.*)\)$/, '$1'));
        showError(errors, `${current.displayName} cannot be deleted: ${users.length === 1 ? 'a pipeline uses' : 'pipelines use'} it. ` +
          'Delete those pipelines or point them at another connection first.', users);
      } else {
        showError(errors, e.message);
      }
      errors.setAttribute('tabindex', '-1');
      errors.focus();
    }
  }

  append(card, [
    h('header', null, logo(obj.type), h('div', {class: 'names'}, h('h3', {id: titleId}, obj.displayName),
      obj.displayName === typeName(obj.type) ? null : typeLabel(obj.type))),
    statusLine, reason, cause,
    obj.category === 'pipelines' ? pipelineLinks(obj) : null,
    errors, ctx.owner ? actions : null, editArea]);
  return card;
}

// A type's display name ("Google Play"), from the descriptors; the type itself until they are loaded.
const typeNames = {};
export function typeName(type) {
  return typeNames[type] || type;
}
// An element showing typeName(type), corrected once the descriptors arrive.
export function typeLabel(type, cls) {
  const el = h('span', {class: cls || 'type'}, typeName(type));
  if (!typeNames[type]) {
    integrationTypes().then((types) => {
      for (const t of types) typeNames[t.type] = t.displayName;
      el.textContent = typeName(type);
    }, () => {});
  }
  return el;
}

export function statusWords(status) {
  return {NOT_VERIFIED: 'not verified', VALID: 'valid', INVALID: 'invalid', EXPIRED: 'expired'}[status] || status;
}

// Verifies one stored integration; the answer is docs/verification.md's.
export function verifyOne(tenantId, obj) {
  return post(integrationPath(tenantId, obj.category, obj.id, '/verify'));
}

// Every integration of a category (pipelines with their SCM and target), all pages.
export async function listCategory(tenantId, slug) {
  const items = [];
  let cursor = null;
  do {
    const q = new URLSearchParams({limit: '200'});
    if (slug === 'pipelines') q.set('include', 'scm,target');
    if (cursor) q.set('cursor', cursor);
    const page = await get(`${integrationPath(tenantId, slug)}?${q}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

// Every integration of the tenant, by category slug, and all of them in one list.
export async function listAll(tenantId) {
  const lists = await Promise.all(CATEGORIES.map((c) => listCategory(tenantId, c.slug)));
  return {byCat: Object.fromEntries(CATEGORIES.map((c, i) => [c.slug, lists[i]])), all: lists.flat()};
}
