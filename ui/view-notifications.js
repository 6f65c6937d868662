// view-notifications.js: who hears about what (docs/notifications.md). The
// tenant's rules (an event pattern of the catalogue -> a communication
// integration and channel), its outbound webhook endpoints (owners only:
// a URL may carry the receiver's token; a signing secret is shown once,
// when made or rotated), and the delivery logs of both. Owners edit;
// editors and viewers read the rules and the logs.

import {h, when, announce, errorBox, showError, showOnce, scrollTable, confirmDialog, pager} from './dom.js';
import {get, post, put, del, tenantPath, eventCatalogue} from './api.js';
import {field, FieldSet} from './forms.js';
import {listCategory, typeName} from './cards.js';

const DELIVERY_BADGES = {DELIVERED: ['badge-success', 'Delivered'], FAILED: ['badge-failure', 'Failed'],
  RETRYING: ['badge-expired', 'Retrying'], PENDING: ['badge-progress', 'Pending'], SKIPPED: ['badge-not_verified', 'Skipped']};

function deliveryBadge(status) {
  const [cls, word] = DELIVERY_BADGES[status] || ['badge-not_verified', status];
  return h('span', {class: `badge ${cls}`, 'data-status': status}, word);
}

// "*", every prefix of the catalogue's names followed by ".*", and the names: what a pattern may be.
function patternChoices(catalogue) {
  const prefixes = new Set();
  for (const e of catalogue) {
    const parts = e.name.split('.');
    for (let i = 1; i < parts.length; i++) prefixes.add(`${parts.slice(0, i).join('.')}.*`);
  }
  return [{value: '*', label: '* (every event)'}, ...[...prefixes].sort().map((p) => ({value: p, label: p})),
    ...catalogue.map((e) => ({value: e.name, label: `${e.name}: ${e.description}`}))];
}

// The secret just made, shown this once with a copy button.
function secretOnce(box, secret, what, done, note) {
  showOnce(box, {id: 'endpoint-secret', label: 'Signing secret', value: secret, done, words: [
    h('p', null, `Copy the signing secret of ${what} now: it is shown only once. Receivers verify webhook-signature with it.`),
    note ? h('p', {id: 'overlap-note'}, note) : null].filter(Boolean)});
}

// A form of fields whose submit sends what they hold (send(body) answers), then calls done(answer); the API's errors go
// next to their fields. cancel: a Cancel button beside the submit (an edit in place).
function sendForm(id, set, wraps, label, cancel, send, done) {
  const form = h('form', {novalidate: true, id, class: 'boxed'}, set.summary, h('div', {class: 'fields'}, wraps),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, label),
      cancel ? h('button', {type: 'button', class: 'secondary', onclick: cancel}, 'Cancel') : null));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    set.clearErrors();
    try {
      const answer = await send(set.collect(false));
      set.initial = set.snapshot();
      done(answer);
    } catch (e) {
      set.showErrors(e);
    }
  });
  return form;
}

// The rule form, to add one (rule null) or to edit one in place (PUT replaces it: a channel left empty is cleared).
function ruleForm(tenantId, comms, catalogue, rule, done, cancel) {
  const choices = patternChoices(catalogue);
  if (rule && !choices.some((c) => c.value === rule.eventPattern)) choices.unshift({value: rule.eventPattern, label: rule.eventPattern});
  const pattern = field({name: 'eventPattern', kind: 'string', required: true, maxLength: 128},
    {label: 'Events', choices, value: rule ? rule.eventPattern : 'release.*'});
  const target = field({name: 'integrationId', kind: 'string', required: true},
    {label: 'Send to', choices: comms.map((c) => ({value: c.id, label: `${c.displayName} (${typeName(c.type)})`})),
      value: rule && comms.some((c) => c.id === rule.integrationId) ? rule.integrationId : comms[0].id});
  const channel = field({name: 'channel', kind: 'string', maxLength: 80},
    {label: 'Channel', value: rule ? rule.channel : null, hint: 'Slack only: a channel the bot is in, e.g. releases. Teams and e-mail: leave empty.'});
  const set = new FieldSet([pattern, target, channel]);
  const form = sendForm(rule ? 'rule-edit-form' : 'rule-form', set, [pattern.wrap, target.wrap, channel.wrap],
    rule ? 'Save the rule' : 'Add rule', cancel,
    (body) => (rule ? put(tenantPath(tenantId, `/notification-rules/${rule.id}`), body) : post(tenantPath(tenantId, '/notification-rules'), body)),
    () => {
      announce(rule ? 'Rule saved' : 'Rule added');
      done();
    });
  return {form, set, first: pattern.control};
}

