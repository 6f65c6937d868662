// view-integrations.js: every integration of the tenant, grouped by
// category (document 002), with forms generated from the type descriptors
// ("Add a ..." opens one and folds again once saved), and "Verify all" with
// live progress (one verification per integration, a few at a time, each
// card updated as its answer arrives).

import {h, announce} from './dom.js';
import {integrationTypes, eventCatalogue} from './api.js';
import {CATEGORIES, integrationCard, listAll, statusWords} from './cards.js';
import {chooser} from './view-setup.js';

const PARALLEL = 4;

export async function viewIntegrations(ctx) {
  const tenantId = ctx.tenant.id;
  const [{byCat, all}, types, events] = await Promise.all([listAll(tenantId), ctx.owner ? integrationTypes() : [],
    ctx.owner ? eventCatalogue(tenantId) : null]);
  if (ctx.stale()) return;
  const refs = {scm: byCat.scm, targets: byCat.targets, events};
  const w = {tenantId, again: () => ctx.navigate(location.hash), forms: []};
  ctx.guardLeave(() => w.forms.some((f) => f.dirty()));

  const head = h('div', {class: 'page-head'}, h('div', null, h('h1', null, 'Integrations'),
    h('p', {class: 'sub'}, `${all.length} connection${all.length === 1 ? '' : 's'}, ${all.filter((i) => i.verificationStatus === 'VALID').length} verified`)));
  ctx.main.append(head);
  if (!ctx.owner) ctx.main.append(h('p', {class: 'notice'}, 'You see each integration\'s status. Only owners can change or verify them; credentials are never shown.'));
  if (ctx.owner && all.length) ctx.main.append(verifyAll(ctx, all));

  const toc = h('nav', {class: 'toc', 'aria-label': 'Categories'},
    h('ul', null, CATEGORIES.map((c) => h('li', null, h('a', {href: `#cat-${c.slug}`, 'data-scroll': c.slug}, `${c.title} (${byCat[c.slug].length})`)))));
  toc.addEventListener('click', (ev) => {
    const a = ev.target.closest('a[data-scroll]');
    if (!a) return;
    ev.preventDefault(); // keep the route in the hash
    const target = document.getElementById(`cat-${a.dataset.scroll}`);
    target.scrollIntoView();
    target.focus();
  });
  ctx.main.append(toc);

  for (const c of CATEGORIES) {
    const items = byCat[c.slug];
    const head = h('div', {class: 'section-head'}, h('h2', {id: `cat-${c.slug}`, tabindex: '-1'}, c.title));
    const section = h('section', {class: 'category section', 'aria-labelledby': `cat-${c.slug}`}, head);
    section.append(items.length
      ? h('div', {class: 'cards'}, items.map((i) => integrationCard(i, {tenantId, owner: ctx.owner, refs, onChange: w.again})))
      : h('p', {class: 'empty'}, `No ${c.noun} yet.`));
    if (ctx.owner) {
      const add = chooser(types.filter((t) => t.category === c.slug), c.slug, refs, w, `Add a ${c.noun}`, true);
      if (add.toggle) {
        head.append(add.toggle); // "Add a ..." sits beside the heading; its form opens below
        add.classList.remove('sub');
      }
      section.append(add);
    }
    ctx.main.append(section);
  }
}

function verifyAll(ctx, all) {
  const btn = h('button', {type: 'button', class: 'primary'}, 'Verify all');
  const bar = h('progress', {id: 'verify-all-progress', max: all.length, value: 0});
  const text = h('span', {id: 'verify-all-text', role: 'status', 'aria-live': 'polite'});
  const box = h('div', {class: 'verify-all', hidden: true}, h('label', {for: 'verify-all-progress'}, 'Verification progress'), bar, text);
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    box.hidden = false;
    let done = 0;
    const counts = {};
    const queue = [...all];
    text.textContent = `0 of ${all.length} checked`;
    const worker = async () => {
      while (queue.length) {
        const obj = queue.shift();
        const card = ctx.main.querySelector(`.card[data-id="${obj.id}"]`);
        const status = card && card.verify ? await card.verify(true) : obj.verificationStatus;
        counts[status] = (counts[status] || 0) + 1;
        done += 1;
        bar.value = done;
        text.textContent = `${done} of ${all.length} checked`;
      }
    };
    await Promise.all(Array.from({length: Math.min(PARALLEL, all.length)}, worker));
    const summary = Object.entries(counts).map(([s, n]) => `${n} ${statusWords(s)}`).join(', ');
    text.textContent = `All ${all.length} checked: ${summary}.`;
    announce(`Verification finished: ${summary}`);
    btn.disabled = false;
  });
  return h('div', {class: 'toolbar'}, btn, box);
}
