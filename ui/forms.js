// forms.js: form fields generated from data. An integration type's form
// comes from its descriptor (GET /api/v1/integration-types): a new provider
// needs no UI code. Secrets are write-only: their inputs start empty, show
// the stored mask as a hint, and are emptied after every save.

import {h, uid, humanize, clear, errorBox, showError} from './dom.js';

// One field: a labelled control, its hint, and a place for its error.
// spec: {name, kind, required, secret, minLength, maxLength, minimum, maximum, allowed, format, default}
// opts: {value (stored, never for a secret), mask (a secret's stored mask), label, hint, choices ([{value, label}])}
export function field(spec, opts) {
  const o = opts || {};
  const id = uid(`f-${spec.name}`);
  const hintId = `${id}-hint`;
  const errId = `${id}-err`;
  const label = o.label || humanize(spec.name);
  const hints = [];
  let control;

  const common = {id, name: spec.name, 'aria-describedby': `${hintId} ${errId}`};
  if (spec.required && !(spec.secret && o.mask)) common['aria-required'] = 'true';

  if (spec.kind === 'boolean') {
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
      value: o.value ?? ''});
    if (spec.default !== null && spec.default !== undefined) hints.push(`Default ${spec.default}.`);
  } else if (spec.kind === 'array' || spec.kind === 'object') {
    control = h('textarea', {...common, rows: 3, spellcheck: 'false'});
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
      placeholder: o.mask || (multiline ? '-----BEGIN …' : '')};
    control = multiline ? h('textarea', {...attrs, rows: 4, class: 'secret'}) : h('input', {...attrs, type: 'password'});
    hints.push(o.mask ? `Stored (${o.mask}). Leave empty to keep it; type a new value to replace it.`
      : 'Stored encrypted and never shown again.');
  } else {
    const type = spec.format === 'url' ? 'url' : spec.format === 'email' ? 'email' : 'text';
    const long = (spec.maxLength || 0) > 1024;
    control = long ? h('textarea', {...common, rows: 3}) : h('input', {...common, type, autocomplete: 'off', spellcheck: 'false'});
    control.value = o.value ?? (spec.default !== null && spec.default !== undefined && typeof spec.default === 'string' ? spec.default : '');
    if (spec.format && !['url', 'email'].includes(spec.format)) hints.push(`Format: ${spec.format}.`);
  }
  if (o.hint) hints.unshift(o.hint);

  const err = h('p', {class: 'field-error', id: errId, hidden: true});
  const hint = h('p', {class: 'hint', id: hintId}, hints.join(' '));
  const labelEl = h('label', {for: id}, label, spec.required && !(spec.secret && o.mask) ? h('span', {class: 'req'}, ' (required)') : null);
  const wrap = spec.kind === 'boolean'
    ? h('div', {class: 'field field-check'}, control, labelEl, hint, err)
    : h('div', {class: 'field'}, labelEl, control, hint, err);

  // A PEM or key file can be loaded instead of pasted.
  if (spec.secret && control.tagName === 'TEXTAREA') {
    const fileId = `${id}-file`;
    const file = h('input', {type: 'file', id: fileId, class: 'file', accept: '.p8,.pem,.key,.json,.p12,.txt'});
    file.addEventListener('change', async () => {
      const f = file.files && file.files[0];
      if (!f) return;
      let text = await f.text();
      if (f.name.endsWith('.json')) {
        try {
          text = JSON.parse(text).private_key || text; // a Google service account file
        } catch { /* not JSON after all: use as is */ }
      }
      control.value = text;
      file.value = '';
    });
    wrap.insertBefore(h('div', {class: 'file-row'}, h('label', {for: fileId, class: 'file-label'}, `Load ${label.toLowerCase()} from a file`), file), hint);
  }
  return {spec, control, wrap, err, stored: o.value, mask: o.mask};
}

// The value a field holds now, as JSON (undefined: left empty).
function read(f) {
  const c = f.control;
  if (f.spec.kind === 'boolean') return c.checked;
  const raw = c.value.trim();
  if (raw === '') return undefined;
  if (f.spec.kind === 'integer') return /^-?\d+$/.test(raw) ? Number(raw) : raw;
  if (f.spec.kind === 'array') return raw.split('\n').map((s) => s.trim()).filter(Boolean);
  if (f.spec.kind === 'object') {
    try {
      return JSON.parse(raw);
    } catch {
      throw new FieldError(f.spec.name, 'is not valid JSON');
    }
  }
  return f.spec.secret ? c.value : raw;
}

export class FieldError extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

// A set of fields with one error summary: collect values, show the API's errors next to their fields.
export class FieldSet {
  constructor(fields) {
    this.fields = fields;
    this.summary = errorBox();
  }

  // create: every field with a value; update: only what changed (null clears), secrets only when typed.
  collect(update) {
    const body = {};
    for (const f of this.fields) {
      const v = read(f);
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

  // details: [{field: "config.accessToken" | "github.repoName" | "displayName", message}]
  showErrors(error) {
    this.clearErrors();
    const rest = [];
    let first = null;
    const details = error instanceof FieldError ? [{field: error.field, message: error.message}] : error.details || [];
    for (const d of details) {
      const leaf = String(d.field || '').split('.').pop();
      const f = this.fields.find((x) => x.spec.name === leaf);
      if (f) {
        f.err.textContent = `${humanize(f.spec.name)} ${d.message}`;
        f.err.hidden = false;
        f.control.setAttribute('aria-invalid', 'true');
        first = first || f.control;
      } else {
        rest.push(d.field ? `${d.field}: ${d.message}` : d.message);
      }
    }
    showError(this.summary, error.message || 'Saving failed.', rest);
    if (first) first.focus();
    else this.summary.focus?.();
  }

  // After a save: no typed secret stays in the page; the new masks become the hints.
  forgetSecrets(saved) {
    for (const f of this.fields) {
      if (!f.spec.secret) continue;
      f.control.value = '';
      const mask = saved && saved[f.spec.name];
      if (typeof mask === 'string') {
        if (f.control.tagName === 'INPUT') f.control.placeholder = mask;
        const hint = f.wrap.querySelector('.hint');
        if (hint) hint.textContent = `Stored (${mask}). Leave empty to keep it; type a new value to replace it.`;
      }
    }
  }
}

// The form of one integration type: create (existing undefined) or edit.
// refs: {scm: [...integrations], targets: [...]} for the fields that name another integration.
export function integrationForm(desc, existing, refs, onSubmit) {
  const fields = desc.fields.map((spec) => {
    const opts = {};
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
  const form = h('form', {class: 'integration-form', novalidate: true, 'data-type': desc.type},
    set.summary, fields.map((f) => f.wrap), h('div', {class: 'actions'}, submit));
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