// An edit form opened under a list, in place of the one open before it (o: {title, form, set}); its set joins the
// page's unsaved-input guard while it is open.
function openEditor(box, sets, o) {
  const close = () => {
    if (box.editing !== close) return; // another edit took its place
    box.editing = null;
    sets.splice(sets.indexOf(o.set), 1);
    box.replaceChildren();
    box.hidden = true;
  };
  if (box.editing) box.editing();
  box.editing = close;
  sets.push(o.set);
  box.replaceChildren(h('h3', {class: 'section-sub'}, o.title), o.form);
  box.hidden = false;
  o.first.focus();
  return close;
}

function rulesSection(ctx, tenantId, rules, comms, catalogue, again, sets) {
  const box = errorBox();
  const editor = h('div', {class: 'editor', hidden: true});
  const integ = (id) => comms.find((c) => c.id === id);
  const rows = rules.map((r) => {
    const i = integ(r.integrationId);
    const cells = [h('td', {class: 'mono'}, r.eventPattern), h('td', null, i ? `${i.displayName} (${typeName(i.type)})` : 'a deleted integration'),
      h('td', null, r.channel ? h('span', {class: 'mono'}, `#${r.channel}`) : h('span', {class: 'muted'}, 'its own'))];
    if (ctx.owner) {
      const edit = h('button', {type: 'button', class: 'secondary', 'aria-label': `Edit the rule ${r.eventPattern}`}, 'Edit');
      edit.addEventListener('click', () => {
        let close = null;
        const f = ruleForm(tenantId, comms, catalogue, r, again, () => close());
        close = openEditor(editor, sets, {title: `Edit the rule ${r.eventPattern}`, ...f});
      });
      edit.disabled = !comms.length;
      const remove = h('button', {type: 'button', class: 'danger', 'aria-label': `Delete the rule ${r.eventPattern}`}, 'Delete');
      remove.addEventListener('click', async () => {
        showError(box, null);
        if (!(await confirmDialog({title: 'Delete this rule?', confirm: 'Delete the rule',
          body: 'Events it matches are no longer sent there. Its deliveries stay in the log.'}))) return;
        try {
          await del(tenantPath(tenantId, `/notification-rules/${r.id}`));
          announce('Rule deleted');
          again();
        } catch (e) {
          showError(box, e.message);
        }
      });
      cells.push(h('td', {class: 'row-actions'}, edit, remove));
    }
    return h('tr', null, cells);
  });
  const section = h('section', {class: 'section', 'aria-labelledby': 'rules-title'}, h('h2', {id: 'rules-title'}, 'Rules'),
    h('p', {class: 'sub'}, 'Which events go to which chat channel or mailbox. An integration\'s own "notify on these events" narrows it further.'),
    box,
    rules.length
      ? scrollTable('Notification rules', h('thead', null, h('tr', null, ['Events', 'Integration', 'Channel'].map((c) => h('th', {scope: 'col'}, c)),
        ctx.owner ? h('th', {scope: 'col'}, h('span', {class: 'sr-only'}, 'Actions')) : null)), h('tbody', null, rows))
      : h('p', {class: 'muted'}, 'No rules: nothing is sent to chat or e-mail.'), editor);
  if (!ctx.owner) return section;
  if (!comms.length) {
    section.append(h('p', {class: 'notice'}, 'Connect Slack, Microsoft Teams or e-mail under Integrations to send notifications.'));
    return section;
  }
  const add = ruleForm(tenantId, comms, catalogue, null, again, null);
  sets.push(add.set);
  section.append(h('h3', {class: 'section-sub'}, 'Add a rule'), add.form);
  return section;
}

