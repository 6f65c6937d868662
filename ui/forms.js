// forms.js: form fields generated from data. An integration type's form
// comes from its descriptor (GET /api/v1/integration-types): a new provider
// needs no UI code (providers.js only adds examples and links). Secrets are
// write-only: their inputs start empty, show the stored mask as a hint, and
// are emptied after every save.

import {h, uid, humanize, clear, errorBox, showError, logo, announce} from './dom.js';
import {FIELD_HELP, TYPE_HELP, FILE_FILLS, EVENT_WORDS} from './providers.js';

function helpLink(help) {
  return h('a', {href: help.url, target: '_blank', rel: 'noopener noreferrer'}, `${help.text} ↗`);
}

// One field: a labelled control, its hint, and a place for its error.
// spec: {name, kind, required, secret, minLength, maxLength, minimum, maximum, allowed, format, default}
// opts: {value (stored, never for a secret), mask (a secret's stored mask), label, hint, choices ([{value, label}]),
//        help (where the credential is issued: {url, text})}
export function field(spec, opts) {
  const o = opts || {};
  const help = FIELD_HELP[spec.name] || {};
  const id = uid(`f-${spec.name}`);
  const hintId = `${id}-hint`;
  const errId = `${id}-err`;
  const label = o.label || help.label || humanize(spec.name);
  const required = spec.required && !(spec.secret && o.mask);
  const hints = [];
  const example = help.example;
  let control;
  let wide = false;

  const common = {id, name: spec.name, 'aria-describedby': `${hintId} ${errId}`};
  if (required) common['aria-required'] = 'true';

  if (spec.format === 'events' && o.catalogue) {
    // The event catalogue's names, with what each says; a value saved under an older alias checks its name.
    const chosen = Array.isArray(o.value) ? o.value : [];
    control = h('fieldset', {id, class: 'checks', 'aria-describedby': `${hintId} ${errId}`, 'data-name': spec.name},
      h('legend', null, label),
      o.catalogue.map((e) => h('div', {class: 'field-check event-check'},
        h('input', {type: 'checkbox', id: `${id}-${e.name}`, value: e.name,
          checked: chosen.includes(e.name) || (e.alias !== null && chosen.includes(e.alias))}),
        h('label', {for: `${id}-${e.name}`}, h('code', null, e.name), ' ', h('span', {class: 'muted'}, e.description)))));
    hints.push('None checked: every event its notification rules send.');
    wide = true;
  } else if (spec.kind === 'array' && (spec.allowed || o.choices)) {
    // Each item one of a known list (the spec's, or choices the page read): checkboxes, not free text.
    const chosen = Array.isArray(o.value) ? o.value : [];
    const choices = o.choices || spec.allowed.map((v) => ({value: v, label: EVENT_WORDS[v] || v}));
    control = h('fieldset', {id, class: 'checks', 'aria-describedby': `${hintId} ${errId}`, 'data-name': spec.name},
      h('legend', null, label),
      choices.map((c, i) => h('div', {class: 'field-check'},
        h('input', {type: 'checkbox', id: `${id}-${i}`, value: c.value, checked: chosen.includes(c.value)}),
        h('label', {for: `${id}-${i}`}, c.label))));
    wide = true;
  } else if (spec.kind === 'boolean') {
    control = h('input', {...common, type: 'checkbox', checked: o.value !== undefined && o.value !== null ? !!o.value : spec.default === true});
  } else if (o.choices || spec.allowed) {
    const choices = o.choices || spec.allowed.map((v) => ({value: v, label: v}));
    control = h('select', common,
      spec.required && o.choices && choices.length ? null : h('option', {value: ''}, spec.required ? 'Choose…' : '(none)'),
      choices.map((c) => h('option', {value: c.value}, c.label)));
    if (o.value !== undefined && o.value !== null) control.value = o.value;
    if (o.choices && !choices.length) hints.push('Nothing to choose yet: create one first.');
  } else if (spec.kind === 'integer') {
    control = h('input', {...common, type: 'number', inputmode: 'numeric', min: spec.minimum ?? null, max: spec.maximum ?? null,
      value: o.value ?? '', placeholder: example ? `e.g. ${example}` : null});
    if (spec.default !== null && spec.default !== undefined) hints.push(`Default ${spec.default}.`);
  } else if (spec.kind === 'array' || spec.kind === 'object') {
    control = h('textarea', {...common, rows: 3, spellcheck: 'false', placeholder: example ? `e.g. ${example}` : null});
    if (spec.kind === 'array') {
      control.value = Array.isArray(o.value) ? o.value.join('\n') : '';
      hints.push('One per line.');
    } else {
      control.value = o.value ? JSON.stringify(o.value, null, 2) : '';
      hints.push('A JSON object.');
    }
  } else if (spec.secret) {
    // Keys and certificates keep their line breaks (a password input would drop them).
    const multiline = /^pem/.test(spec.format || '') || (spec.maxLength || 0) > 8192;
    const attrs = {...common, autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off', 'data-secret': 'true',
      placeholder: o.mask || (multiline ? '-----BEGIN PRIVATE KEY-----' : example ? `e.g. ${example}` : '')};
    control = multiline ? h('textarea', {...attrs, rows: 4, class: 'secret'}) : h('input', {...attrs, type: 'password'});
    wide = multiline;
    hints.push(storedHint(o.mask));
  } else {
    const type = spec.format === 'url' ? 'url' : spec.format === 'email' ? 'email' : 'text';
    const long = (spec.maxLength || 0) > 1024;
    control = long
      ? h('textarea', {...common, rows: 3})
      : h('input', {...common, type, autocomplete: 'off', spellcheck: 'false', placeholder: example ? `e.g. ${example}` : null});
    control.value = o.value ?? (spec.default !== null && spec.default !== undefined && typeof spec.default === 'string' ? spec.default : '');
    wide = long;
  }
  if (help.hint) hints.unshift(help.hint);
  if (o.hint) hints.unshift(o.hint);

  const err = h('p', {class: 'field-error', id: errId, hidden: true});
  const hint = h('p', {class: 'hint', id: hintId}, hints.join(' '), o.help && spec.secret ? [' ', helpLink(o.help)] : null);
  const labelEl = h('label', {for: id}, label, required ? h('span', {class: 'req'}, ' (required)') : null);
  let wrap;
  if (control.tagName === 'FIELDSET') {
    control.append(hint, err);
    wrap = h('div', {class: 'field wide'}, control);
  } else if (spec.kind === 'boolean') {
    wrap = h('div', {class: 'field field-check'}, control, labelEl, hint, err);
  } else {
    wrap = h('div', {class: `field${wide ? ' wide' : ''}`}, labelEl, control, hint, err);
  }

  // A PEM or key file can be loaded instead of pasted.
  if (spec.secret && control.tagName === 'TEXTAREA') {
    const fileId = `${id}-file`;
    const file = h('input', {type: 'file', id: fileId, class: 'file', accept: '.p8,.pem,.key,.p12,.txt'});
    file.addEventListener('change', async () => {
      const f = file.files && file.files[0];
      if (!f) return;
      control.value = await f.text();
      file.value = '';
    });
    wrap.insertBefore(h('div', {class: 'file-row'}, h('label', {for: fileId, class: 'file-label'}, 'Or load it from a file',
      h('span', {class: 'sr-only'}, ` (${label})`)), file), hint);
  }
  // A field's error goes away as soon as it is edited.
  control.addEventListener('input', () => {
    err.hidden = true;
    control.removeAttribute('aria-invalid');
  });
  return {spec, control, wrap, err, stored: o.value, mask: o.mask, required, label, advanced: !required && !spec.secret && !help.primary};
}

