// view-account.js: the signed-in person's own account (docs/accounts.md):
// change the password (the API ends every other session and API token of
// the account, and the page says so first), and two-factor sign-in (TOTP):
// enrol (the secret grouped for typing, the otpauth:// URI as a link and as
// a QR code), confirm with a first code, the recovery codes shown once, and
// turn it off. Whether it is on, and the recovery codes left, come from
// GET /api/v1/me/totp. An account single sign-on made has no password
// (GET /api/v1/me: hasPassword): the page says it signs in through single
// sign-on, offers a first password by a mailed link where its tenants allow
// one (passwordAllowed) and the instance mails, and no two-factor sign-in.

import {h, when, announce, errorBox, showError, copyButton} from './dom.js';
import {get, post, put, del} from './api.js';
import {field, FieldSet} from './forms.js';

function secretField(name, label, autocomplete) {
  const f = field({name, kind: 'string', required: true, secret: true, maxLength: 1024}, {label});
  f.control.setAttribute('autocomplete', autocomplete);
  return f;
}

// A section of the page: its h2 names it for assistive technology.
function titled(id, title, ...children) {
  return h('section', {class: 'section', 'aria-labelledby': `${id}-title`}, h('h2', {id: `${id}-title`}, title), ...children);
}

function passwordSection() {
  const current = secretField('currentPassword', 'Current password', 'current-password');
  const next = secretField('newPassword', 'New password', 'new-password');
  const repeat = secretField('repeatPassword', 'New password again', 'new-password');
  for (const f of [current, next, repeat]) f.wrap.querySelector('.hint').textContent = '';
  next.wrap.querySelector('.hint').textContent = 'At least 8 characters.';
  const set = new FieldSet([current, next, repeat]);
  const done = h('div', {class: 'notice success', role: 'status', hidden: true});
  const form = h('form', {novalidate: true, id: 'password-form', class: 'boxed'}, set.summary,
    h('p', {class: 'notice warn', id: 'password-warning'}, 'Changing it signs you out everywhere else: every other browser session and every API ',
      'token of your account ends (scripts need a new token). This browser stays signed in.'),
    h('div', {class: 'fields'}, current.wrap, next.wrap, repeat.wrap),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Change password')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    set.clearErrors();
    done.hidden = true;
    try {
      const body = set.collect(false);
      if (body.newPassword !== body.repeatPassword) {
        return set.showErrors({details: [{field: 'repeatPassword', message: 'is not the same as the new password'}]});
      }
      const answer = await put('/api/v1/me/password', {currentPassword: body.currentPassword, newPassword: body.newPassword});
      for (const f of [current, next, repeat]) f.control.value = '';
      set.initial = set.snapshot();
      const n = answer.tokensRevoked;
      done.textContent = `Password changed. ${n ? `Other sessions and API tokens ended: ${n}.` : 'No other session or API token was open.'}`;
      done.hidden = false;
      announce('Password changed');
    } catch (e) {
      for (const f of [current, next, repeat]) f.control.value = '';
      set.showErrors(e);
    }
  });
  return {set, section: titled('password', 'Password', done, form)};
}

// An account with no password (single sign-on made it) sets a first one only through a link by mail, and only where
// its tenants allow passwords (GET /api/v1/me: passwordAllowed); docs/accounts.md, "Accounts without a password".
function firstPasswordPart(me, mails) {
  if (!me.passwordAllowed) {
    return h('p', {id: 'password-sso-only'}, 'Your organisation requires single sign-on for everyone, so this account sets no password.');
  }
  if (!mails) {
    return h('p', {id: 'password-no-mail'}, 'A first password is set through a link sent by e-mail, and this slipway sends no e-mail.');
  }
  const errors = errorBox();
  const sent = h('div', {class: 'notice success', role: 'status', id: 'password-link-sent', hidden: true});
  const ask = h('button', {type: 'button', class: 'secondary', id: 'password-link'}, 'E-mail me a link to set a password');
  ask.addEventListener('click', async () => {
    showError(errors, null);
    try {
      await post('/api/v1/auth/password-reset', {email: me.email});
      sent.textContent = `A link is on its way to ${me.email}, valid for 30 minutes. Setting the password signs you out everywhere, this browser too.`;
      sent.hidden = false;
      ask.disabled = true;
      announce('Link sent');
    } catch (e) {
      showError(errors, e.message);
    }
  });
  return h('div', {id: 'password-first'}, errors, sent,
    h('p', null, 'You can add a password too, to sign in when your identity provider cannot. A link by e-mail proves the mailbox is yours.'),
    h('div', {class: 'actions'}, ask));
}