function endpointsSection(ctx, tenantId, endpoints, catalogue, again, sets) {
  const box = errorBox();
  const once = h('div', {class: 'once', hidden: true, role: 'status'});
  const editor = h('div', {class: 'editor', hidden: true});
  const act = (label, run) => {
    const b = h('button', {type: 'button', class: 'secondary'}, label);
    b.addEventListener('click', async () => {
      showError(box, null);
      try {
        await run();
      } catch (e) {
        showError(box, e.message);
      }
    });
    return b;
  };
  const rows = endpoints.map((ep) => h('tr', null,
    h('td', {class: 'mono wrap'}, ep.url, ep.description ? h('div', {class: 'muted'}, ep.description) : null),
    h('td', {class: 'mono'}, ep.events.join(', ')),
    h('td', null, ep.enabled ? 'Enabled' : h('span', {class: 'muted'}, 'Disabled'),
      // after a rotation with an overlap: until when receivers may still check the old secret
      ep.previousSecretUntil && Date.parse(ep.previousSecretUntil) > Date.now()
        ? h('div', {class: 'muted secret-overlap'}, 'The old secret also signs until ', when(ep.previousSecretUntil)) : null,
      // disabled by slipway after failing too long (an owner's own switch has no reason): why, since when, and a way back
      !ep.enabled && ep.disabledReason ? h('div', {class: 'muted disabled-reason'}, ep.disabledReason, ' (', when(ep.disabledAt, {relative: true}), ')') : null,
      !ep.enabled && ctx.owner ? act('Turn on again', async () => {
        await put(tenantPath(tenantId, `/webhook-endpoints/${ep.id}`), {url: ep.url, events: ep.events, enabled: true,
          ...(ep.description ? {description: ep.description} : {})});
        announce('Endpoint turned on again');
        again();
      }) : null),
    h('td', {class: 'row-actions'},
      act('Send a ping', async () => {
        await post(tenantPath(tenantId, `/webhook-endpoints/${ep.id}/ping`));
        announce('Ping queued: see the delivery log');
        again();
      }),
      act('Edit', async () => {
        let close = null;
        const f = endpointForm(tenantId, catalogue, ep, () => {
          announce('Endpoint saved');
          again();
        }, () => close());
        close = openEditor(editor, sets, {title: `Edit ${ep.url}`, ...f});
      }),
      act('Rotate secret', async () => rotateForm(once, tenantId, ep, again)),
      act('Delete', async () => {
        if (!(await confirmDialog({title: 'Delete this endpoint?', confirm: 'Delete the endpoint',
          body: 'Nothing more is sent to it, and its deliveries leave the log.'}))) return;
        await del(tenantPath(tenantId, `/webhook-endpoints/${ep.id}`));
        announce('Endpoint deleted');
        again();
      }))));
  const add = endpointForm(tenantId, catalogue, null, (made) => {
    add.form.hidden = true;
    secretOnce(once, made.secret, made.url, again);
  });
  sets.push(add.set);
  return h('section', {class: 'section', 'aria-labelledby': 'endpoints-title'}, h('h2', {id: 'endpoints-title'}, 'Outbound webhooks'),
    h('p', {class: 'sub'}, 'Your own services, told of each event as signed JSON, retried for about a day until they answer 2xx.'),
    box,
    endpoints.length
      ? scrollTable('Webhook endpoints', h('thead', null, h('tr', null, ['URL', 'Events', 'State'].map((c) => h('th', {scope: 'col'}, c)),
        h('th', {scope: 'col'}, h('span', {class: 'sr-only'}, 'Actions')))), h('tbody', null, rows))
      : h('p', {class: 'muted'}, 'No endpoints.'),
    editor, h('h3', {class: 'section-sub'}, 'Add an endpoint'), add.form, once);
}