function storedHint(mask) {
  return mask ? `Stored: ${mask}. Leave empty to keep it; enter a new one to replace it.` : 'Stored encrypted and never shown again.';
}

// The value a field holds now, as JSON (undefined: left empty).
function read(f) {
  const c = f.control;
  if (c.tagName === 'FIELDSET') {
    const v = [...c.querySelectorAll('input:checked')].map((i) => i.value);
    return v.length ? v : undefined;
  }
  if (f.spec.kind === 'boolean') return c.checked;
  const raw = c.value.trim();
  if (raw === '') return undefined;
  if (f.spec.kind === 'integer') return /^-?\d+$/.test(raw) ? Number(raw) : raw;
  if (f.spec.kind === 'array') return raw.split('\n').map((s) => s.trim()).filter(Boolean);
  if (f.spec.kind === 'object') {
    try {
      return JSON.parse(raw);
    } catch {
      throw new FieldError([{field: f.spec.name, message: 'is not valid JSON'}]);
    }
  }
  return f.spec.secret ? c.value : raw;
}

// Problems found in the page before anything is sent (details as the API gives them).
export class FieldError extends Error {
  constructor(details) {
    super(details.length === 1 ? 'One field needs attention.' : `${details.length} fields need attention.`);
    this.details = details;
  }
}