// The password part of the page for what GET /api/v1/me says of the account: the change form, or why there is none.
function passwordPart(me, mails) {
  if (me.hasPassword && me.passwordAllowed) return passwordSection();
  const says = me.hasPassword
    ? h('p', {id: 'password-sso-only'}, 'Your organisations require single sign-on: you sign in through your identity provider, ',
      'and this account\'s password cannot be changed here.')
    : h('div', null, h('p', {class: 'notice', id: 'password-none'}, 'You sign in through single sign-on: this account has no password.'),
      firstPasswordPart(me, mails));
  return {set: null, section: titled('password', 'Password', says)};
}

// Whether two-factor sign-in is on: {enabled, confirmedAt, recoveryCodesLeft} (GET /api/v1/me/totp).
function totpState() {
  return get('/api/v1/me/totp');
}

// "ABCD EFGH IJKL ...": a base32 secret in groups of four, for typing into an app by hand.
function grouped(secret) {
  return secret.match(/.{1,4}/g).join(' ');
}

// The ten recovery codes, shown this once, with a copy button and a warning.
function recoveryCodes(box, codes, again) {
  box.replaceChildren(h('h3', {class: 'section-sub'}, 'Two-factor sign-in is on'),
    h('p', {class: 'notice warn', id: 'recovery-warning'}, 'Save these recovery codes now, somewhere other than your phone: they are ',
      'shown only once. Each one signs you in once when your authenticator app is not at hand.'),
    h('ol', {class: 'recovery-codes mono', id: 'recovery-codes', 'aria-label': 'Recovery codes'}, codes.map((c) => h('li', null, c))),
    h('div', {class: 'actions'}, copyButton(() => codes.join('\n'), 'Copy the codes'),
      h('button', {type: 'button', class: 'secondary', onclick: again}, 'Done: I saved them')));
  box.querySelector('ol').setAttribute('tabindex', '-1');
  box.querySelector('ol').focus();
}

const SVG = 'http://www.w3.org/2000/svg';

// The otpauth:// URI as a QR code for a phone's camera: dark squares on white with a quiet zone of four, drawn as one
// SVG path (no innerHTML), or null where the build has no QR library (cmake/qrcode.cmake).
async function qrCode(uri) {
  let qrcode;
  try {
    qrcode = (await import('./qrcode.js')).default;
  } catch {
    return null;
  }
  const qr = qrcode(0, 'M');
  qr.addData(uri);
  qr.make();
  const n = qr.getModuleCount();
  let d = '';
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (qr.isDark(r, c)) d += `M${c + 4} ${r + 4}h1v1h-1z`;
  const svg = document.createElementNS(SVG, 'svg');
  const part = (tag, attrs) => {
    const el = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    return el;
  };
  for (const [k, v] of Object.entries({viewBox: `0 0 ${n + 8} ${n + 8}`, role: 'img', 'shape-rendering': 'crispEdges',
    'aria-label': 'QR code of the link, for an authenticator app\'s camera'})) svg.setAttribute(k, v);
  svg.append(part('rect', {width: n + 8, height: n + 8, fill: '#fff'}), part('path', {d, fill: '#000'}));
  return svg;
}