// The endpoint form, to add one (ep null: the answer holds its secret) or to edit one in place: PUT replaces its URL,
// events and description and keeps whether it is on. Patterns the catalogue's names do not cover ("*", "release.*")
// stay offered, checked.
function endpointForm(tenantId, catalogue, ep, done, cancel) {
  const patterns = ep ? ep.events.filter((e) => !catalogue.some((c) => c.name === e || c.alias === e)) : [];
  const url = field({name: 'url', kind: 'string', required: true, format: 'url', maxLength: 1024}, // one line (the API takes 2048)
    {label: 'URL', value: ep ? ep.url : null,
      hint: 'https only. Each delivery is signed the Standard Webhooks way (webhook-id, webhook-timestamp, webhook-signature).'});
  const events = field({name: 'events', kind: 'array', required: true, format: 'events'},
    {label: 'Events', value: ep ? ep.events : [],
      catalogue: [...patterns.map((p) => ({name: p, description: 'every event it matches', alias: null})), ...catalogue]});
  const description = field({name: 'description', kind: 'string', maxLength: 500},
    {label: 'Description', value: ep ? ep.description : null, hint: 'Optional: what receives it, e.g. the deploy bot.'});
  const set = new FieldSet([url, events, description]);
  const form = sendForm(ep ? 'endpoint-edit-form' : 'endpoint-form', set, [url.wrap, description.wrap, events.wrap],
    ep ? 'Save the endpoint' : 'Add endpoint', cancel, (body) => {
      if (!body.description) delete body.description;
      return ep ? put(tenantPath(tenantId, `/webhook-endpoints/${ep.id}`), {...body, enabled: ep.enabled})
        : post(tenantPath(tenantId, '/webhook-endpoints'), body);
    }, done);
  return {form, set, first: url.control};
}

// ---- outbound webhooks: rotation with an overlap, deliveries per endpoint, redelivery (issue 16) ----

const OVERLAPS = [{value: '0', label: 'No: it stops at once'}, {value: '3600', label: 'For 1 hour'},
  {value: '86400', label: 'For 1 day'}, {value: '604800', label: 'For 7 days'}];

// Asks how long the old secret keeps signing beside the new one, rotates, and shows the new secret once.
function rotateForm(once, tenantId, ep, again) {
  const overlap = field({name: 'overlapSeconds', kind: 'string', required: true},
    {label: 'Keep signing with the old secret too?', choices: OVERLAPS, value: '0',
      hint: 'Meanwhile each delivery carries both signatures, so the receiver can switch without losing one.'});
  const set = new FieldSet([overlap]);
  const cancel = h('button', {type: 'button', class: 'secondary', onclick: () => {
    once.hidden = true;
    once.replaceChildren();
  }}, 'Cancel');
  const form = h('form', {novalidate: true, id: 'rotate-form'}, h('h3', {class: 'section-sub'}, `Rotate the secret of ${ep.url}`), set.summary,
    h('div', {class: 'fields'}, overlap.wrap), h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Rotate now'), cancel));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    set.clearErrors();
    try {
      const seconds = Number(overlap.control.value);
      const made = await post(tenantPath(tenantId, `/webhook-endpoints/${ep.id}/rotate-secret`), {overlapSeconds: seconds});
      const until = new Date(Date.parse(made.secretRotatedAt) + seconds * 1000).toISOString();
      secretOnce(once, made.secret, made.url, again, seconds
        ? ['The old secret keeps signing beside it until ', when(until), ': update the receiver before then.']
        : 'The old secret stopped signing: update the receiver now.');
    } catch (e) {
      set.showErrors(e);
    }
  });
  once.replaceChildren(form);
  once.hidden = false;
  overlap.control.focus();
}