// A set of fields with one error summary: collect values, show the API's errors next to their fields.
export class FieldSet {
  // opts.derived: fields the server derives from others when they are given (the GitHub step's displayName);
  // their errors are not shown while the form's own fields have problems.
  constructor(fields, opts) {
    this.fields = fields;
    this.derived = (opts && opts.derived) || [];
    this.summary = errorBox();
    this.summary.setAttribute('tabindex', '-1');
    this.initial = this.snapshot();
  }

  snapshot() {
    return JSON.stringify(this.fields.map((f) => {
      try {
        return read(f) ?? null;
      } catch {
        return {invalid: true};
      }
    }));
  }

  // Whether anything was typed or changed since the form was built.
  dirty() {
    return this.snapshot() !== this.initial;
  }

  // create: every field with a value; update: only what changed (null clears), secrets only when typed.
  // Required fields left empty are reported here, next to them, before anything is sent.
  collect(update) {
    const body = {};
    const missing = [];
    for (const f of this.fields) {
      let v;
      try {
        v = read(f);
      } catch (e) {
        missing.push(...e.details);
        continue;
      }
      if (f.required && v === undefined && !(update && f.stored !== undefined && f.stored !== null)) {
        missing.push({field: f.spec.name, message: 'is required'});
      }
      if (!update) {
        if (v !== undefined) body[f.spec.name] = v;
      } else if (f.spec.secret) {
        if (v !== undefined) body[f.spec.name] = v;
      } else if (v === undefined) {
        if (f.stored !== undefined && f.stored !== null && f.spec.kind !== 'boolean') body[f.spec.name] = null;
      } else if (JSON.stringify(v) !== JSON.stringify(f.stored ?? (f.spec.kind === 'boolean' ? f.spec.default === true : undefined))) {
        body[f.spec.name] = v;
      }
    }
    if (missing.length) throw new FieldError(missing);
    return body;
  }

  clearErrors() {
    for (const f of this.fields) {
      f.err.hidden = true;
      f.err.textContent = '';
      f.control.removeAttribute('aria-invalid');
    }
    showError(this.summary, null);
  }

  // details: [{field: "config.accessToken" | "github.repoName" | "displayName", message}]. A field the form
  // does not show (a name the server derives from others) is left out when the form's own fields have problems.
  showErrors(error) {
    this.clearErrors();
    const rest = [];
    let first = null;
    for (const d of error.details || []) {
      const leaf = String(d.field || '').split('.').pop();
      const f = this.fields.find((x) => x.spec.name === leaf);
      if (f) {
        f.err.textContent = `${f.label} ${d.message}`;
        f.err.hidden = false;
        f.control.setAttribute('aria-invalid', 'true');
        if (f.advanced) f.wrap.closest('details')?.setAttribute('open', '');
        first = first || f.control;
      } else {
        rest.push(d);
      }
    }
    const shown = first ? rest.filter((d) => !this.derived.includes(String(d.field).split('.').pop())) : rest;
    const placed = (error.details || []).length - rest.length;
    const message = !shown.length && placed ? `${placed === 1 ? 'One field needs' : `${placed} fields need`} attention: see below.` : error.message;
    showError(this.summary, message || 'Saving failed.', shown.map((d) => (d.field ? `${humanize(String(d.field).split('.').pop())}: ${d.message}` : d.message)));
    if (first) (first.tagName === 'FIELDSET' ? first.querySelector('input') : first).focus();
    else this.summary.focus();
  }

  // After a save: no typed secret stays in the page; the new masks become the hints.
  forgetSecrets(saved) {
    for (const f of this.fields) {
      if (!f.spec.secret) continue;
      f.control.value = '';
      const mask = saved && saved[f.spec.name];
      if (typeof mask === 'string') {
        f.mask = mask;
        f.control.placeholder = mask;
        const hint = f.wrap.querySelector('.hint');
        if (hint) hint.firstChild.textContent = storedHint(mask);
      }
    }
  }
}