// Step two of enrolling: the secret to add to the app, then its first code.
function enrolForm(box, made, again) {
  const code = field({name: 'code', kind: 'string', required: true, maxLength: 6}, {label: 'The code your app shows now'});
  code.control.setAttribute('autocomplete', 'one-time-code');
  code.control.setAttribute('inputmode', 'numeric');
  const set = new FieldSet([code]);
  const form = h('form', {novalidate: true, id: 'totp-confirm-form'}, set.summary, h('div', {class: 'fields'}, code.wrap),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Turn on'),
      h('button', {type: 'button', class: 'secondary', onclick: again}, 'Cancel')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    set.clearErrors();
    try {
      const answer = await post('/api/v1/me/totp/confirm', {code: set.collect(false).code});
      announce('Two-factor sign-in is on');
      recoveryCodes(box, answer.recoveryCodes, again);
    } catch (e) {
      set.showErrors(e);
    }
  });
  const qr = h('div', {class: 'totp-qr', id: 'totp-qr'});
  qrCode(made.otpauthUri).then((svg) => svg && qr.append(svg));
  box.replaceChildren(h('h3', {class: 'section-sub'}, 'Add slipway to your authenticator app'),
    h('ol', {class: 'steps-list'},
      h('li', null, 'Scan this code with your authenticator app, or on this device ',
        h('a', {href: made.otpauthUri, id: 'otpauth-link'}, 'open the link in your authenticator app'), '.', qr,
        'Or add an account by hand with this key (time-based, 6 digits):',
        h('div', {class: 'copy-row'}, h('code', {class: 'totp-secret', id: 'totp-secret'}, grouped(made.secret)),
          copyButton(() => made.secret, 'Copy the key'))),
      h('li', null, 'Enter the code the app shows now, to prove it is set up.', form)));
  code.control.focus();
}

function totpSection(state, again) {
  const since = state && state.enabled ? state.confirmedAt : null;
  const box = h('div', {id: 'totp-box'});
  const errors = errorBox();
  const section = titled('totp', 'Two-factor sign-in', errors);
  if (!since) {
    const start = h('button', {type: 'button', class: 'primary'}, 'Turn on two-factor sign-in');
    start.addEventListener('click', async () => {
      showError(errors, null);
      try {
        enrolForm(box, await post('/api/v1/me/totp'), again);
      } catch (e) {
        showError(errors, e.message);
      }
    });
    box.append(h('p', null, 'Off. With it on, logging in with your password also asks for a code from an authenticator app on your phone.'),
      h('div', {class: 'actions'}, start));
    section.append(box);
    return {section, set: null};
  }
  const proof = field({name: 'proof', kind: 'string', required: true, secret: true, maxLength: 1024},
    {label: 'A code from your app, or your password'});
  proof.wrap.querySelector('.hint').textContent = 'Six digits are taken as a code, anything else as your password.';
  proof.control.setAttribute('autocomplete', 'off');
  const set = new FieldSet([proof]);
  const form = h('form', {novalidate: true, id: 'totp-off-form', class: 'boxed'}, set.summary, h('div', {class: 'fields'}, proof.wrap),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'danger'}, 'Turn off two-factor sign-in')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    set.clearErrors();
    try {
      const v = set.collect(false).proof;
      await del('/api/v1/me/totp', /^[0-9]{6}$/.test(v.trim()) ? {code: v.trim()} : {password: v});
      set.initial = set.snapshot();
      announce('Two-factor sign-in is off');
      again();
    } catch (e) {
      proof.control.value = '';
      set.showErrors(e.details.some((d) => d.field === 'code' || d.field === 'password')
        ? {details: e.details.map((d) => ({...d, field: 'proof'}))} : e);
    }
  });
  box.append(h('p', {id: 'totp-on'}, h('span', {class: 'badge badge-valid'}, 'On'), ' since ', when(since),
    '. Logging in with your password also asks for a code from your app, or one of your recovery codes',
    ` (${state.recoveryCodesLeft} left).`),
  h('h3', {class: 'section-sub'}, 'Turn it off'), form);
  section.append(box);
  return {section, set};
}

// Two-factor sign-in protects a password login: an account without a password has none to protect.
function noTotpSection() {
  return {set: null, section: titled('totp', 'Two-factor sign-in', h('p', {id: 'totp-sso'}, 'Two-factor sign-in protects a password login, ',
    'and this account has no password: your identity provider asks for its own second factor, if your organisation set one up.'))};
}

export async function viewAccount(ctx) {
  const [me, state, options] = await Promise.all([get('/api/v1/me'), totpState().catch(() => null),
    get('/api/v1/auth/options').catch(() => ({}))]);
  if (ctx.stale()) return;
  const again = () => ctx.navigate(location.hash);
  const password = passwordPart(me, !!options.passwordReset);
  const totp = me.hasPassword ? totpSection(state, again) : noTotpSection();
  ctx.main.append(h('div', {class: 'page-head'}, h('div', null, h('h1', null, 'Your account'),
    h('p', {class: 'sub'}, `${me.name ? `${me.name} · ` : ''}${me.email}`))),
  password.section, totp.section);
  ctx.guardLeave(() => [password.set, totp.set].some((set) => set !== null && set.dirty()));
}
