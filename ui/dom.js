// dom.js: building the page from data without innerHTML, so nothing the
// API answers is ever parsed as HTML.

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

// A timestamp as a <time> in the reader's locale, or a dash.
export function when(iso) {
  if (!iso) return h('span', {class: 'muted'}, 'never');
  const d = new Date(iso);
  return h('time', {datetime: iso, title: iso}, d.toLocaleString());
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

// A polite announcement for screen readers (and a visible toast).
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
  }, 5000);
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