// The webhook deliveries, of every endpoint or one (owners choose); owners send a finished one again.
function hookLog(ctx, tenantId, hooks, endpoints, again) {
  const box = errorBox();
  const hook = (id) => endpoints.find((e) => e.id === id);
  const error = (text) => (text ? h('span', {class: 'wrap'}, text) : h('span', {class: 'muted'}, '–'));
  const tbody = h('tbody');
  const fill = (items) => tbody.replaceChildren(...items.map((d) => h('tr', {'data-delivery': d.id}, h('td', {class: 'mono'}, d.eventName),
    h('td', {class: 'mono wrap'}, hook(d.endpointId)?.url || 'an endpoint'),
    h('td', null, deliveryBadge(d.status)), h('td', null, String(d.attempts)),
    h('td', null, d.responseCode === null ? h('span', {class: 'muted'}, '–') : String(d.responseCode)), h('td', null, error(d.lastError)),
    h('td', null, when(d.updatedAt, {relative: true})),
    ctx.owner ? h('td', null, d.status === 'DELIVERED' || d.status === 'FAILED' ? redeliver(d) : null) : null)));
  const redeliver = (d) => {
    const b = h('button', {type: 'button', class: 'secondary', 'aria-label': `Send ${d.eventName} again`}, 'Send again');
    b.addEventListener('click', async () => {
      showError(box, null);
      b.disabled = true;
      try {
        await post(tenantPath(tenantId, `/webhook-endpoints/${d.endpointId}/deliveries/${d.id}/redeliver`));
        announce(`${d.eventName}: sent again, with the same webhook-id`);
        again();
      } catch (e) {
        showError(box, e.message);
        b.disabled = false;
      }
    });
    return b;
  };
  let select = null;
  const pages = logPager('Webhook deliveries pages', box, hooks, fill,
    (cursor) => get(tenantPath(tenantId, `/webhook-deliveries?${logQuery(cursor, select && select.value ? {endpointId: select.value} : {})}`)));
  let filter = null;
  if (ctx.owner && endpoints.length) {
    select = h('select', {id: 'delivery-endpoint'}, h('option', {value: ''}, 'Every endpoint'),
      endpoints.map((e) => h('option', {value: e.id}, e.url)));
    select.addEventListener('change', () => pages.load(0));
    filter = h('div', {class: 'filters', id: 'delivery-filter'}, h('div', {class: 'field'}, h('label', {for: 'delivery-endpoint'}, 'Endpoint'), select));
  }
  const cols = ['Event', 'Endpoint', 'Status', 'Attempts', 'Answer', 'Last error', 'Updated'];
  return [filter, box, hooks.items.length || filter
    ? [scrollTable('Webhook deliveries', h('thead', null, h('tr', null, cols.map((c) => h('th', {scope: 'col'}, c)),
      ctx.owner ? h('th', {scope: 'col'}, h('span', {class: 'sr-only'}, 'Actions')) : null)), tbody), pages.el]
    : h('p', {class: 'muted'}, 'Nothing sent yet.')];
}

const LOG_LIMIT = 50;

function logQuery(cursor, extra) {
  const q = new URLSearchParams({limit: String(LOG_LIMIT), ...extra});
  if (cursor) q.set('cursor', cursor);
  return q;
}

