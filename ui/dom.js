// dom.js: building the page from data without innerHTML, so nothing the
// API answers is ever parsed as HTML; dates, badges, logos, announcements,
// confirmations.

import {LOGOS} from './logos.js';

// h('button', {class: 'primary', onclick: fn}, 'Save'): an element with
// attributes, listeners (on...), properties (value, checked) and children
// (strings, nodes, arrays; null and false are skipped).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value' || k === 'checked') el[k] = v; // a property: never an attribute in the page's HTML
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

let idCounter = 0;
// A unique element id with a readable prefix.
export function uid(prefix) {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

// Dates with the month as a word and the time zone ("12 Jun 2026, 14:05 CEST"): never 12/6/2026.
const DATE = new Intl.DateTimeFormat(undefined, {day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit',
  minute: '2-digit', timeZoneName: 'short'});
const RELATIVE = new Intl.RelativeTimeFormat(undefined, {numeric: 'auto'});
const UNITS = [['year', 31536000], ['month', 2592000], ['week', 604800], ['day', 86400], ['hour', 3600], ['minute', 60]];

export function absolute(iso) {
  return DATE.format(new Date(iso));
}

// "3 minutes ago", "yesterday", "in 6 days"; "just now" under a minute.
export function relative(iso) {
  const s = (new Date(iso).getTime() - Date.now()) / 1000;
  for (const [unit, n] of UNITS) if (Math.abs(s) >= n) return RELATIVE.format(Math.round(s / n), unit);
  return 'just now';
}

// A timestamp as a <time>: the absolute date (month as a word, time zone), or "never".
// opts.relative: "3 minutes ago" first (kept up to date: ageRelativeTimes), the absolute date after it in a smaller line.
export function when(iso, opts) {
  if (!iso) return h('span', {class: 'muted'}, 'never');
  if (opts && opts.relative) {
    return h('time', {datetime: iso, title: absolute(iso), 'data-relative': true}, relative(iso),
      opts.both ? h('span', {class: 'when-abs'}, absolute(iso)) : null);
  }
  return h('time', {datetime: iso}, absolute(iso));
}

// Every relative time on the page says its age again (its first text node; the absolute date after it stays). A page
// left open, or a part of one kept across redraws (a store card whose submission has not changed), would otherwise say
// "just now" for as long as it is shown. Every half minute: "3 minutes ago" is rounded to the nearest minute.
const AGE_EVERY_MS = 30000;
function ageRelativeTimes() {
  for (const t of document.querySelectorAll('time[data-relative]')) {
    const text = relative(t.dateTime);
    if (t.firstChild && t.firstChild.nodeValue !== text) t.firstChild.nodeValue = text;
  }
}
window.setInterval(ageRelativeTimes, AGE_EVERY_MS);

// A provider's logo (simple-icons, /ui/logo-<slug>.svg) on a tile, or its initials where there is none.
export function logo(type, small) {
  const slug = LOGOS[type];
  const cls = `logo${small ? ' small' : ''}`;
  if (slug) return h('span', {class: cls, 'aria-hidden': 'true'}, h('img', {src: `/ui/logo-${slug}.svg`, alt: '', width: 18, height: 18}));
  const initials = String(type || '?').split('_').map((w) => w[0]).join('').slice(0, 2);
  return h('span', {class: `${cls} neutral`, 'aria-hidden': 'true'}, initials);
}

const STATUS_WORDS = {
  NOT_VERIFIED: 'Not verified',
  VALID: 'Valid',
  INVALID: 'Invalid',
  EXPIRED: 'Expired',
};

// The verification status badge: a word and a colour, never colour alone.
export function badge(status) {
  const s = status || 'NOT_VERIFIED';
  return h('span', {class: `badge badge-${s.toLowerCase()}`, 'data-status': s}, STATUS_WORDS[s] || s);
}

// camelCase field names as words: appleApiKeyId -> "Apple API key ID".
const WORDS = {api: 'API', id: 'ID', url: 'URL', smtp: 'SMTP', pem: 'PEM', pat: 'PAT', ci: 'CI'};
export function humanize(name) {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(' ');
  const text = words.map((w) => WORDS[w] || w).join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// A polite announcement for screen readers, shown in the top bar (it never covers the page).
export function announce(message) {
  const live = document.getElementById('toast');
  if (!live) return;
  live.textContent = '';
  live.hidden = false;
  window.setTimeout(() => {
    live.textContent = message;
  }, 30);
  window.clearTimeout(announce.timer);
  announce.timer = window.setTimeout(() => {
    live.hidden = true;
  }, 6000);
}

// Ends the current announcement at once (the router calls it when the person goes to another page).
export function dismissAnnouncement() {
  const live = document.getElementById('toast');
  if (!live) return;
  window.clearTimeout(announce.timer);
  live.textContent = '';
  live.hidden = true;
}

// Asks before something that cannot be undone (or changes who may do what): a modal <dialog>
// that keeps the keyboard inside it. Resolves true when confirmed; Escape or Cancel is false.
// {title, body, confirm (the button's words), danger}
export function confirmDialog(o) {
  return new Promise((resolve) => {
    const yes = h('button', {type: 'button', class: o.danger === false ? 'primary' : 'danger solid', value: 'yes'}, o.confirm);
    const no = h('button', {type: 'button', class: 'secondary', value: 'no'}, o.cancel || 'Cancel');
    const titleId = uid('dialog-title');
    const dialog = h('dialog', {'aria-labelledby': titleId, class: 'confirm-dialog'},
      h('h2', {id: titleId}, o.title), o.body ? h('p', null, o.body) : null, h('div', {class: 'actions'}, no, yes));
    const back = document.activeElement;
    let answer = false;
    yes.addEventListener('click', () => {
      answer = true;
      dialog.close();
    });
    no.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (back && back.isConnected) back.focus();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}

// A button that copies text, saying so afterwards.
export function copyButton(getText, label) {
  const btn = h('button', {type: 'button', class: 'secondary'}, label || 'Copy');
  btn.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(getText());
      announce('Copied to the clipboard');
    } catch {
      announce('Copy failed: select the text and copy it by hand');
    }
  });
  return btn;
}

// A secret or a link shown this once (o: {id, label, value, words, done}): the words, a read-only field with a copy
// button, focused and selected, and "Done: hide it" (done() renders the page again, without it).
export function showOnce(box, o) {
  const value = h('input', {type: 'text', readonly: true, id: o.id, value: o.value, class: 'mono'});
  box.replaceChildren(...o.words, h('label', {for: o.id}, o.label), h('div', {class: 'copy-row'}, value, copyButton(() => value.value)),
    h('button', {type: 'button', class: 'secondary', onclick: o.done}, 'Done: hide it'));
  box.hidden = false;
  value.focus();
  value.select();
}

// An error box for a form or a card (role=alert: read out when it appears).
export function errorBox() {
  return h('div', {class: 'error-box', role: 'alert', hidden: true});
}

export function showError(box, message, items) {
  clear(box);
  if (!message) {
    box.hidden = true;
    return;
  }
  box.append(h('p', null, message));
  if (items && items.length) box.append(h('ul', null, items.map((i) => h('li', null, i))));
  box.hidden = false;
}

// A table that scrolls sideways on a narrow screen: a labelled region the keyboard can reach.
export function scrollTable(label, ...children) {
  return h('div', {class: 'table-wrap', role: 'region', 'aria-label': label, tabindex: '0'},
    h('table', null, h('caption', {class: 'sr-only'}, label), ...children));
}

// A scrollTable that becomes one card per row on a phone (app.css, .stacks): no sideways scrolling there. The first
// cell is the card's title; each other is labelled with its column's heading, which the card shows before the value.
export function stackOnPhone(wrap) {
  const heads = [...wrap.querySelectorAll('thead th')].map((th) => th.textContent);
  for (const tr of wrap.querySelectorAll('tbody tr')) {
    [...tr.children].forEach((cell, i) => { if (i > 0 && cell.tagName === 'TD' && heads[i]) cell.dataset.label = heads[i]; }); // the first is the title
  }
  wrap.classList.add('stacks');
  return wrap;
}

// "Newer", "Page n", "Older" over keyset cursors: load(i) shows page i; Older is off on the last page.
export function pager(label, index, nextCursor, load) {
  const newer = h('button', {type: 'button', class: 'secondary', disabled: index === 0}, 'Newer');
  const older = h('button', {type: 'button', class: 'secondary', disabled: !nextCursor}, 'Older');
  newer.addEventListener('click', () => load(index - 1));
  older.addEventListener('click', () => load(index + 1));
  return h('nav', {class: 'pager', 'aria-label': label}, newer, h('span', null, `Page ${index + 1}`), older);
}