// Loading a file that fills several fields (a Google service account's JSON key), saying what it filled.
function fileFill(fields) {
  const byName = Object.fromEntries(fields.map((f) => [f.spec.name, f]));
  const rule = FILE_FILLS.find((r) => r.needs.every((n) => byName[n]));
  if (!rule) return null;
  const id = uid('fill');
  const note = h('p', {class: 'hint', id: `${id}-note`, role: 'status'});
  const input = h('input', {type: 'file', id, accept: rule.accept, 'aria-describedby': `${id}-note`});
  input.addEventListener('change', async () => {
    const file = input.files && input.files[0];
    if (!file) return;
    input.value = '';
    let data;
    try {
      data = JSON.parse(await file.text());
    } catch {
      note.textContent = `${file.name} is not a JSON file.`;
      return;
    }
    const filled = [];
    for (const [key, name] of Object.entries(rule.fills)) {
      const f = byName[name];
      if (f && typeof data[key] === 'string' && data[key]) {
        f.control.value = data[key];
        filled.push(f.label);
      }
    }
    data = null;
    note.textContent = filled.length ? `Filled from ${file.name}: ${filled.join(', ')}.` : `${file.name} holds none of these fields.`;
    announce(note.textContent);
  });
  return h('div', {class: 'field wide'}, h('label', {for: id}, rule.label), input, note);
}

// Fields laid out on the page's width: the essential ones, then the optional ones folded under "More options".
export function layoutFields(fields) {
  const main = fields.filter((f) => !f.advanced).map((f) => f.wrap);
  const more = fields.filter((f) => f.advanced).map((f) => f.wrap);
  return h('div', {class: 'fields'}, fileFill(fields), main,
    more.length ? h('details', {class: 'more'}, h('summary', null, `More options (${more.length})`), h('div', {class: 'fields'}, more)) : null);
}

// A form's first line: the provider's logo and name, and where it issues the credential.
export function formHead(type, name) {
  const help = TYPE_HELP[type];
  return h('div', {class: 'form-head'}, logo(type), h('p', null, h('strong', null, name), help ? [' · ', helpLink(help)] : null));
}

// The form of one integration type: create (existing undefined) or edit.
// refs: {scm: [...integrations], targets: [...]} for the fields that name another integration.
// onCancel: shown as a Cancel button when given.
export function integrationForm(desc, existing, refs, onSubmit, onCancel) {
  const typeHelp = TYPE_HELP[desc.type];
  const fields = desc.fields.map((spec) => {
    const opts = {help: typeHelp};
    if (spec.format === 'events' && refs && refs.events) opts.catalogue = refs.events;
    if (existing) {
      if (spec.secret) opts.mask = existing[spec.name] || null;
      else opts.value = existing[spec.name];
    } else if (spec.name === 'displayName') {
      opts.value = desc.displayName;
    }
    const ref = spec.name.match(/^(scm|target)IntegrationId$/);
    if (ref) {
      const list = (refs && refs[ref[1] === 'scm' ? 'scm' : 'targets']) || [];
      opts.choices = list.map((i) => ({value: i.id, label: `${i.displayName} (${i.type})`}));
      opts.label = ref[1] === 'scm' ? 'Source control connection' : 'Distribution target';
      if (!existing && list.length) opts.value = list[0].id;
    }
    return field(spec, opts);
  });
  const set = new FieldSet(fields);
  const submit = h('button', {type: 'submit', class: 'primary'}, existing ? 'Save changes' : `Save ${desc.displayName}`);
  const cancel = onCancel ? h('button', {type: 'button', class: 'secondary', onclick: onCancel}, 'Cancel') : null;
  const head = formHead(desc.type, desc.displayName);
  const form = h('form', {class: 'integration-form boxed', novalidate: true, 'data-type': desc.type},
    head, set.summary, layoutFields(fields), h('div', {class: 'actions'}, submit, cancel));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    set.clearErrors();
    let body;
    try {
      body = set.collect(!!existing);
    } catch (e) {
      set.showErrors(e);
      return;
    }
    if (!existing) body = {type: desc.type, ...body};
    submit.disabled = true;
    try {
      const saved = await onSubmit(body);
      set.forgetSecrets(saved);
    } catch (e) {
      set.showErrors(e);
    } finally {
      submit.disabled = false;
      body = null;
    }
  });
  return {form, set};
}

// Replaces el's content with a small note while a page loads.
export function loading(el, what) {
  clear(el).append(h('p', {class: 'muted', role: 'status'}, `Loading ${what}…`));
}