// "Newer", "Page n", "Older" under a delivery log, over the API's keyset cursors (shown once there is a second page).
// first: the page already shown; fetchPage(cursor) reads another; load(0) starts again at the newest (a new filter).
function logPager(label, box, first, fill, fetchPage) {
  const cursors = [null, first.nextCursor];
  const el = h('div', {class: 'log-pager'});
  const show = (index) => el.replaceChildren(index || cursors[index + 1] ? pager(label, index, cursors[index + 1], load) : '');
  async function load(index) {
    showError(box, null);
    el.setAttribute('aria-busy', 'true');
    try {
      const page = await fetchPage(cursors[index]);
      cursors.length = index + 1;
      cursors.push(page.nextCursor);
      fill(page.items);
      show(index);
    } catch (e) {
      showError(box, e.message);
    } finally {
      el.removeAttribute('aria-busy');
    }
  }
  fill(first.items);
  show(0);
  return {el, load};
}

function logSection(ctx, tenantId, notices, hooks, comms, endpoints, again) {
  const integ = (id) => comms.find((c) => c.id === id);
  const error = (text) => (text ? h('span', {class: 'wrap'}, text) : h('span', {class: 'muted'}, '–'));
  const box = errorBox();
  const tbody = h('tbody');
  const fill = (items) => tbody.replaceChildren(...items.map((d) => h('tr', {'data-notice': d.id}, h('td', {class: 'mono'}, d.eventName),
    h('td', null, integ(d.integrationId)?.displayName || 'a deleted integration', d.channel ? h('span', {class: 'mono'}, ` #${d.channel}`) : null),
    h('td', null, deliveryBadge(d.status)), h('td', null, String(d.attempts)), h('td', null, error(d.lastError)),
    h('td', null, when(d.updatedAt, {relative: true})))));
  const pages = logPager('Notification deliveries pages', box, notices, fill,
    (cursor) => get(tenantPath(tenantId, `/notification-deliveries?${logQuery(cursor, {})}`)));
  const head = (cols) => h('thead', null, h('tr', null, cols.map((c) => h('th', {scope: 'col'}, c))));
  return h('section', {class: 'section', 'aria-labelledby': 'log-title'}, h('h2', {id: 'log-title'}, 'Delivery log'),
    h('p', {class: 'sub'}, `Newest first, ${LOG_LIMIT} a page.`),
    h('h3', {class: 'section-sub'}, 'Chat and e-mail'), box,
    notices.items.length ? [scrollTable('Notification deliveries', head(['Event', 'To', 'Status', 'Attempts', 'Last error', 'Updated']), tbody), pages.el]
      : h('p', {class: 'muted'}, 'Nothing sent yet.'),
    h('h3', {class: 'section-sub'}, 'Webhooks'), hookLog(ctx, tenantId, hooks, endpoints, again));
}

export async function viewNotifications(ctx) {
  const tenantId = ctx.tenant.id;
  const [catalogue, rules, comms, notices, hooks, endpoints] = await Promise.all([eventCatalogue(tenantId),
    get(tenantPath(tenantId, '/notification-rules?limit=200')), listCategory(tenantId, 'communication'),
    get(tenantPath(tenantId, `/notification-deliveries?${logQuery(null, {})}`)), get(tenantPath(tenantId, `/webhook-deliveries?${logQuery(null, {})}`)),
    ctx.owner ? get(tenantPath(tenantId, '/webhook-endpoints?limit=200')) : {items: []}]);
  if (ctx.stale()) return;
  const again = () => ctx.navigate(location.hash);
  const sets = [];
  ctx.main.append(...[h('div', {class: 'page-head'}, h('div', null, h('h1', null, 'Notifications'),
    h('p', {class: 'sub'}, ctx.owner ? 'Tell people and systems what happens to releases.'
      : 'Who is told what happens to releases. Only an owner can change it.'))),
  rulesSection(ctx, tenantId, rules.items, comms, catalogue, again, sets),
  ctx.owner ? endpointsSection(ctx, tenantId, endpoints.items, catalogue, again, sets) : null,
  logSection(ctx, tenantId, notices, hooks, comms, endpoints.items, again)].filter(Boolean));
  ctx.guardLeave(() => sets.some((s) => s.dirty()));
}
