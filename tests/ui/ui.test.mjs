// Browser tests of slipway's web UI (docs/ui.md): playwright-core drives
// Debian's chromium, headless, against a real slipway whose providers are
// the test fakes (stack.py). Screenshots of every page go to $UI_ARTIFACTS.
//
//   node tests/ui/ui.test.mjs     (SLIPWAY_BIN=build/slipway, UI_ARTIFACTS=build/ui-artifacts)
//
// Prints one line per check and closes with "N passed, N failed".

import {spawn} from 'node:child_process';
import {createHmac} from 'node:crypto';
import {mkdtempSync, mkdirSync, readFileSync, rmSync} from 'node:fs';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium} from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const artifacts = resolve(process.env.UI_ARTIFACTS || join(here, '..', '..', 'build', 'ui-artifacts'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = 10000;
mkdirSync(artifacts, {recursive: true});

// ---- the stack: fakes and a server -------------------------------------------

function startStack() {
  const py = process.env.SLIPWAY_PYTHON || 'python3';
  const child = spawn(py, [join(here, 'stack.py')], {stdio: ['pipe', 'pipe', 'inherit'], env: process.env});
  return new Promise((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) ok({child, stack: JSON.parse(out.slice(0, nl))});
    });
    child.on('exit', (code) => fail(new Error(`stack.py exited ${code} before it was ready`)));
  });
}

function stopStack(child) {
  return new Promise((ok) => {
    child.removeAllListeners('exit');
    child.on('exit', (code) => ok(code));
    child.stdin.end();
  });
}

// ---- a tiny runner ------------------------------------------------------------

const results = {passed: 0, failed: 0};
// UI_ONLY=regex runs only the checks whose names match (a focused run while working on one page); unset, all.
const only = process.env.UI_ONLY ? new RegExp(process.env.UI_ONLY) : null;
// After a failed check: the browser signed out on a blank page, so the next check starts as if the failed one had
// ended well, rather than failing at its login behind a dialog left open.
let afterFailure = async () => {};
async function check(name, fn) {
  if (only && !only.test(name)) return;
  const t0 = Date.now();
  try {
    await fn();
    results.passed += 1;
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.failed += 1;
    console.log(`FAIL ${name}\n     ${String(e && e.stack || e).split('\n').slice(0, 6).join('\n     ')}`);
    await afterFailure().catch((e2) => console.log(`     (the browser was not reset: ${e2.message})`));
  }
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}

// ---- page helpers -------------------------------------------------------------

const pageProblems = [];
async function shot(page, name, viewportOnly) {
  await page.evaluate(() => window.scrollTo(0, 0)); // sticky bars are drawn where the page begins
  await page.screenshot({path: join(artifacts, `${name}.png`), fullPage: !viewportOnly}); // a modal's backdrop covers the viewport
}

// axe-core on the page as it is: no serious or critical violation.
async function axe(page, name) {
  await page.evaluate(axeSource);
  const r = await page.evaluate(() => window.axe.run(document, {resultTypes: ['violations']}));
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert(!bad.length, `${name}: axe found ${bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`).join('; ')}`);
}

// No secret (nor a fragment of one) in the page's HTML or in any control's value.
async function noSecrets(page, stack, where) {
  const html = await page.content();
  const values = await page.evaluate(() => [...document.querySelectorAll('input, textarea, select')].map((e) => e.value).join('\n'));
  const text = await page.evaluate(() => document.body.innerText);
  for (const s of stack.secrets) {
    assert(!html.includes(s) && !values.includes(s) && !text.includes(s), `${where}: a secret (${s.slice(0, 6)}…) is in the page`);
  }
}

async function gotoHash(page, stack, hash) {
  await page.goto(`${stack.baseUrl}/${hash}`);
  await page.locator('main h1').first().waitFor({timeout: TIMEOUT});
}

async function login(page, stack, who) {
  await page.goto(`${stack.baseUrl}/#/login`);
  await page.getByLabel('E-mail address').fill(stack[who].email);
  await page.getByLabel('Password').fill(stack[who].password);
  await page.getByRole('button', {name: 'Log in'}).click();
  await page.getByRole('heading', {name: 'Overview'}).waitFor({timeout: TIMEOUT});
}

async function logout(page) {
  await page.getByRole('button', {name: 'Log out'}).click();
  await page.getByRole('heading', {name: 'Log in to slipway'}).waitFor({timeout: TIMEOUT});
}

// RFC 6238's code of a base32 secret for a 30-second step, computed here, apart from slipway.
function totpCode(secret, step) {
  const bits = [...secret].map((ch) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(ch).toString(2).padStart(5, '0')).join('');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const at = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(at) & 0x7fffffff) % 1000000).padStart(6, '0');
}

// A call to the API from outside the browser: no cookie, a bearer token if given.
function apiCall(stack, method, path, body, token) {
  const headers = {'Content-Type': 'application/json'};
  if (token) headers.Authorization = `Bearer ${token}`;
  return fetch(`${stack.baseUrl}${path}`, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
}

function card(page, name) {
  return page.locator('article.card', {has: page.getByRole('heading', {name, exact: true})});
}

async function verifyCard(page, name, want) {
  const c = card(page, name);
  await c.getByRole('button', {name: 'Verify'}).click();
  await c.locator(`.badge[data-status="${want}"]`).waitFor({timeout: TIMEOUT});
  await c.locator('.status-line time').waitFor({timeout: TIMEOUT});
  return (await c.locator('.reason').textContent()) || '';
}

// Answers the next confirmation dialog: its title must match, then the button named `answer` is pressed.
async function confirm(page, title, answer) {
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  const text = await dialog.getByRole('heading').textContent();
  assert(title.test(text), `dialog: ${text}`);
  await dialog.getByRole('button', {name: answer, exact: true}).click();
  await dialog.waitFor({state: 'detached'});
}

const WIDE = {width: 1440, height: 900};
const PHONE = {width: 390, height: 844};

// A page as a reviewer sees it: at 1440 and 390 pixels wide, light and dark; axe clean in each, no sideways
// scrolling on the phone, a screenshot of each. The page stays loaded: only the viewport and theme change.
async function everyLook(page, name) {
  for (const [size, viewport] of [['1440', WIDE], ['390', PHONE]]) {
    await page.setViewportSize(viewport);
    for (const theme of ['light', 'dark']) {
      await page.emulateMedia({colorScheme: theme});
      if (size === '390') {
        const wide = await page.evaluate(() => document.documentElement.scrollWidth);
        const culprits = await page.evaluate(() => [...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right > 392).slice(0, 4)
          .map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.className ? `.${e.className}` : ''}`));
        assert(wide <= 391, `${name} is ${wide} px wide at 390: ${culprits.join(', ')}`);
      }
      await axe(page, `${name} (${size} px, ${theme})`);
      await shot(page, `${name}-${size}-${theme}`);
    }
  }
  await page.setViewportSize(WIDE);
  await page.emulateMedia({colorScheme: 'light'});
}

// ---- the tests ----------------------------------------------------------------

async function main() {
  const t0 = Date.now();
  const {child, stack} = await startStack();
  const profile = mkdtempSync(join(tmpdir(), 'slipway-ui-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    viewport: WIDE,
    timezoneId: 'Europe/Berlin',
    timeout: 30000,
  });
  context.setDefaultTimeout(TIMEOUT);
  const page = context.pages()[0] || await context.newPage();
  afterFailure = async () => {
    // What the page showed when the check gave up: its error boxes in words, and a screenshot beside the others.
    const errors = await page.locator('[role="alert"]:visible').allTextContents().catch(() => []);
    if (errors.join('').trim()) console.log(`     the page said: ${errors.map((t) => t.trim()).filter(Boolean).join(' | ')}`);
    await page.screenshot({path: join(artifacts, `failed-${results.failed}.png`), fullPage: true}).catch(() => {});
    await page.goto('about:blank');
    await context.clearCookies();
  };
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) pageProblems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => pageProblems.push(`page error: ${e.message}`));
  // Offline and self-contained: nothing but slipway itself is ever fetched (no CDN, font or analytics host).
  const foreign = [];
  page.on('request', (r) => {
    // The one other host a browser visits: the identity provider a single sign-on goes through.
    if (!r.url().startsWith(stack.baseUrl) && !r.url().startsWith('data:') && !(stack.sso && r.url().startsWith(stack.sso.issuer)) &&
      !r.url().startsWith(stack.mail.baseUrl)) foreign.push(r.url());
  });
  const base = `#/t/${stack.tenantId}`;
  const scmName = `${stack.github.organization}/${stack.github.repoName}`;
  const invitee = {email: `invitee-${Date.now()}@example.com`, password: `pw-${Math.random().toString(36).slice(2)}-${Date.now()}`};
  // The owner's token for changes made outside the browser (the live activity feed must show them).
  let ownerToken = null;

  try {
    await check('the page is served with a strict CSP, and its assets revalidate by ETag', async () => {
      const r = await page.request.get(`${stack.baseUrl}/`);
      const csp = r.headers()['content-security-policy'] || '';
      assert(r.status() === 200, `GET / answered ${r.status()}`);
      for (const d of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'"]) {
        assert(csp.includes(d), `CSP lacks ${d}: ${csp}`);
      }
      assert(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'), `CSP allows unsafe sources: ${csp}`);
      assert(r.headers()['x-content-type-options'] === 'nosniff', 'no nosniff');
      assert(r.headers()['referrer-policy'] === 'no-referrer', 'no Referrer-Policy');
      const js = await page.request.get(`${stack.baseUrl}/ui/app.js`);
      assert(js.headers()['content-type'].startsWith('text/javascript'), `app.js is ${js.headers()['content-type']}`);
      const again = await page.request.get(`${stack.baseUrl}/ui/app.js`, {headers: {'If-None-Match': js.headers().etag}});
      assert(again.status() === 304, `If-None-Match answered ${again.status()}`);
      const missing = await page.request.get(`${stack.baseUrl}/ui/nope.js`);
      assert(missing.status() === 404, `an unknown asset answered ${missing.status()}`);
    });

    await check('every integration type has its logo (simple-icons, embedded) or a neutral mark', async () => {
      const owner = await (await apiCall(stack, 'POST', '/api/v1/auth/login', {email: stack.owner.email, password: stack.owner.password})).json();
      ownerToken = owner.token;
      const types = (await (await apiCall(stack, 'GET', '/api/v1/integration-types', undefined, ownerToken)).json()).items;
      const table = await (await page.request.get(`${stack.baseUrl}/ui/logos.js`)).text();
      for (const t of types) {
        const m = table.match(new RegExp(`^  ${t.type}: (?:'([a-z0-9]+)'|null),$`, 'm'));
        assert(m, `${t.type} has no line in tools/icons/logos.txt`);
        if (!m[1]) continue;
        const svg = await page.request.get(`${stack.baseUrl}/ui/logo-${m[1]}.svg`);
        assert(svg.status() === 200 && svg.headers()['content-type'] === 'image/svg+xml', `logo-${m[1]}.svg: ${svg.status()}`);
        assert((await svg.text()).startsWith('<svg role="img" viewBox="0 0 24 24"'), `logo-${m[1]}.svg is not simple-icons' file`);
      }
    });

    await check('the first page becomes interactive (its time is logged, never judged: machines differ)', async () => {
      const t = Date.now();
      await page.goto(`${stack.baseUrl}/`);
      await page.getByRole('heading', {name: 'Log in to slipway'}).waitFor();
      const ms = Date.now() - t;
      const nav = await page.evaluate(() => performance.getEntriesByType('navigation')[0].toJSON());
      const bytes = await page.evaluate(() => performance.getEntriesByType('resource').reduce((n, r) => n + r.transferSize, 0));
      console.log(`     login form usable after ${ms} ms (DOM interactive at ${Math.round(nav.domInteractive)} ms, ${bytes + nav.transferSize} bytes)`);
    });

    await check('login page: accessible in both themes and widths; a wrong password is refused in words; the keyboard alone logs in and lands on the overview', async () => {
      await page.goto(`${stack.baseUrl}/`);
      await page.getByRole('heading', {name: 'Log in to slipway'}).waitFor();
      await everyLook(page, '01-login');
      await page.getByLabel('E-mail address').fill(stack.owner.email);
      await page.getByLabel('Password').fill('not the password');
      await page.getByRole('button', {name: 'Log in'}).click();
      await page.getByText('Wrong e-mail address or password.').waitFor();
      await page.getByLabel('E-mail address').focus();
      await page.keyboard.press('Tab');
      await page.keyboard.type(stack.owner.password);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', {name: 'Overview'}).waitFor();
      assert(page.url().endsWith(base), `after login: ${page.url()}`);
    });

    await check('the session is an HttpOnly SameSite=Strict cookie; a write without the CSRF token is refused', async () => {
      const cookies = await context.cookies(stack.baseUrl);
      const session = cookies.find((c) => c.name === 'slipway_session');
      assert(session && session.httpOnly && session.sameSite === 'Strict', `session cookie: ${JSON.stringify(session && {...session, value: '…'})}`);
      const readable = await page.evaluate(() => document.cookie);
      assert(!readable.includes('slipway_session'), 'the page can read the session cookie');
      const r = await page.request.post(`${stack.baseUrl}/api/v1/tenants`, {data: {orgName: 'csrf'}});
      assert(r.status() === 403 && (await r.json()).error.code === 'csrf_failed', `without X-CSRF-Token: ${r.status()}`);
    });

    await check('a new tenant\'s overview: setup progress, what to do next with its actions, a place for releases', async () => {
      const setup = await page.locator('[data-setup]').textContent();
      assert(/0 of 3 required steps done/.test(setup), `setup panel: ${setup}`);
      const next = page.locator('#next');
      await next.getByRole('link', {name: 'Continue setup'}).waitFor();
      assert(/not complete/.test(await next.textContent()), 'the reasons are listed');
      await page.getByRole('heading', {name: 'Active releases'}).waitFor();
      await page.getByRole('heading', {name: 'Recent activity'}).waitFor();
      await axe(page, 'home (new tenant)'); // the overview gets every look below, once it has content
      await shot(page, '02-home-new');
    });

    await check('wizard step 1: an empty submit is caught at the fields shown; skipping a required step asks first', async () => {
      await page.locator('#next').getByRole('link', {name: 'Continue setup'}).click();
      await page.getByRole('heading', {name: /Step 1 of 5/}).waitFor();
      assert(!(await page.getByRole('link', {name: 'Continue'}).count()), 'Continue is offered on a required step that is not done');
      const connect = page.getByRole('button', {name: 'Connect GitHub'});
      assert(/primary/.test(await connect.getAttribute('class')), 'Connect GitHub is the primary action');
      await connect.click();
      const errors = await page.locator('#github-form .field-error:not([hidden])').allTextContents();
      assert(errors.length === 3 && errors.some((e) => /Repository is required/.test(e)), `field errors: ${errors}`);
      assert(!/displayName|Display name/.test(await page.locator('#github-form').textContent()), 'a field the form does not show is named');
      await page.getByLabel('Organisation or user').fill(stack.github.organization);
      await page.getByRole('link', {name: 'Skip for now'}).click();
      await confirm(page, /Leave without saving/, 'Stay and save');
      await page.getByRole('heading', {name: /Step 1 of 5/}).waitFor();
      await everyLook(page, '03-setup-github');
    });

    await check('wizard step 1: GitHub with an invalid token is saved, verifies INVALID with the reason and GitHub\'s own words', async () => {
      await page.getByLabel('Repository').fill(stack.github.repoName);
      await page.getByLabel('Access token').fill(stack.github.invalid);
      await page.getByRole('button', {name: 'Connect GitHub'}).click();
      await page.getByRole('button', {name: 'Save changes'}).waitFor();
      const reason = await verifyCard(page, scmName, 'INVALID');
      assert(/rejected/i.test(reason), `reason: ${reason}`);
      const cause = await card(page, scmName).locator('.cause').textContent();
      assert(cause === 'Cause: GitHub answered 401: Bad credentials', `cause: ${cause}`);
      await noSecrets(page, stack, 'github step after saving');
      const hint = await page.locator('#github-form [name="accessToken"]').evaluate((e) => document.getElementById(e.getAttribute('aria-describedby').split(' ')[0]).textContent);
      assert(/\*\*\*\*/.test(hint), `the mask is not shown: ${hint}`);
      await shot(page, '04-setup-github-invalid');
    });

    await check('wizard step 1: replacing the token by typing a new one; verifies VALID; Continue becomes the primary action', async () => {
      await page.getByLabel('Access token').fill(stack.github.valid);
      await page.getByRole('button', {name: 'Save changes'}).click();
      await page.locator('article.card .badge[data-status="NOT_VERIFIED"]').waitFor();
      await verifyCard(page, scmName, 'VALID');
      await noSecrets(page, stack, 'github step after replacing the token');
      await page.locator('.progress li.done').first().waitFor();
      const cont = page.getByRole('link', {name: 'Continue'});
      assert(/primary/.test(await cont.getAttribute('class')), 'Continue is primary once the step is done');
      await axe(page, 'setup github (saved)');
    });

    await check('wizard step 2: targets and platforms', async () => {
      await page.getByRole('link', {name: 'Continue'}).click();
      await page.getByRole('heading', {name: /Step 2 of 5/}).waitFor();
      await page.getByLabel('Google Play (Android)').check();
      await page.getByLabel('Android', {exact: true}).check();
      await axe(page, 'setup targets');
      await page.getByRole('button', {name: 'Save targets'}).click();
      await page.locator('.progress li.done').nth(1).waitFor();
      await shot(page, '05-setup-targets');
    });

    await check('wizard step 3: a generated form with examples and a link to the provider; API errors appear next to their field', async () => {
      await page.getByRole('link', {name: 'Continue'}).click();
      await page.getByRole('heading', {name: /Step 3 of 5/}).waitFor();
      const form = page.locator('form[data-type="PLAY_STORE"]');
      assert(await form.getByLabel('Google package name').getAttribute('placeholder') === 'e.g. com.example.app', 'no example');
      assert(await form.locator('a[href^="https://console.cloud.google.com/"]').count() > 0, 'no link to where the key is made');
      await form.getByLabel('Google service account email').fill('not-an-email');
      await form.getByLabel('Google package name').fill(stack.playStore.packageName);
      await form.locator('[name="googlePrivateKey"]').fill(stack.playStore.privateKey);
      await form.getByRole('button', {name: /^Save/}).click();
      const err = form.locator('.field-error:not([hidden])');
      await err.first().waitFor();
      const fieldErrors = await err.allTextContents();
      assert(fieldErrors.some((t) => /email/i.test(t)), `no error at the e-mail field: ${fieldErrors}`);
      const invalid = await form.getByLabel('Google service account email').getAttribute('aria-invalid');
      assert(invalid === 'true', 'the field is not marked invalid');
      await everyLook(page, '06-setup-credentials-errors');
    });

    await check('wizard step 3: the service account\'s JSON file fills the e-mail and the key, and says so', async () => {
      const form = page.locator('form[data-type="PLAY_STORE"]');
      await form.locator('[name="googlePrivateKey"]').fill('');
      const file = JSON.stringify({type: 'service_account', project_id: 'project-x', client_email: stack.playStore.invalidEmail,
        private_key: stack.playStore.privateKey});
      await form.getByLabel('Load the service account\'s JSON key file').setInputFiles({name: 'service-account.json',
        mimeType: 'application/json', buffer: Buffer.from(file)});
      await form.getByText(/Filled from service-account\.json: Google service account email, Google private key/).waitFor();
      assert(await form.getByLabel('Google service account email').inputValue() === stack.playStore.invalidEmail, 'the e-mail was not filled');
      assert(await form.locator('[name="googlePrivateKey"]').inputValue() === stack.playStore.privateKey, 'the key was not filled');
    });

    await check('wizard step 3: unknown service account verifies INVALID; fixing it verifies VALID; setup completes', async () => {
      const form = page.locator('form[data-type="PLAY_STORE"]');
      await form.getByRole('button', {name: /^Save/}).click();
      await page.locator('article.card[data-type="PLAY_STORE"]').waitFor();
      const reason = await verifyCard(page, 'Google Play', 'INVALID');
      assert(reason.length > 5, `no reason: ${reason}`);
      await noSecrets(page, stack, 'credentials step after saving');
      const c = card(page, 'Google Play');
      await c.getByRole('button', {name: 'Edit'}).click();
      const edit = c.locator('form');
      // The edit form uses the page's width, not the card's; the key's mask says what it is.
      const widths = await page.evaluate(() => [document.querySelector('article.card.editing').getBoundingClientRect().width,
        document.querySelector('article.card.editing').parentElement.getBoundingClientRect().width]);
      assert(widths[0] >= widths[1] - 2, `the edit form is ${widths[0]} of ${widths[1]} px`);
      const keyHint = await edit.locator('.field:has([name="googlePrivateKey"]) .hint').textContent();
      assert(/Stored: RSA key ending …[A-Za-z0-9+/=]{4}, added on \d{4}-\d\d-\d\d\./.test(keyHint), `key mask: ${keyHint}`);
      await shot(page, '07-setup-credentials-edit');
      await edit.getByLabel('Google service account email').fill(stack.playStore.validEmail);
      await edit.getByRole('button', {name: 'Save changes'}).click();
      await page.locator('article.card[data-type="PLAY_STORE"] .badge[data-status="NOT_VERIFIED"]').waitFor();
      await verifyCard(page, 'Google Play', 'VALID');
      await page.locator('[data-complete="true"]').waitFor();
      const banner = await page.locator('[data-complete="true"]').textContent();
      assert(/by you/.test(banner) && /Setup complete/.test(banner) && /All 2 connections verified/.test(banner), `completion: ${banner}`);
      await noSecrets(page, stack, 'credentials step after editing');
      await axe(page, 'setup credentials (saved)');
      await shot(page, '08-setup-complete');
    });

    await check('wizard step 4 (optional): a pipeline tied to its SCM connection and target; the form folds once saved', async () => {
      await page.getByRole('link', {name: 'Continue'}).click();
      await page.getByRole('heading', {name: /Step 4 of 5/}).waitFor();
      await page.getByRole('link', {name: 'Skip this step'}).waitFor();
      await page.getByLabel('Type', {exact: true}).selectOption({label: 'GitHub Actions'});
      const form = page.locator('form[data-type="GITHUB_ACTIONS"]');
      await form.getByLabel('Display name').fill('Android release build');
      await form.getByLabel('Github workflow path').fill('.github/workflows/release.yml');
      await axe(page, 'setup cicd');
      await form.getByRole('button', {name: /^Save/}).click();
      const c = card(page, 'Android release build');
      await c.waitFor();
      const links = await c.locator('dl.links').textContent();
      assert(links.includes(stack.github.repoName) && links.includes('Google Play'), `pipeline links: ${links}`);
      const more = page.getByRole('button', {name: 'Add another pipeline'});
      assert(await more.getAttribute('aria-expanded') === 'false' && !(await page.locator('form[data-type]').count()), 'the add form stays open');
      await shot(page, '09-setup-cicd');
    });

    await check('wizard step 5 (optional): Slack form with the known events as checkboxes; steps can be revisited; Finish leads home', async () => {
      await page.getByRole('link', {name: 'Continue'}).click();
      await page.getByRole('heading', {name: /Step 5 of 5/}).waitFor();
      const form = page.locator('form[data-type="SLACK"]');
      await form.waitFor();
      const events = form.getByRole('group', {name: 'Notify on these events'});
      const tenantId = new URL(page.url()).hash.split('/')[2];
      const catalogue = (await (await page.request.get(`${stack.baseUrl}/api/v1/${tenantId}/notification-events`)).json()).items;
      assert(await events.getByRole('checkbox').count() === catalogue.length, 'the catalogue\'s events are not offered as checkboxes');
      await events.getByLabel(/^build\.failed /).check();
      await everyLook(page, '10-setup-slack');
      // A link away from unsaved input (the checked event) asks first.
      await page.getByRole('link', {name: /Connect source control/}).click();
      await confirm(page, /Leave without saving/, 'Leave without saving');
      await page.getByRole('heading', {name: /Step 1 of 5/}).waitFor();
      assert(await page.getByLabel('Organisation or user').inputValue() === stack.github.organization, 'step 1 lost its values');
      await page.getByRole('link', {name: /Slack notifications/}).click();
      await page.getByRole('link', {name: 'Finish: go to the overview'}).click();
      await page.getByRole('heading', {name: 'Overview'}).waitFor();
    });

    await check('overview: the truth about setup, each integration\'s health, names in recent activity, live', async () => {
      const setup = await page.locator('[data-setup]').textContent();
      assert(/Setup saved, but 2 of 3 connections verified/.test(setup), `setup panel: ${setup}`);
      await page.locator('[data-ready="true"]').waitFor();
      const health = await page.locator('#health li').count();
      assert(health === 3, `${health} integrations in the health list`);
      const why = await page.locator('#health li', {hasText: 'Android release build'}).textContent();
      assert(/Not verified/.test(why) && /Not checked yet/.test(why), `pipeline health: ${why}`);
      const feed = await page.locator('#activity').textContent();
      assert(/verified Google Play: valid/.test(feed), `activity: ${feed}`);
      const ids = await page.locator('#health li').evaluateAll((lis) => lis.map((li) => li.dataset.id.slice(0, 8)));
      assert(!ids.some((id) => feed.includes(id)), `an id prefix in the activity: ${feed}`);
      await page.locator('#activity .live:not([hidden])').waitFor();
      // A change made elsewhere (the API, another person) appears without a reload.
      const r = await apiCall(stack, 'PATCH', `/api/v1/${stack.tenantId}`, {orgName: 'Release Team'}, ownerToken);
      assert(r.status === 200, `rename: ${r.status}`);
      await page.locator('#activity li', {hasText: 'renamed the tenant'}).waitFor();
      await everyLook(page, '11-home');
      // On a phone the navigation folds behind "Menu".
      await page.setViewportSize(PHONE);
      assert(!(await page.getByRole('navigation', {name: 'Main'}).isVisible()), 'the navigation is open on a phone');
      await page.getByRole('button', {name: 'Menu'}).click();
      await page.getByRole('navigation', {name: 'Main'}).getByRole('link', {name: 'Integrations'}).waitFor();
      await axe(page, 'home (390 px, menu open)');
      await shot(page, '11-home-390-menu');
      await page.setViewportSize(WIDE);
    });

    await check('integrations page: logos, every category, verify-all with progress, a blocked delete asks, then explains why', async () => {
      await gotoHash(page, stack, `${base}/integrations`);
      for (const h of ['Source control', 'Distribution targets', 'CI/CD pipelines', 'Communication', 'Ticket systems', 'Test management', 'Code signing']) {
        await page.getByRole('heading', {name: h, exact: true}).waitFor();
      }
      assert(await card(page, scmName).locator('.logo img[src="/ui/logo-github.svg"]').count() === 1, 'no GitHub logo');
      await page.getByRole('button', {name: 'Verify all'}).click();
      await page.locator('#verify-all-text', {hasText: /All 3 checked/}).waitFor();
      const scm = card(page, scmName);
      await scm.getByRole('button', {name: 'Delete'}).click();
      await page.getByRole('dialog').waitFor();
      await axe(page, 'delete dialog');
      await shot(page, '12-integrations-delete-dialog', true);
      await confirm(page, new RegExp(`Delete ${scmName}`), 'Cancel');
      assert(await scm.count() === 1, 'cancelled, yet deleted');
      await scm.getByRole('button', {name: 'Delete'}).click();
      await confirm(page, new RegExp(`Delete ${scmName}`), `Delete ${scmName}`);
      const box = scm.locator('.error-box:not([hidden])');
      await box.waitFor();
      const why = await box.textContent();
      assert(/cannot be deleted/.test(why) && why.includes('Android release build'), `blocked delete: ${why}`);
      await noSecrets(page, stack, 'integrations');
      await everyLook(page, '12-integrations');
    });

    await check('integrations page: forms for new types: secrets as passwords, identifiers not, examples and links', async () => {
      await page.getByRole('button', {name: 'Add a ticket system'}).click();
      await page.locator('form[data-type="JIRA"]').waitFor();
      const secret = page.locator('form[data-type="JIRA"] [name="jiraApiToken"]');
      assert(await secret.getAttribute('type') === 'password' && await secret.getAttribute('autocomplete') === 'off', 'the Jira token is not a password input');
      await page.locator('#add-tickets-body').getByLabel('Type', {exact: true}).selectOption({label: 'Linear'});
      await page.locator('form[data-type="LINEAR"]').waitFor();
      await axe(page, 'integrations (add form)');
      await page.getByRole('button', {name: 'Add a distribution target'}).click();
      await page.locator('#add-targets-body').getByLabel('Type', {exact: true}).selectOption({label: 'App Store Connect'});
      const apple = page.locator('form[data-type="APP_STORE"]');
      for (const name of ['appleApiKeyId', 'appleIssuerId']) {
        assert(await apple.locator(`[name="${name}"]`).getAttribute('type') === 'text', `${name} is shown as a secret`);
      }
      assert(await apple.getByLabel('Bundle ID').getAttribute('placeholder') === 'e.g. com.example.app', 'no example bundle id');
      assert(await apple.locator('a[href^="https://appstoreconnect.apple.com/"]').count() > 0, 'no link to App Store Connect');
      await shot(page, '13-integrations-add-app-store');
    });

    await check('members: role changes and removals ask first; invite with a link shown once; revoke pending invitations', async () => {
      await gotoHash(page, stack, `${base}/members`);
      const role = page.getByLabel(`Role of ${stack.editor.email}`);
      await role.selectOption('viewer');
      await confirm(page, /Make .* a viewer/, 'Cancel');
      await page.waitForFunction((id) => document.getElementById(id).value === 'editor', await role.getAttribute('id'))
        .catch(() => assert(false, 'a cancelled role change stuck'));
      await page.getByRole('button', {name: 'Invite', exact: true}).waitFor();
      await everyLook(page, '14-members');
      const invite = async (email, r) => {
        await page.locator('#invite-form [name="email"]').fill(email);
        await page.locator('#invite-form [name="role"]').selectOption(r);
        await page.getByRole('button', {name: 'Invite', exact: true}).click();
        const link = await page.getByLabel('Invitation link').inputValue();
        assert(link.startsWith(`${stack.baseUrl}/#/invite/`) && /^slwi_[A-Za-z0-9_-]{43}$/.test(link.split('/').pop()),
          `link shown: ${link.slice(0, 40)}`);
        return link;
      };
      const revoked = `revoked-${Date.now()}@example.com`;
      await invite(revoked, 'viewer');
      await page.getByRole('button', {name: 'Copy'}).waitFor();
      await axe(page, 'members (invited)');
      await shot(page, '14-members-invited');
      await page.getByRole('button', {name: 'Done: hide it'}).click();
      await page.getByRole('button', {name: `Revoke the invitation of ${revoked}`}).click();
      await confirm(page, /Revoke the invitation/, 'Revoke the invitation');
      await page.getByRole('cell', {name: revoked, exact: true}).waitFor({state: 'detached'});
      invitee.link = await invite(invitee.email, 'editor');
      await page.getByRole('button', {name: 'Done: hide it'}).click();
      await page.getByRole('cell', {name: invitee.email, exact: true}).waitFor();
      assert(!(await page.content()).includes(invitee.link.split('/').pop()), 'the invitation token is still in the page');
      assert(!(await page.getByLabel(`Role of ${invitee.email}`).count()), 'the invitee is a member before accepting');
    });

    await check('API tokens: the tenant stays in the navigation; shown once with a copy button; the list never shows it; revoking asks', async () => {
      await gotoHash(page, stack, '#/tokens');
      assert(await page.locator('#tenant-switch').inputValue() === stack.tenantId, 'the switcher lost the tenant');
      await page.getByRole('navigation', {name: 'Main'}).getByRole('link', {name: 'Overview'}).waitFor();
      await page.locator('#token-form [name="name"]').fill('CI deploy');
      await page.getByRole('button', {name: 'Create token'}).click();
      const value = await page.getByLabel('New token').inputValue();
      assert(/^slw_[A-Za-z0-9_-]{43}$/.test(value), `token shown: ${value.slice(0, 6)}`);
      await page.getByRole('button', {name: 'Copy'}).waitFor();
      // The announcement sits in the top bar, above the page: it covers nothing.
      const [toast, main] = await page.evaluate(() => [document.getElementById('toast'), document.getElementById('main')]
        .map((e) => e.getBoundingClientRect().toJSON()));
      assert(toast.bottom <= main.top + 1, `the toast overlaps the page: ${JSON.stringify(toast)} ${JSON.stringify(main)}`);
      await axe(page, 'tokens (created)');
      await shot(page, '15-tokens-created');
      await page.getByRole('button', {name: 'Done: hide it'}).click();
      await page.getByRole('cell', {name: 'CI deploy', exact: true}).waitFor();
      assert(!(await page.content()).includes(value), 'the token is still in the page');
      await everyLook(page, '15-tokens');
    });

    await check('your activity: account-level events, the token just made among them', async () => {
      await page.getByRole('link', {name: 'Your activity'}).first().click();
      await page.getByRole('heading', {name: 'Your activity'}).waitFor();
      await page.locator('tr[data-action="token.create"]', {hasText: 'CI deploy'}).waitFor();
      await page.locator('tr[data-action="auth.login"]').first().waitFor();
      await everyLook(page, '16-activity');
    });

    await check('audit log: names not ids, details in words, dates with month and zone, filters (only mine) and paging', async () => {
      await gotoHash(page, stack, `${base}/audit`);
      await page.locator('table.audit').waitFor();
      const text = await page.locator('table.audit tbody').textContent();
      assert(text.includes('Google Play') && text.includes(scmName), 'integration names are missing');
      const ids = (await (await apiCall(stack, 'GET', `/api/v1/${stack.tenantId}/release-management/setup`, undefined, ownerToken)).json())
        .integrations.map((i) => i.id.slice(0, 8));
      assert(!/[{}]/.test(text) && !ids.some((id) => text.includes(id)), `raw JSON or an id prefix: ${text.slice(0, 300)}`);
      const date = await page.locator('table.audit .when-abs').first().textContent();
      assert(/\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b/.test(date) && /(CET|CEST|GMT\+\d)/.test(date), `date: ${date}`);
      await page.getByLabel('Action', {exact: true}).selectOption('integration.verify');
      await page.getByRole('button', {name: 'Apply filters'}).click();
      await page.waitForFunction(() => {
        const cells = [...document.querySelectorAll('table.audit tbody td.mono')].map((td) => td.textContent);
        return cells.length > 0 && cells.every((a) => a === 'integration.verify');
      }, null, {timeout: TIMEOUT});
      await page.getByRole('button', {name: 'Older'}).waitFor();
      await noSecrets(page, stack, 'audit');
      await everyLook(page, '17-audit');
      await page.getByLabel('Action', {exact: true}).selectOption('');
      await page.getByLabel('Only my actions').check();
      await page.getByRole('button', {name: 'Apply filters'}).click();
      await page.waitForFunction(() => {
        const who = [...document.querySelectorAll('table.audit tbody tr td:nth-child(2)')].map((td) => td.textContent);
        return who.length > 0 && who.every((w) => w === 'you');
      }, null, {timeout: TIMEOUT});
    });

    await check('tenants page: accessible in both themes and widths', async () => {
      await gotoHash(page, stack, '#/tenants');
      await everyLook(page, '18-tenants');
    });

    await check('logout revokes the session and clears the cookie', async () => {
      await gotoHash(page, stack, base);
      await logout(page);
      const cookies = await context.cookies(stack.baseUrl);
      assert(!cookies.some((c) => c.name === 'slipway_session'), 'the session cookie is still set');
      const me = await page.request.get(`${stack.baseUrl}/api/v1/me`);
      assert(me.status() === 401, `after logout /me answered ${me.status()}`);
    });

    await check('an invitee opens the link, creates an account and lands on the tenant\'s overview with the invited role', async () => {
      await page.goto(invitee.link);
      await page.getByRole('heading', {name: 'Join a tenant'}).waitFor();
      await everyLook(page, '19-invite-new-account');
      await page.getByLabel('Your name').fill('Ivy Invitee');
      await page.getByLabel('Choose a password').fill(invitee.password);
      await page.getByRole('button', {name: 'Create my account and join'}).click();
      await page.getByRole('heading', {name: 'Overview'}).waitFor();
      assert(page.url().endsWith(base), `after joining: ${page.url()}`);
      const me = await (await page.request.get(`${stack.baseUrl}/api/v1/me`)).json();
      assert(me.email === invitee.email && me.name === 'Ivy Invitee', `joined as ${JSON.stringify(me)}`);
      const tenant = await (await page.request.get(`${stack.baseUrl}/api/v1/${stack.tenantId}`)).json();
      assert(tenant.role === 'editor', `role: ${tenant.role}`);
      const used = await apiCall(stack, 'POST', '/api/v1/invitations/accept', {token: invitee.link.split('/').pop(), password: 'another password'});
      assert(used.status === 404, `the link works twice: ${used.status}`);
    });

    await check('two-factor sign-in: after the right password the login form asks for the authenticator\'s code, and logs in with it', async () => {
      const token = (await (await apiCall(stack, 'POST', '/api/v1/auth/login', {email: invitee.email, password: invitee.password})).json()).token;
      const {secret} = await (await apiCall(stack, 'POST', '/api/v1/me/totp', undefined, token)).json();
      const step = Math.floor(Date.now() / 30000);
      const on = await apiCall(stack, 'POST', '/api/v1/me/totp/confirm', {code: totpCode(secret, step)}, token);
      assert(on.status === 200, `confirming answered ${on.status}`);
      await logout(page);
      await page.getByLabel('E-mail address').fill(invitee.email);
      await page.getByLabel('Password').fill(invitee.password);
      await page.getByRole('button', {name: 'Log in'}).click();
      await page.getByText('Enter the code your authenticator app shows now').waitFor({timeout: TIMEOUT});
      const code = page.getByLabel('Code from your authenticator app, or a recovery code');
      await code.fill(totpCode(secret, step + 1));
      await page.getByRole('button', {name: 'Log in'}).click();
      await page.getByRole('heading', {name: 'Overview'}).waitFor({timeout: TIMEOUT});
      const off = await apiCall(stack, 'DELETE', '/api/v1/me/totp', {password: invitee.password}, token);
      assert(off.status === 204, `turning it off answered ${off.status}`);
    });

    // ---- your account (issue 18): the password changed, two-factor sign-in enrolled in the page and turned off ----
    await check('your account: the password changed (other sessions end, as the page says first); two-factor sign-in enrolled with the key and a code, the recovery codes shown once, turned off', async () => {
      const other = (await (await apiCall(stack, 'POST', '/api/v1/auth/login', {email: invitee.email, password: invitee.password})).json()).token;
      await page.locator('#account').getByRole('link', {name: invitee.email}).click();
      await page.getByRole('heading', {name: 'Your account', level: 1}).waitFor();
      assert(/signs you out everywhere else/.test(await page.locator('#password-warning').textContent()), 'the page does not say other sessions end');
      const form = page.locator('#password-form');
      await form.getByLabel('Current password').fill('not the password');
      await form.locator('[name="newPassword"]').fill(`${invitee.password}-2`);
      await form.locator('[name="repeatPassword"]').fill(`${invitee.password}-2`);
      await form.getByRole('button', {name: 'Change password'}).click();
      await form.getByText('Current password is not this account\'s password').waitFor();
      await form.getByLabel('Current password').fill(invitee.password);
      await form.locator('[name="newPassword"]').fill(`${invitee.password}-2`);
      await form.locator('[name="repeatPassword"]').fill(`${invitee.password}-2`);
      await form.getByRole('button', {name: 'Change password'}).click();
      await page.getByText(/^Password changed\. Other sessions and API tokens ended: [1-9]\d*\.$/).waitFor();
      invitee.password = `${invitee.password}-2`;
      assert((await apiCall(stack, 'GET', '/api/v1/me', undefined, other)).status === 401, 'the other session outlived the change');
      // the announcement goes with the page it was made on
      await page.locator('#toast', {hasText: 'Password changed'}).waitFor();
      await page.getByRole('navigation', {name: 'Main'}).getByRole('link', {name: 'API tokens'}).click();
      await page.getByRole('heading', {name: 'API tokens', level: 1}).waitFor();
      assert(await page.locator('#toast').isHidden(), 'the toast stayed on the next page');
      await page.getByRole('navigation', {name: 'Main'}).getByRole('link', {name: 'Your account'}).click();
      await page.getByRole('button', {name: 'Turn on two-factor sign-in'}).click();
      const secret = (await page.locator('#totp-secret').textContent()).replace(/ /g, '');
      assert(/^[A-Z2-7]{32}$/.test(secret), `the key shown: ${secret.slice(0, 4)}…`);
      const uri = await page.locator('#otpauth-link').getAttribute('href');
      assert(uri.startsWith('otpauth://totp/') && uri.includes(`secret=${secret}`), 'the otpauth link');
      await page.locator('#totp-qr svg[role="img"] path').waitFor(); // the link's QR code (Debian's node-qrcode-generator)
      await everyLook(page, '19b-account-totp-enrol');
      await page.getByLabel('The code your app shows now').fill(totpCode(secret, Math.floor(Date.now() / 30000)));
      await page.getByRole('button', {name: 'Turn on', exact: true}).click();
      await page.locator('#recovery-codes li').nth(9).waitFor();
      const codes = await page.locator('#recovery-codes li').allTextContents();
      assert(codes.length === 10 && codes.every((c) => /^[A-Z2-7]{5}-[A-Z2-7]{5}$/.test(c)), `recovery codes: ${codes.length}`);
      assert(/shown only once/.test(await page.locator('#recovery-warning').textContent()), 'no warning with the codes');
      await page.getByRole('button', {name: 'Copy the codes'}).waitFor();
      await everyLook(page, '19c-account-recovery-codes');
      await page.getByRole('button', {name: 'Done: I saved them'}).click();
      await page.locator('#totp-on').waitFor();
      assert(/\(10 left\)/.test(await page.locator('#totp-on').textContent()), 'the recovery codes left not said');
      assert(!(await page.content()).includes(codes[0]), 'the recovery codes are still in the page');
      await everyLook(page, '19d-account');
      await page.getByLabel('A code from your app, or your password').fill(invitee.password);
      await page.getByRole('button', {name: 'Turn off two-factor sign-in'}).click();
      await page.getByRole('button', {name: 'Turn on two-factor sign-in'}).waitFor();
    });

    await check('logged in, an invitee accepts an invitation to another tenant as their own account', async () => {
      const other = await (await apiCall(stack, 'POST', '/api/v1/tenants', {orgName: 'Second team'}, ownerToken)).json();
      const inv = await (await apiCall(stack, 'POST', `/api/v1/${other.id}/members`, {email: invitee.email, role: 'viewer'}, ownerToken)).json();
      await page.goto(`${stack.baseUrl}/#/invite/${inv.inviteToken}`);
      await page.getByRole('button', {name: 'Accept the invitation'}).click();
      await page.getByRole('heading', {name: 'Overview'}).waitFor();
      assert(page.url().endsWith(`#/t/${other.id}`), `after accepting: ${page.url()}`);
      const options = await page.locator('#tenant-switch option').allTextContents();
      assert(options.includes('Second team (viewer)'), `tenants: ${options}`);
      await logout(page);
    });

    for (const role of ['editor', 'viewer']) {
      await check(`${role}: sees status, never credentials, and no control they cannot use`, async () => {
        await login(page, stack, role);
        assert(!(await page.locator('#activity').count()), 'the activity (owners only) is shown');
        if (role === 'viewer') await everyLook(page, `20-${role}-home`);
        else await axe(page, `${role} home`);
        await gotoHash(page, stack, `${base}/setup`);
        await page.getByText('Only owners can change the setup').waitFor();
        assert(await page.locator('main form').count() === 0, 'a form is shown');
        assert(!(await page.getByRole('link', {name: 'Audit log'}).count()), 'the audit link is shown');
        await axe(page, `${role} setup`);
        await shot(page, `21-${role}-setup`);
        await gotoHash(page, stack, `${base}/integrations`);
        await page.locator('article.card').first().waitFor();
        const buttons = await page.locator('main button').allTextContents();
        assert(!buttons.some((b) => /Verify|Edit|Delete|Add/.test(b)), `controls shown: ${buttons}`);
        const html = await page.content();
        assert(!html.includes('****') && !html.includes('data-secret') && !html.includes('key ending'), 'a credential mask or field is shown');
        await page.locator('article.card[data-type="PLAY_STORE"] .badge[data-status="VALID"]').waitFor();
        await axe(page, `${role} integrations`);
        await shot(page, `22-${role}-integrations`);
        await gotoHash(page, stack, `${base}/members`);
        assert(await page.locator('main select, main form').count() === 0, 'member controls are shown');
        await gotoHash(page, stack, `${base}/audit`);
        await page.getByRole('heading', {name: 'Not found'}).waitFor();
        await noSecrets(page, stack, `${role} pages`);
        await logout(page);
      });
    }

    // Releases, on the second tenant stack.py made ready for them (GitHub and the App Store verified).
    const rel = {...stack, ...stack.releases};
    const relBase = `#/t/${rel.tenantId}`;
    let releaseHash = null;
    await check('releases: the create form shows the API\'s errors next to its fields; a release starts and its page follows kickoff live', async () => {
      await login(page, rel, 'owner');
      await page.locator('#releases').getByText('No active releases.').waitFor();
      await page.getByRole('navigation', {name: 'Main'}).getByRole('link', {name: 'Releases', exact: true}).click();
      await page.getByRole('heading', {name: 'Start a release'}).waitFor();
      await page.getByRole('button', {name: 'Start release'}).click();
      await page.locator('#release-form .field-error:not([hidden])').first().waitFor();
      const missing = await page.locator('#release-form .field-error:not([hidden])').allTextContents();
      assert(missing.some((t) => /Version is required/.test(t)) && missing.some((t) => /Platforms is required/.test(t)), `empty submit: ${missing}`);
      await page.getByLabel('Version (required)').fill('one');
      await page.getByLabel('iOS').check();
      await page.getByRole('button', {name: 'Start release'}).click();
      const err = page.locator('#release-form [name="version"]').locator('xpath=..').locator('.field-error');
      await err.waitFor();
      assert(/^Version /.test(await err.textContent()), `the API's version error: ${await err.textContent()}`);
      await everyLook(page, '30-releases-form-errors');
      await page.getByLabel('Version (required)').fill('2.4.0');
      await page.getByLabel('Android').check();
      await page.getByLabel('Target date').fill('2026-12-24');
      await page.getByRole('button', {name: 'Start release'}).click();
      await page.getByRole('heading', {name: 'Release 2.4.0'}).waitFor();
      releaseHash = new URL(page.url()).hash;
      // Kickoff runs after the page opened: its steps arrive on the open stream, then the release moves to Building.
      await page.locator('#timeline .live:not([hidden])').waitFor();
      await page.locator('#timeline-list li[data-name="kickoff-done"]').waitFor({timeout: 20000});
      // Every kickoff step once, in the API's order (the build stage's events follow, as they come).
      const kickoff = (list) => list.slice(0, list.indexOf('kickoff-done') + 1);
      const names = kickoff(await page.locator('#timeline-list li').evaluateAll((els) => els.map((e) => e.dataset.name)));
      const api = await (await page.request.get(`${rel.baseUrl}/api/v1/${rel.tenantId}/releases/${releaseHash.split('/').pop()}`)).json();
      assert(JSON.stringify(names) === JSON.stringify(kickoff(api.events.map((e) => e.name))), `timeline: ${names}`);
      assert(JSON.stringify(names) === JSON.stringify(['create', 'resolve-ref', 'create-branch', 'create-tag', 'kickoff-done']), `timeline: ${names}`);
      await page.locator('.page-head .badge[data-status="BUILDING"]').waitFor();
      await page.locator('#stages li[data-stage="KICKOFF"].stage-done').waitFor();
      assert(/release\/2\.4\.0/.test(await page.locator('#stages .facts').textContent()), 'the release branch is not shown');
      assert(await page.locator('#builds li[data-platform]').count() === 2, 'a row per platform');
      await everyLook(page, '31-release-building');
    });

    await check('release page: pause and resume show only when the status allows; the timeline says who did it', async () => {
      assert(!(await page.getByRole('button', {name: 'Resume'}).count()), 'Resume on a running release');
      await page.getByRole('button', {name: 'Pause'}).click();
      await page.locator('.page-head .badge[data-status="PAUSED"]').waitFor();
      assert(!(await page.getByRole('button', {name: 'Pause'}).count()), 'Pause on a paused release');
      await page.locator('#timeline-list li[data-name="pause"]').waitFor();
      assert(/You/.test(await page.locator('#timeline-list li[data-name="pause"] .meta').textContent()), 'the pause is not yours');
      await page.locator('#stages li.stage-paused').waitFor();
      await everyLook(page, '32-release-paused');
      await page.getByRole('button', {name: 'Resume'}).focus();
      await page.keyboard.press('Enter');
      await page.locator('.page-head .badge[data-status="BUILDING"]').waitFor();
      await page.locator('#timeline-list li[data-name="resume"]').waitFor();
      // A pause from outside the browser (CI, another person) reaches the open page live: its event, its status, its actions.
      const who = await (await apiCall(rel, 'POST', '/api/v1/auth/login', {email: rel.owner.email, password: rel.owner.password})).json();
      const paused = await apiCall(rel, 'POST', `/api/v1/${rel.tenantId}/releases/${releaseHash.split('/').pop()}/pause`, {reason: 'waiting for QA'}, who.token);
      await apiCall(rel, 'POST', '/api/v1/auth/logout', undefined, who.token);
      assert(paused.status === 200, `the API's pause answered ${paused.status}`);
      await page.locator('#timeline-list li[data-name="pause"]', {hasText: 'waiting for QA'}).waitFor();
      await page.locator('.page-head .badge[data-status="PAUSED"]').waitFor();
      await page.getByRole('button', {name: 'Resume'}).click();
      await page.locator('.page-head .badge[data-status="BUILDING"]').waitFor();
      await page.getByRole('button', {name: 'Pause'}).waitFor();
    });

    await check('release page: approvals wait for regression; the notes are edited in place and kept', async () => {
      await page.locator('#approvals').getByText('No approvals yet.').waitFor();
      assert(!(await page.locator('#approve').count()), 'Approve on a building release');
      assert(!(await page.getByRole('button', {name: 'Finish'}).count()), 'Finish on a building release');
      await page.getByRole('button', {name: 'Edit notes'}).click();
      await page.getByLabel('Release notes (Markdown)').fill('## 2.4.0\n\n- Faster sign-in (MOB-12)');
      await page.getByRole('button', {name: 'Save notes'}).click();
      await page.locator('#notes-body', {hasText: 'Faster sign-in (MOB-12)'}).waitFor();
      await page.locator('#notes').getByText('new candidates keep these notes').waitFor();
      await page.locator('#timeline-list li[data-name="edit-notes"]').waitFor();
      await everyLook(page, '32b-release-approvals-notes');
    });

    await check('releases list and home: the active release with its stage; filters by status', async () => {
      await gotoHash(page, rel, `${relBase}/releases`);
      await page.locator('#release-list tr[data-release]').first().waitFor();
      await page.getByLabel('Status').selectOption('CANCELLED');
      await page.locator('#release-list').getByText('No cancelled releases.').waitFor();
      await page.getByLabel('Status').selectOption('BUILDING');
      await page.locator('#release-list').getByRole('link', {name: '2.4.0'}).waitFor();
      await everyLook(page, '33-releases');
      await gotoHash(page, rel, relBase);
      await page.locator('#releases li[data-release] .stage-current[data-stage="BUILDING"]').waitFor();
      await everyLook(page, '34-home-active-release');
    });

    await check('release settings: the owner edits them, with the API\'s errors next to the field', async () => {
      await gotoHash(page, rel, `${relBase}/release-settings`);
      await page.getByLabel('Release branch (required)').fill('static');
      await page.getByRole('button', {name: 'Save settings'}).click();
      await page.locator('#release-config-form .field-error:not([hidden])').first().waitFor();
      assert(/Release branch must contain \{version\}/.test(await page.locator('#release-config-form .field-error:not([hidden])').first().textContent()),
        'the template error is not next to its field');
      await everyLook(page, '35-release-settings');
      await page.getByLabel('Release branch (required)').fill('releases/{version}');
      await page.getByRole('button', {name: 'Save settings'}).click();
      await page.getByText('Release settings saved').waitFor();
      await logout(page);
    });

    await check('viewer: reads a release and the settings, with no action and no form', async () => {
      await login(page, rel, 'viewer');
      await gotoHash(page, rel, releaseHash);
      await page.locator('#timeline-list li[data-name="resume"]').nth(1).waitFor();
      assert(!(await page.locator('main [data-action]').count()), 'an action is shown to a viewer');
      await axe(page, 'viewer release');
      await gotoHash(page, rel, `${relBase}/releases`);
      assert(!(await page.locator('#release-form').count()), 'the create form is shown to a viewer');
      await gotoHash(page, rel, `${relBase}/release-settings`);
      await page.locator('#release-config').getByText('releases/{version}').waitFor();
      assert(!(await page.locator('main form').count()), 'a settings form is shown to a viewer');
      await everyLook(page, '36-viewer-release-settings');
      await logout(page);
    });

    // A release through regression (docs/releases.md "Regression", "New candidate", "Finish"): its CI runs end at the
    // fake (the control plane, as tests/api/test_release_lifecycle.py ends them), two approvals of the owner and the
    // editor, a new candidate when the branch moved, the final tag.
    await check('release page: regression approvals with a note, a new candidate through its dialog, builds again, finish through its dialog; a viewer gets no action', async () => {
      const owner = (await (await apiCall(rel, 'POST', '/api/v1/auth/login', {email: rel.owner.email, password: rel.owner.password})).json()).token;
      const editor = (await (await apiCall(rel, 'POST', '/api/v1/auth/login', {email: rel.editor.email, password: rel.editor.password})).json()).token;
      const tpath = (tail) => `/api/v1/${rel.tenantId}${tail}`;
      const json = async (resp, want) => {
        assert(resp.status === want, `${resp.url}: ${resp.status} ${await resp.clone().text()}`);
        return resp.json();
      };
      // Two approvals, by an owner or an editor (the configuration first, before the pipeline: release 2.4.0 keeps waiting).
      const config = await json(await apiCall(rel, 'GET', tpath('/release-configuration'), undefined, owner), 200);
      await json(await apiCall(rel, 'PUT', tpath('/release-configuration'), {branchTemplate: config.branchTemplate,
        approvalRoles: ['owner', 'editor'], approvalCount: 2}, owner), 200);
      const items = async (category) => {
        const got = await json(await apiCall(rel, 'GET', tpath(`/integrations/${category}`), undefined, owner), 200);
        return got.items || got;
      };
      const [scm] = await items('scm');
      const [target] = await items('targets');
      const pipeline = await json(await apiCall(rel, 'POST', tpath('/integrations/pipelines'), {type: 'GITHUB_ACTIONS',
        displayName: 'iOS release build', scmIntegrationId: scm.id, targetIntegrationId: target.id, platform: 'IOS',
        githubWorkflowPath: '.github/workflows/release.yml'}, owner), 201);
      const hook = await json(await apiCall(rel, 'POST', tpath(`/integrations/pipelines/${pipeline.id}/webhook`), undefined, owner), 201);
      const made = await json(await apiCall(rel, 'POST', tpath('/releases'), {version: '2.5.0', releaseType: 'MINOR', platforms: ['IOS']}, owner), 201);
      const relPath = tpath(`/releases/${made.id}`);
      // The CI run of candidate n ends well: the fake sends its signed workflow_run webhook.
      const endRun = async (n) => {
        let build = null;
        for (let i = 0; i < 200 && !build; i += 1) {
          const r = await json(await apiCall(rel, 'GET', relPath, undefined, owner), 200);
          build = r.builds.find((b) => b.candidateNumber === n && b.runId);
          if (!build) await new Promise((ok) => setTimeout(ok, 100)); // a bound on waiting for the trigger, not a measurement
        }
        assert(build, `candidate ${n} was never triggered`);
        const resp = await fetch(`${rel.control}/github/runs/${encodeURIComponent(build.runId)}/finish`, {method: 'POST',
          headers: {'Content-Type': 'application/json'},
          body: JSON.stringify({conclusion: 'success', webhook: {url: `${rel.baseUrl}${hook.path}`, secret: hook.secret}})});
        assert(resp.ok, `the fake's finish answered ${resp.status}`);
      };
      await endRun(1);
      await login(page, rel, 'owner');
      await gotoHash(page, rel, `${relBase}/releases/${made.id}`);
      await page.locator('.page-head .badge[data-status="REGRESSION"]').waitFor({timeout: 20000});
      await page.locator('#builds li[data-platform="IOS"]').waitFor();
      await page.locator('#approvals').getByText('0 of 2 for candidate 1').waitFor();
      await everyLook(page, '37-release-regression');
      // The owner approves with a note: who and when, 1 of 2; the release waits for the second.
      await page.getByLabel('Approval note').fill('Smoke tests pass on iOS 18');
      await page.locator('#approve').click();
      const mine = page.locator('#approvals li[data-candidate="1"]', {hasText: 'approved candidate'});
      await mine.getByText('Smoke tests pass on iOS 18').waitFor();
      assert(/^You \(owner\) approved candidate 1/.test(await mine.textContent()) && await mine.locator('time').count() === 1,
        `the approval: ${await mine.textContent()}`);
      await page.locator('#approvals').getByText('1 of 2 for candidate 1').waitFor();
      assert(!(await page.locator('#approve').count()), 'Approve again after approving');
      await page.locator('.page-head .badge[data-status="REGRESSION"]').waitFor();
      // A viewer reads the release in regression with no Approve, New candidate or Finish (signed in through the API: same cookies).
      const asViewer = await page.request.post(`${rel.baseUrl}/api/v1/auth/login`, {data: {email: rel.viewer.email, password: rel.viewer.password, cookie: true}});
      assert(asViewer.status() === 200, `the viewer's login answered ${asViewer.status()}`);
      await page.reload(); // the same address: only a reload starts the page again, as the viewer
      await page.locator('#approvals').getByText('1 of 2 for candidate 1').waitFor();
      for (const name of ['Approve', 'New candidate', 'Finish']) {
        assert(!(await page.getByRole('button', {name}).count()), `${name} is shown to a viewer`);
      }
      const asOwner = await page.request.post(`${rel.baseUrl}/api/v1/auth/login`, {data: {email: rel.owner.email, password: rel.owner.password, cookie: true}});
      assert(asOwner.status() === 200, `the owner's login answered ${asOwner.status()}`);
      await page.reload();
      await page.getByRole('button', {name: 'New candidate'}).waitFor();
      // A fix lands on the release branch; "New candidate" says what it does, then tags rc.2 and builds it.
      const next = '3'.repeat(40);
      const moved = await fetch(`${rel.control}/github/data`, {method: 'POST', headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({repos: {[rel.repo]: {branches: {'releases/2.5.0': next}, commits: ['1'.repeat(40), next],
          messages: {[next]: 'Fix crash on login (MOB-31)'}}}})});
      assert(moved.ok, `the fake's data answered ${moved.status}`);
      await page.getByRole('button', {name: 'New candidate'}).click();
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      assert(/as candidate 2 .*Approvals of candidate 1 no longer count/.test(await dialog.textContent()), `the dialog: ${await dialog.textContent()}`);
      await confirm(page, /^Tag candidate 2 of 2\.5\.0\?$/, 'Tag candidate 2');
      await page.locator('#stages .facts', {hasText: 'v2.5.0-rc.2 (#2)'}).waitFor({timeout: 20000});
      await page.locator('#approvals').getByText('0 of 2 for candidate 2').waitFor();
      assert(await page.locator('#approvals li.muted[data-candidate="1"]', {hasText: 'approved candidate'}).count() === 1,
        'candidate 1\'s approval is not marked as past');
      await page.locator('.page-head .badge[data-status="BUILDING"]').waitFor();
      await endRun(2);
      await page.locator('.page-head .badge[data-status="REGRESSION"]').waitFor({timeout: 20000});
      await page.locator('#approve').click();
      await page.locator('#approvals').getByText('1 of 2 for candidate 2').waitFor();
      assert(!(await page.getByRole('button', {name: 'Finish'}).count()), 'Finish before the second approval');
      // The editor's approval (through the API) reaches the open page: READY, then Finish asks first.
      await json(await apiCall(rel, 'POST', `${relPath}/approve`, {note: 'QA signed off'}, editor), 200);
      await page.locator('.page-head .badge[data-status="READY"]').waitFor();
      await page.locator('#approvals li[data-candidate="2"]', {hasText: 'QA signed off'}).waitFor();
      await page.getByRole('button', {name: 'Finish'}).click();
      await confirm(page, /^Finish release 2\.5\.0\?$/, 'Finish the release');
      await page.locator('.page-head .badge[data-status="FINISHED"]').waitFor({timeout: 20000});
      await page.locator('#stages .facts', {hasText: 'v2.5.0'}).getByText('v2.5.0', {exact: true}).waitFor();
      assert(!(await page.locator('main [data-action="finish"], main [data-action="new-candidate"], #approve').count()),
        'an action left on a finished release');
      // Each step on the timeline, live (the answer to Finish may come before its events).
      for (const step of ['approve', 'new-candidate', 'approved', 'create-final-tag', 'create-release', 'finish']) {
        await page.locator(`#timeline-list li[data-name="${step}"]`).first().waitFor();
      }
      // Finished from READY with no store submission: its Released stage was skipped, not done; Finished is.
      await page.locator('#stages li[data-stage="RELEASED"].stage-skipped').waitFor();
      await page.locator('#stages li[data-stage="FINISHED"].stage-done').waitFor();
      await everyLook(page, '38-release-finished');
      for (const t of [owner, editor]) await apiCall(rel, 'POST', '/api/v1/auth/logout', undefined, t);
      await logout(page);
    });

    // ---- notifications (issue 16): rules, outbound webhook endpoints, the delivery log ----
    await check('notifications: a rule from the catalogue; an outbound webhook endpoint with its secret shown once; a ping in the delivery log', async () => {
      await login(page, rel, 'owner');
      const who = await (await apiCall(rel, 'POST', '/api/v1/auth/login', {email: rel.owner.email, password: rel.owner.password})).json();
      const mail = await apiCall(rel, 'POST', `/api/v1/${rel.tenantId}/integrations/communication`, {type: 'EMAIL',
        displayName: 'Release mail', emailRecipients: ['team@example.com'], emailFromAddress: 'slipway@example.com',
        smtpHost: 'smtp.example.com'}, who.token);
      await apiCall(rel, 'POST', '/api/v1/auth/logout', undefined, who.token);
      assert(mail.status === 201, `the e-mail integration: ${mail.status}`);
      await page.getByRole('navigation', {name: 'Main'}).getByRole('link', {name: 'Notifications', exact: true}).click();
      await page.getByRole('heading', {name: 'Notifications', level: 1}).waitFor();
      await page.locator('#rule-form [name="eventPattern"]').selectOption('release.*');
      await page.locator('#rule-form').getByRole('button', {name: 'Add rule'}).click();
      await page.getByRole('region', {name: 'Notification rules'}).getByText('Release mail').waitFor();
      await page.locator('#endpoint-form [name="url"]').fill('https://hooks.example.com/slipway');
      await page.locator('#endpoint-form').getByLabel(/^release\.kickoff\.started /).check();
      await page.locator('#endpoint-form').getByLabel(/^release\.finished /).check();
      await page.getByRole('button', {name: 'Add endpoint'}).click();
      const secret = await page.locator('#endpoint-secret').inputValue();
      assert(/^whsec_[A-Za-z0-9+/]+=*$/.test(secret), `the secret shown: ${secret.slice(0, 8)}`);
      await shot(page, '40-notifications-secret-once');
      await page.getByRole('button', {name: 'Done: hide it'}).click();
      const table = page.getByRole('region', {name: 'Webhook endpoints'});
      await table.getByText('https://hooks.example.com/slipway').waitFor();
      assert(!(await page.content()).includes(secret), 'the secret is still in the page');
      await table.getByRole('button', {name: 'Send a ping'}).click();
      await page.getByRole('region', {name: 'Webhook deliveries'}).getByText('webhook.ping').waitFor();
      assert(!(await page.content()).includes(secret), 'the secret is in the page');
      // edited in place (PUT): the rule to another event, the endpoint's description and events
      await page.getByRole('button', {name: 'Edit the rule release.*'}).click();
      await page.locator('#rule-edit-form [name="eventPattern"]').selectOption('release.finished');
      await page.locator('#rule-edit-form').getByRole('button', {name: 'Save the rule'}).click();
      await page.getByRole('region', {name: 'Notification rules'}).getByRole('cell', {name: 'release.finished', exact: true}).waitFor();
      await table.locator('tr', {hasText: 'https://hooks.example.com/slipway'}).getByRole('button', {name: 'Edit'}).click();
      const edit = page.locator('#endpoint-edit-form');
      assert(await edit.getByLabel(/^release\.finished /).isChecked(), 'the endpoint\'s events are not checked in its form');
      await edit.locator('[name="description"]').fill('the deploy bot');
      await edit.getByLabel(/^release\.kickoff\.started /).uncheck();
      await shot(page, '41a-notifications-endpoint-edit');
      await edit.getByRole('button', {name: 'Save the endpoint'}).click();
      await table.getByText('the deploy bot').waitFor();
      assert((await table.locator('tr', {hasText: 'the deploy bot'}).locator('td').nth(1).textContent()) === 'release.finished', 'the events saved');
      await everyLook(page, '41-notifications');
      await logout(page);
    });

    await check('notifications: the chat and e-mail delivery log shows a delivery with its status and attempts', async () => {
      const who = await (await apiCall(rel, 'POST', '/api/v1/auth/login', {email: rel.owner.email, password: rel.owner.password})).json();
      const path = (tail) => `/api/v1/${rel.tenantId}${tail}`;
      const made = async (tail, body) => {
        const r = await apiCall(rel, 'POST', path(tail), body, who.token);
        assert(r.status === 201 || r.status === 200, `POST ${tail}: ${r.status}`);
        return r.json();
      };
      // an integration's status change (a Slack token the fake does not know: INVALID) told by mail to a host that
      // never answers, so the delivery is tried, fails and says so
      const mail = await made('/integrations/communication', {type: 'EMAIL', displayName: 'Status mail',
        emailRecipients: ['ops@example.com'], emailFromAddress: 'slipway@example.com', smtpHost: 'smtp.invalid'});
      await made('/notification-rules', {eventPattern: 'integration.*', integrationId: mail.id});
      const slack = await made('/integrations/communication', {type: 'SLACK', displayName: 'Old Slack',
        slackBotToken: `xoxb-${'1'.repeat(12)}-${'2'.repeat(12)}-${'a'.repeat(24)}`});
      await made(`/integrations/communication/${slack.id}/verify`, {});
      let found = null;
      for (let i = 0; i < 150 && !found; i++) {
        const items = (await (await apiCall(rel, 'GET', path('/notification-deliveries'), undefined, who.token)).json()).items;
        found = items.find((d) => d.integrationId === mail.id && d.eventName === 'integration.status.changed' && d.attempts >= 1);
        if (!found) await new Promise((ok) => setTimeout(ok, 200));
      }
      assert(found, 'no delivery of the status change was tried');
      await apiCall(rel, 'POST', '/api/v1/auth/logout', undefined, who.token);
      await login(page, rel, 'owner');
      await page.getByRole('navigation', {name: 'Main'}).getByRole('link', {name: 'Notifications', exact: true}).click();
      const row = page.getByRole('region', {name: 'Notification deliveries'}).locator(`tr[data-notice="${found.id}"]`);
      await row.waitFor();
      const cells = await row.locator('td').allTextContents();
      assert(cells[0] === 'integration.status.changed', `the event: ${cells[0]}`);
      assert(cells[1].startsWith('Status mail'), `the integration: ${cells[1]}`);
      const status = await row.locator('.badge').getAttribute('data-status');
      assert(['RETRYING', 'FAILED', 'DELIVERED', 'PENDING'].includes(status), `the status: ${status}`);
      assert(Number(cells[3]) >= 1, `the attempts: ${cells[3]}`);
      await row.scrollIntoViewIfNeeded();
      await everyLook(page, '41b-notifications-delivery-log');
      await logout(page);
    });

    // ---- deployments (issue 17): a host over the private sshd, a script, a deployment whose output streams ----
    await check('deployments: a host added with a key and tested (its key pinned), a script, a deployment streaming stdout and stderr to SUCCEEDED; a viewer reads', async () => {
      if (!stack.ssh) throw new Error('no sshd: openssh-server is missing (scripts/install-deps test)');
      const nav = (name) => page.getByRole('navigation', {name: 'Main'}).getByRole('link', {name, exact: true}).click();
      await login(page, rel, 'owner');
      await nav('Hosts');
      await page.getByRole('heading', {name: 'Hosts', level: 1}).waitFor();
      const form = page.locator('#host-create');
      await form.locator('[name="name"]').fill('web-1');
      await form.locator('[name="address"]').fill('127.0.0.1');
      await form.locator('[name="port"]').fill(String(stack.ssh.port));
      await form.locator('[name="username"]').fill(stack.ssh.user);
      await form.locator('[name="secret"]').fill(stack.ssh.key);
      await form.getByRole('button', {name: 'Add host'}).click();
      const row = page.locator('tr[data-host="web-1"]');
      await row.getByRole('button', {name: 'Test connection'}).click();
      await row.locator('[data-status="OK"]').waitFor();
      await row.getByText(stack.ssh.fingerprint).waitFor();
      await noSecrets(page, rel, 'hosts');
      await everyLook(page, '42-hosts');
      await nav('Deployment scripts');
      await page.locator('#script-create [name="name"]').fill('Say hello');
      await page.locator('#script-create [name="body"]').fill('echo hello\necho oops >&2\necho "on $SLIPWAY_REPOSITORY at $SLIPWAY_REF"');
      await page.getByRole('button', {name: 'Add script'}).click();
      await page.locator('[data-script="Say hello"]').waitFor();
      await everyLook(page, '43-deployment-scripts');
      // The tenant's GitHub repository synced (the API, as the repositories page would), then deployed at a ref.
      const owner = (await (await apiCall(rel, 'POST', '/api/v1/auth/login', {email: rel.owner.email, password: rel.owner.password})).json()).token;
      const repos = `/api/v1/${rel.tenantId}/repositories`;
      assert((await apiCall(rel, 'POST', `${repos}/sync`, {}, owner)).status === 202, 'the repository sync did not start');
      for (let i = 0; i < 100 && !(await (await apiCall(rel, 'GET', repos, undefined, owner)).json()).items.length; i++) await page.waitForTimeout(100);
      await nav('Deployments');
      const deployForm = page.locator('#deploy-form');
      await deployForm.locator('[name="repositoryId"]').selectOption({label: rel.repo});
      await deployForm.locator('[name="ref"]').fill('release/1.0');
      await page.getByRole('button', {name: 'Deploy', exact: true}).click();
      await page.getByRole('region', {name: 'Deployments'}).getByRole('link', {name: 'Say hello'}).click();
      await page.locator('#deploy-log .line-stdout', {hasText: 'hello'}).waitFor({timeout: TIMEOUT});
      await page.locator('#deploy-log .line-stderr', {hasText: 'oops'}).waitFor({timeout: TIMEOUT});
      await page.locator('#deploy-log .line-stdout', {hasText: `on ${rel.repo} at release/1.0`}).waitFor({timeout: TIMEOUT});
      await page.locator('#deployment-summary [data-status="SUCCEEDED"]').waitFor({timeout: TIMEOUT});
      assert((await page.locator('#exit-code').textContent()) === '0', 'the exit code is not 0');
      assert((await page.locator('#deployment-repository').textContent()) === rel.repo, 'the repository is not shown');
      assert((await page.locator('#deployment-ref').textContent()) === 'release/1.0', 'the ref is not shown');
      await everyLook(page, '44-deployment');
      // A docker host (docs/deployments.md "Docker hosts"): its two fields show, and are sent, for type docker only.
      await nav('Hosts');
      const add = page.locator('#host-create');
      assert(await add.locator('[name="dockerImage"]').isHidden(), 'the Docker fields show for an ssh host');
      await add.locator('[name="name"]').fill('containers-1');
      await add.locator('[name="address"]').fill('127.0.0.1');
      await add.locator('[name="port"]').fill(String(stack.ssh.port));
      await add.locator('[name="username"]').fill(stack.ssh.user);
      await add.locator('[name="secret"]').fill(stack.ssh.key);
      await add.locator('[name="type"]').selectOption('docker');
      await add.locator('[name="dockerImage"]').fill('alpine:3.20');
      await add.getByRole('button', {name: 'Add host'}).click();
      await page.locator('tr[data-host="containers-1"] [data-docker]', {hasText: 'alpine:3.20'}).waitFor();
      await page.locator('tr[data-host="containers-1"]').getByRole('button', {name: 'Edit'}).click();
      assert((await page.locator('#host-form [name="dockerImage"]').inputValue()) === 'alpine:3.20', 'the image is not in the edit form');
      await noSecrets(page, rel, 'hosts');
      await everyLook(page, '44b-hosts-docker');
      // Gone again: the environments' deployments below pick the tenant's host, and no Engine runs here.
      const listed = (await (await apiCall(rel, 'GET', `/api/v1/${rel.tenantId}/hosts?limit=200`, undefined, owner)).json()).items;
      const dockerHost = listed.find((x) => x.name === 'containers-1');
      assert((await apiCall(rel, 'DELETE', `/api/v1/${rel.tenantId}/hosts/${dockerHost.id}`, undefined, owner)).status === 204,
        'the docker host was not deleted');
      await logout(page);
      await login(page, rel, 'viewer');
      await gotoHash(page, rel, `${relBase}/hosts`);
      await page.locator('tr[data-host="web-1"]').waitFor();
      assert(!(await page.locator('main form, main td button').count()), 'a form or an action is shown to a viewer');
      await logout(page);
    });

    // ---- deployments part 2 (issue 17): environments (protected, approver roles, frozen with a reason), a deployment
    // awaiting approval (no Approve for its requester nor a viewer; an owner's runs it on the sshd), one scheduled later and cancelled ----
    await check('environments: protected with approver roles, frozen and unfrozen; a deployment awaiting an owner\'s approval runs once approved; one scheduled later shows its time and is cancelled', async () => {
      if (!stack.ssh) throw new Error('no sshd: openssh-server is missing (scripts/install-deps test)');
      const nav = (name) => page.getByRole('navigation', {name: 'Main'}).getByRole('link', {name, exact: true}).click();
      await login(page, rel, 'owner');
      await nav('Environments');
      await page.getByRole('heading', {name: 'Environments', level: 1}).waitFor();
      const form = page.locator('#environment-create');
      await form.locator('[name="name"]').fill('production');
      await form.getByLabel('Protected: deployments wait for approvals').check();
      await form.locator('input[type="checkbox"][value="editor"]').uncheck();
      await form.getByRole('button', {name: 'Add environment'}).click();
      await page.locator('tr[data-environment="production"]', {hasText: '1 approval from owners'}).waitFor();
      await form.locator('[name="name"]').fill('staging');
      await form.getByRole('button', {name: 'Add environment'}).click();
      const staging = page.locator('tr[data-environment="staging"]');
      await staging.getByRole('button', {name: 'Freeze'}).click();
      await page.locator('#freeze-reason').fill('release week');
      await page.locator('#freeze-form').getByRole('button', {name: 'Freeze'}).click();
      await staging.locator('[data-status="FROZEN"]').waitFor();
      await staging.getByText('release week').waitFor();
      await everyLook(page, '45-environments');
      await staging.getByRole('button', {name: 'Unfreeze'}).click();
      await staging.locator('[data-status="OPEN"]').waitFor();
      await logout(page);

      // The editor deploys to production (awaiting an owner) and schedules one for tomorrow, then cancels it.
      await login(page, rel, 'editor');
      await nav('Deployments');
      const deploy = page.locator('#deploy-form');
      await deploy.locator('[name="environmentId"]').selectOption({label: 'production (protected)'});
      await deploy.getByRole('button', {name: 'Deploy', exact: true}).click();
      const awaiting = page.locator('tr[data-deployment]', {has: page.locator('[data-status="AWAITING_APPROVAL"]')});
      await awaiting.waitFor();
      const awaitingHash = await awaiting.getByRole('link').getAttribute('href');
      await deploy.locator('[name="schedule"]').selectOption('later');
      const tomorrow = new Date(Date.now() + 86400000);
      const local = new Date(tomorrow.getTime() - tomorrow.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
      await deploy.locator('[name="scheduledTime"]').fill(local);
      await deploy.getByRole('button', {name: 'Deploy', exact: true}).click();
      const scheduled = page.locator('tr[data-deployment]', {has: page.locator('[data-status="SCHEDULED"]')});
      await scheduled.waitFor();
      await everyLook(page, '46-deployments-form');
      await scheduled.getByRole('link').click();
      await page.locator('#scheduled-time').waitFor();
      assert(!(await page.locator('#approve').count()), 'an Approve button is shown on a scheduled deployment');
      await everyLook(page, '47-deployment-scheduled');
      await page.getByRole('button', {name: 'Cancel', exact: true}).click();
      await page.getByRole('dialog').getByRole('button', {name: 'Cancel the deployment'}).click();
      await page.locator('#deployment-summary [data-status="CANCELLED"]').waitFor({timeout: TIMEOUT});
      await gotoHash(page, rel, awaitingHash);
      await page.locator('#deployment-summary [data-status="AWAITING_APPROVAL"]').waitFor();
      assert(!(await page.locator('#approve').count()), 'the requester is offered Approve');
      await logout(page);
      await login(page, rel, 'viewer');
      await gotoHash(page, rel, awaitingHash);
      await page.locator('#deployment-summary [data-status="AWAITING_APPROVAL"]').waitFor();
      assert(!(await page.locator('#approve, main .actions button').count()), 'a viewer is offered an action');
      await logout(page);

      // An owner approves: it runs on the sshd to the end.
      await login(page, rel, 'owner');
      await gotoHash(page, rel, awaitingHash);
      await page.locator('#deployment-environment', {hasText: 'production'}).waitFor();
      await everyLook(page, '48-deployment-awaiting-approval');
      await page.locator('#approve').click();
      await page.locator('#approvals', {hasText: 'you'}).waitFor();
      await page.locator('#deployment-summary [data-status="SUCCEEDED"]').waitFor({timeout: TIMEOUT});
      await page.locator('#deploy-log .line-stdout', {hasText: 'hello'}).waitFor({timeout: TIMEOUT});
      await logout(page);
    });

    // ---- sites, usage, outbound webhook deliveries, sign-up and the instance administrator (issues 19, 16, 18) ----
    let siteHash = null;
    await check('sites: a site made, its settings saved, posts written (the API\'s error at its field), published, previewed, edited and deleted; a domain with its challenge, verified to a reason', async () => {
      const nav = (name) => page.getByRole('navigation', {name: 'Main'}).getByRole('link', {name, exact: true}).click();
      await login(page, rel, 'owner');
      await nav('Sites');
      await page.getByRole('heading', {name: 'Sites', level: 1}).waitFor();
      await page.locator('#site-create [name="name"]').fill('Acme release notes');
      await page.locator('#site-create [name="slug"]').fill('acme');
      await page.getByRole('button', {name: 'Create site'}).click();
      await page.getByRole('region', {name: 'Sites'}).getByRole('link', {name: 'Acme release notes'}).click();
      await page.getByRole('heading', {name: 'Acme release notes', level: 1}).waitFor();
      siteHash = new URL(page.url()).hash;
      await page.getByLabel('Footer').fill('Made by Acme');
      await page.getByLabel('Members may preview drafts and scheduled posts').check();
      // Its apps are the tenant's store targets, offered as checkboxes (docs/sites.md "Which apps a site shows").
      const appStore = () => page.getByRole('group', {name: 'Apps'}).getByRole('checkbox', {name: /\(APP_STORE\)$/});
      await appStore().check();
      await page.getByRole('button', {name: 'Save settings'}).click();
      await page.getByText('Settings saved').waitFor();
      assert(await appStore().isChecked(), 'the App Store target is not kept as the site\'s app');
      const form = page.locator('#post-form');
      await form.locator('[name="title"]').fill('Hello 2.4');
      await form.locator('[name="slug"]').fill('hello-2-4');
      await form.locator('[name="body"]').fill('# Hello\n\nFaster sign-in for everyone.');
      await form.locator('[name="status"]').selectOption('SCHEDULED');
      await form.getByRole('button', {name: 'Add post'}).click();
      const when = form.locator('[name="publishedAt"]').locator('xpath=..').locator('.field-error');
      await when.waitFor();
      assert(/^Publish at /.test(await when.textContent()), `the API's error: ${await when.textContent()}`);
      await form.locator('[name="status"]').selectOption('PUBLISHED');
      await form.getByRole('button', {name: 'Add post'}).click();
      const published = page.locator('tr[data-post="hello-2-4"]');
      await published.locator('[data-status="PUBLISHED"]').waitFor();
      const view = await published.getByRole('link', {name: 'View Hello 2.4'}).getAttribute('href');
      const publicPage = await page.request.get(`${rel.baseUrl}${view}`);
      assert(publicPage.status() === 200 && (await publicPage.text()).includes('Faster sign-in for everyone.'), `the public page: ${publicPage.status()}`);
      await page.locator('#post-form [name="title"]').fill('Next up');
      await page.locator('#post-form [name="slug"]').fill('next-up');
      await page.locator('#post-form [name="body"]').fill('Soon.');
      await page.getByRole('button', {name: 'Add post'}).click();
      const draft = page.locator('tr[data-post="next-up"]');
      await draft.locator('[data-status="DRAFT"]').waitFor();
      const preview = await draft.getByRole('link', {name: 'Preview Next up'}).getAttribute('href');
      assert(preview === '/s/acme/preview/next-up', `the draft's preview: ${preview}`);
      await draft.getByRole('button', {name: 'Edit Next up'}).click();
      await page.locator('#post-edit [name="title"]').fill('Coming next');
      await page.locator('#post-edit').getByRole('button', {name: 'Save post'}).click();
      await page.locator('tr[data-post="next-up"]', {hasText: 'Coming next'}).waitFor();
      await page.getByRole('button', {name: 'Delete Coming next'}).click();
      await confirm(page, /Delete "Coming next"/, 'Delete the post');
      await page.locator('tr[data-post="next-up"]').waitFor({state: 'detached'});
      await page.locator('#domain-create [name="hostName"]').fill('releases.example.com');
      await page.getByRole('button', {name: 'Add domain'}).click();
      const domain = page.locator('tr[data-domain="releases.example.com"]');
      const token = await domain.locator('[data-token]').textContent();
      assert(token.length > 16 && (await domain.textContent()).includes(`/.well-known/slipway-challenge/${token}`), 'the challenge is not shown');
      await domain.getByRole('button', {name: 'Verify releases.example.com'}).click();
      await page.locator('tr[data-domain="releases.example.com"] [data-status="FAILED"]').waitFor();
      assert((await page.locator('tr[data-domain="releases.example.com"] .host-error').textContent()).length > 5, 'no reason for the failure');
      await everyLook(page, '45-site');
      await page.getByRole('button', {name: 'Remove releases.example.com'}).click();
      await confirm(page, /Remove releases\.example\.com/, 'Remove the domain');
      await page.locator('tr[data-domain]').waitFor({state: 'detached'});
    });

    await check('usage: the owner\'s page, a bar chart per metric with its total and a sentence, storage kept, the limits, the numbers as a table, another range', async () => {
      // The administrator's limits, which the owner reads: a counted one resets, storage (a gauge) never does.
      const admin = await (await apiCall(stack, 'POST', '/api/v1/auth/login', {email: stack.admin.email, password: stack.admin.password})).json();
      const limits = [{metric: 'releasesCreated', period: 'month', max: 100}, {metric: 'storageBytes', period: 'day', max: 1000000}];
      assert((await apiCall(stack, 'PUT', `/api/v1/admin/tenants/${rel.tenantId}/limits`, {limits}, admin.token)).status === 200, 'limits not set');
      await page.getByRole('navigation', {name: 'Main'}).getByRole('link', {name: 'Usage', exact: true}).click();
      await page.getByRole('heading', {name: 'Usage', level: 1}).waitFor();
      const api = page.locator('figure[data-metric="apiRequests"]');
      assert(Number(await api.locator('[data-total]').textContent()) > 0, 'no API requests counted');
      assert(Number(await page.locator('figure[data-metric="postsPublished"] [data-total]').textContent()) >= 1, 'the published post is not counted');
      const label = await api.locator('svg[role="img"]').evaluate((s) => document.getElementById(s.getAttribute('aria-labelledby')).textContent);
      assert(/^API requests: \d+ from .* to .*, the most on /.test(label), `the chart's sentence: ${label}`);
      assert(await api.locator('rect.bar').count() === 30, 'a bar per day of the last 30');
      await page.getByRole('region', {name: 'Usage by day'}).locator('tbody tr').first().waitFor();
      const kept = page.locator('figure[data-metric="storageBytes"]');
      assert(Number(await kept.locator('[data-total]').textContent()) > 0, 'the published post\'s body is not kept');
      const keptLabel = await kept.locator('svg[role="img"]').evaluate((s) => document.getElementById(s.getAttribute('aria-labelledby')).textContent);
      assert(/^Storage kept \(bytes\): \d+ at the range's last reading/.test(keptLabel), `storage's sentence: ${keptLabel}`);
      const storageLimit = page.getByRole('region', {name: 'Usage limits'}).locator('tr[data-limit="storageBytes"]');
      assert(/never \(deleting gives back\)/.test(await storageLimit.textContent()), 'storage\'s limit said to reset');
      assert(/per month/.test(await page.locator('tr[data-limit="releasesCreated"]').textContent()), 'the monthly limit\'s period');
      await everyLook(page, '46-usage');
      assert((await apiCall(stack, 'PUT', `/api/v1/admin/tenants/${rel.tenantId}/limits`, {limits: []}, admin.token)).status === 200, 'limits not removed');
      const today = new Date().toISOString().slice(0, 10);
      await page.locator('#usage-from').fill(new Date(Date.now() - 6 * 86400000).toISOString().slice(0, 10));
      await page.locator('#usage-to').fill(today);
      await page.getByRole('button', {name: 'Show'}).click();
      await page.waitForURL(/usage\?from=/);
      await page.locator('figure[data-metric="pageViews"] rect.bar').nth(6).waitFor();
      assert(await page.locator('figure[data-metric="pageViews"] rect.bar').count() === 7, 'a bar per day of the range');
    });

    await check('outbound webhooks: an endpoint\'s deliveries with their answer, one sent again; its secret rotated with an overlap, shown once', async () => {
      const who = await (await apiCall(rel, 'POST', '/api/v1/auth/login', {email: rel.owner.email, password: rel.owner.password})).json();
      const url = 'https://169.254.169.254/hook'; // the outbound guard refuses it: FAILED at once
      const made = await (await apiCall(rel, 'POST', `/api/v1/${rel.tenantId}/webhook-endpoints`, {url, events: ['release.*']}, who.token)).json();
      const ping = await (await apiCall(rel, 'POST', `/api/v1/${rel.tenantId}/webhook-endpoints/${made.id}/ping`, undefined, who.token)).json();
      await apiCall(rel, 'POST', '/api/v1/auth/logout', undefined, who.token);
      const row = page.locator(`tr[data-delivery="${ping.deliveryId}"]`);
      for (let i = 0; i < 50 && !(await row.locator('[data-status="FAILED"]').count()); i++) {
        await gotoHash(page, rel, `${relBase}/notifications`);
        await page.locator('#delivery-endpoint').selectOption(made.id);
        await row.waitFor();
      }
      assert(await page.locator('tr[data-delivery]').count() === 1, 'the filter shows another endpoint\'s deliveries');
      assert((await row.locator('td').nth(3).textContent()) === '1', 'attempts');
      await row.getByRole('button', {name: 'Send webhook.ping again'}).click();
      await page.getByText('webhook.ping: sent again').waitFor();
      await page.locator('tr', {hasText: url}).getByRole('button', {name: 'Rotate secret'}).click();
      await page.getByLabel('Keep signing with the old secret too?').selectOption('86400');
      await page.getByRole('button', {name: 'Rotate now'}).click();
      const secret = await page.locator('#endpoint-secret').inputValue();
      assert(/^whsec_/.test(secret), 'the new secret is not shown');
      assert(/keeps signing beside it until .*2026|keeps signing beside it until/.test(await page.locator('#overlap-note').textContent()), 'the overlap is not stated');
      await axe(page, 'notifications rotated');
      await shot(page, '47-webhook-rotated');
      await page.getByRole('button', {name: 'Done: hide it'}).click();
      await page.getByRole('heading', {name: 'Notifications', level: 1}).waitFor();
      assert(!(await page.content()).includes(secret), 'the secret is still in the page');
      const overlap = page.locator('tr', {hasText: url}).locator('.secret-overlap');
      await overlap.waitFor();
      assert(/old secret also signs until/.test(await overlap.textContent()), 'the endpoint does not say until when the old secret signs');
      await shot(page, '47b-webhook-overlap-listed');
      await logout(page);
    });

    await check('outbound webhooks: the delivery log pages past its latest 50 with the API\'s cursor', async () => {
      const who = await (await apiCall(rel, 'POST', '/api/v1/auth/login', {email: rel.owner.email, password: rel.owner.password})).json();
      const made = await (await apiCall(rel, 'POST', `/api/v1/${rel.tenantId}/webhook-endpoints`, {url: 'https://169.254.169.254/paged', events: ['release.*']}, who.token)).json();
      const pings = [];
      for (let i = 0; i < 51; i++) pings.push((await (await apiCall(rel, 'POST', `/api/v1/${rel.tenantId}/webhook-endpoints/${made.id}/ping`, undefined, who.token)).json()).deliveryId);
      await apiCall(rel, 'POST', '/api/v1/auth/logout', undefined, who.token);
      await login(page, rel, 'owner');
      await gotoHash(page, rel, `${relBase}/notifications`);
      await page.locator('#delivery-endpoint').selectOption(made.id);
      await page.locator('.log-pager[aria-busy]').waitFor({state: 'detached'}); // the filtered page has replaced the first one
      const pages = page.getByRole('navigation', {name: 'Webhook deliveries pages'});
      await pages.getByText('Page 1').waitFor();
      const ids = () => page.locator('tr[data-delivery]').evaluateAll((rows) => rows.map((r) => r.dataset.delivery));
      const first = await ids();
      assert(first.length === 50, `the first page holds ${first.length}`);
      await pages.getByRole('button', {name: 'Older'}).click();
      await pages.getByText('Page 2').waitFor();
      const second = await ids();
      assert(second.length === 1 && await pages.getByRole('button', {name: 'Older'}).isDisabled(), `the last page holds ${second.length}`);
      assert(new Set([...first, ...second]).size === 51 && pings.every((id) => first.includes(id) || second.includes(id)), 'the two pages are not the 51 pings');
      await pages.getByRole('button', {name: 'Newer'}).click();
      await pages.getByText('Page 1').waitFor();
      assert(await page.locator('tr[data-delivery]').count() === 50, 'back on the first page');
      await logout(page);
    });

    await check('an endpoint slipway disabled says why and is turned on again; the release page shows its candidate\'s TestRail run', async () => {
      // the first tenant's owner (stack.py disabled the endpoint in the database), signed in through the API: same cookies
      const signed = await page.request.post(`${stack.baseUrl}/api/v1/auth/login`, {data: {email: stack.owner.email, password: stack.owner.password, cookie: true}});
      assert(signed.status() === 200, `the owner's login answered ${signed.status()}: ${await signed.text()}`);
      await gotoHash(page, stack, `#/t/${stack.tenantId}/notifications`);
      const row = page.locator('tr', {hasText: 'https://hooks.example.com/failing'});
      await row.locator('.disabled-reason', {hasText: '50 failed attempts in a row since'}).waitFor();
      await everyLook(page, '47b-webhook-disabled');
      await row.getByRole('button', {name: 'Turn on again'}).click();
      await page.locator('tr', {hasText: 'https://hooks.example.com/failing'}).getByText('Enabled', {exact: true}).waitFor();
      assert(!(await page.locator('.disabled-reason').count()), 'the reason stays once turned on');
      await logout(page);
      await login(page, rel, 'owner');
      await gotoHash(page, rel, releaseHash);
      const run = page.locator('#test-runs li[data-candidate="1"]');
      await run.getByRole('link', {name: '2.4.0 RC1'}).waitFor({timeout: 20000});
      assert(/0\.0% passed \(0 of 10\)/.test(await run.textContent()), `the run's rate: ${await run.textContent()}`);
      await everyLook(page, '47c-release-test-runs');
      await logout(page);
    });

    await check('viewer: reads a site\'s settings, posts and domains, with no form and no action', async () => {
      await login(page, rel, 'viewer');
      await gotoHash(page, rel, siteHash);
      await page.locator('#site-settings').getByText('Made by Acme').waitFor();
      await page.locator('#site-settings').getByText(/\(APP_STORE\)/).waitFor(); // its app, by name
      await page.locator('tr[data-post="hello-2-4"]').waitFor();
      assert(!(await page.locator('main form, main button').count()), 'a form or an action is shown to a viewer');
      assert(!(await page.getByRole('link', {name: 'Usage'}).count()), 'the usage link is shown to a viewer');
      await axe(page, 'viewer site');
      await logout(page);
    });

    const signup = {email: `signup-${Date.now()}@example.com`, password: `pw-${Math.random().toString(36).slice(2)}-${Date.now()}`};
    await check('sign-up: closed, the page says so with the server\'s reason; open, an account and its tenant, logged in at its setup; no instance page for it', async () => {
      await page.getByRole('link', {name: 'Create an account'}).click();
      await page.getByRole('heading', {name: 'Create an account'}).waitFor();
      await everyLook(page, '48-signup');
      // The stack's server has sign-up on: its answer when off (the 404 and its words) is played back once.
      await page.route('**/api/v1/auth/signup', (r) => r.fulfill({status: 404, contentType: 'application/json',
        body: JSON.stringify({error: {code: 'not_found', message: 'sign-up is off on this instance: ask an owner for an invitation', details: []}})}), {times: 1});
      await page.getByLabel('E-mail address').fill(signup.email);
      await page.getByLabel('Choose a password').fill(signup.password);
      await page.getByLabel('Organisation name').fill('Signup Co');
      await page.getByRole('button', {name: 'Create my account'}).click();
      await page.locator('#signup-closed').getByText('Sign-up is closed on this slipway.').waitFor();
      assert(/ask an owner for an invitation/.test(await page.locator('#signup-closed').textContent()), 'the reason is not shown');
      await axe(page, 'sign-up closed');
      await shot(page, '48b-signup-closed');
      await page.locator('#signup-closed').getByRole('link', {name: 'Log in'}).click();
      await page.getByRole('heading', {name: 'Log in to slipway'}).waitFor();
      await page.getByRole('link', {name: 'Create an account'}).click();
      await page.locator('#signup-form').waitFor();
      await page.getByLabel('E-mail address').fill(signup.email);
      await page.getByLabel('Choose a password').fill('short');
      await page.getByLabel('Organisation name').fill('Signup Co');
      await page.getByRole('button', {name: 'Create my account'}).click();
      await page.locator('#signup-form .field-error:not([hidden])').first().waitFor();
      assert(/^Choose a password must be 8 to 1024 characters/.test(await page.locator('#signup-form .field-error:not([hidden])').textContent()), 'the API\'s error is not at the password');
      await page.getByLabel('Choose a password').fill(signup.password);
      await page.getByRole('button', {name: 'Create my account'}).click();
      await page.getByRole('heading', {name: /Step 1 of 5/}).waitFor();
      assert((await page.locator('#tenant-switch option').allTextContents()).includes('Signup Co (owner)'), 'the new tenant is not in the switcher');
      assert(!(await page.getByRole('link', {name: 'Instance'}).count()), 'the instance page is offered to an account that is no administrator');
      await gotoHash(page, stack, '#/admin');
      await page.getByRole('heading', {name: 'Not found'}).waitFor();
      await logout(page);
    });

    await check('instance administrator: every tenant with its members; a tenant made for its owner (the link shown once); an account disabled and enabled, made administrator and not; the API\'s refusal in words', async () => {
      await login(page, stack, 'admin');
      await page.getByRole('navigation', {name: 'Main'}).getByRole('link', {name: 'Instance', exact: true}).click();
      await page.getByRole('heading', {name: 'Instance', level: 1}).waitFor();
      const signupCo = page.locator('tr[data-tenant="Signup Co"]');
      assert((await signupCo.locator('td.num').textContent()) === '1', 'the member count');
      await page.getByLabel('Organisation name').fill('Newco');
      await page.getByLabel('Owner\'s e-mail address').fill('newco-owner@example.com');
      await page.getByRole('button', {name: 'Create tenant'}).click();
      assert(/\/#\/invite\/slwi_[A-Za-z0-9_-]{43}$/.test(await page.locator('#owner-link').inputValue()), 'the owner invitation link');
      await shot(page, '49-admin-tenant-made');
      await page.getByRole('button', {name: 'Done: hide it'}).click();
      await page.locator('tr[data-tenant="Newco"]').waitFor();
      const acct = page.locator(`tr[data-account="${signup.email}"]`);
      await acct.getByRole('button', {name: `Disable: ${signup.email}`}).click();
      await confirm(page, /^Disable: /, 'Disable');
      await acct.locator('[data-status="DISABLED"]').waitFor();
      const refused = await apiCall(stack, 'POST', '/api/v1/auth/login', {email: signup.email, password: signup.password});
      assert(refused.status === 401, `a disabled account logs in: ${refused.status}`);
      await acct.getByRole('button', {name: `Enable: ${signup.email}`}).click();
      await confirm(page, /^Enable: /, 'Enable');
      await acct.locator('[data-status="ACTIVE"]').waitFor();
      await acct.getByRole('button', {name: `Make administrator: ${signup.email}`}).click();
      await confirm(page, /^Make administrator: /, 'Make administrator');
      await acct.getByText('Administrator', {exact: true}).waitFor();
      await acct.getByRole('button', {name: `Remove administrator: ${signup.email}`}).click();
      await confirm(page, /^Remove administrator: /, 'Remove administrator');
      await acct.getByRole('button', {name: `Make administrator: ${signup.email}`}).waitFor();
      const me = page.locator(`tr[data-account="${stack.admin.email}"]`);
      await me.getByRole('button', {name: `Disable: ${stack.admin.email}`}).click();
      await confirm(page, /^Disable: /, 'Disable');
      await page.locator('#admin-accounts ~ .error-box:not([hidden])').waitFor();
      await everyLook(page, '50-admin');
      await noSecrets(page, stack, 'instance page');
      await logout(page);
    });

    // ---- the release page's store panels (issue 15): submit to Google Play with a plan, halt, resume, go to 100% ----
    const st = {...stack, ...stack.stores};
    const storeHash = `#/t/${st.tenantId}/releases/${st.releaseId}`;
    const play = page.locator('#submissions .store-card[data-target="PLAY_STORE"][data-track="internal"]');
    const playStatus = (status) => play.locator(`.badge[data-status="${status}"]`).waitFor({timeout: 20000});
    await check('release page, stores: an editor submits to Google Play with a plan; the rollout panel shows the share, the stages and the next step; halt, resume and go to 100% each ask first', async () => {
      await login(page, st, 'editor');
      await gotoHash(page, st, storeHash);
      const form = page.locator('#submission-form');
      await form.getByLabel('Track').fill('internal'); // promoted to production at the end
      await form.getByLabel('Build number').fill(st.buildNumber);
      await form.getByLabel('Rollout plan (%)').fill('10, 50, 100');
      await form.getByLabel('Minutes between stages').fill('60');
      await form.getByLabel('Health watched by').selectOption({index: 1}); // the stack's Sentry project: 98.7% crash-free
      await form.getByLabel('Threshold').fill('99.5');
      await form.getByLabel('Breach lasts (minutes)').fill('60');
      await form.getByRole('button', {name: 'Submit'}).click();
      await playStatus('ROLLING_OUT');
      await play.locator('[data-field="health-breach"]').waitFor({timeout: 20000}); // the first reading, over the release's stream
      assert((await play.locator('[data-field="health-value"]').textContent()) === '98.7%', 'the health figure is not 98.7%');
      assert(/under 99\.5% for 60 min/.test(await play.locator('[data-field="health-rule"]').textContent()), 'the rule is not shown');
      assert(/crash-free sessions below the threshold since .*halt once it has lasted 60 min/.test(
        await play.locator('[data-field="health-breach"]').textContent()), 'the breach is not said in words');
      // a later reading reaches the page over the release's stream (release-health), without a reload
      const health = (session) => fetch(`${st.control}/sentry/data`, {method: 'POST', headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({health: {[st.healthKey]: {session, user: 0.995, errored: 13}}})});
      assert((await health(0.999)).ok, 'the Sentry fake did not take the new figures');
      await play.locator('[data-field="health-value"]', {hasText: /^99\.9%$/}).waitFor({timeout: 20000});
      await play.locator('[data-field="health-ok"]').waitFor();
      assert(!(await play.locator('[data-field="health-breach"]').count()), 'the breach is still shown once the figure is back');
      await everyLook(page, '51a-release-store-health-live');
      assert((await health(0.987)).ok, 'the Sentry fake did not take the old figures back');
      await play.locator('[data-field="health-breach"]').waitFor({timeout: 20000});
      assert((await play.locator('[data-field="share"]').textContent()) === '10%', 'the share is not 10%');
      assert((await play.locator('.plan-stages li[aria-current="step"]').getAttribute('data-stage')) === '0', 'the first stage is not current');
      const next = await play.locator('[data-field="next"]').textContent();
      assert(/^Next: 50% at .*\b(CET|CEST|GMT\+\d)/.test(next), `next step: ${next}`);
      await everyLook(page, '51-release-store-rolling-out');
      await play.getByRole('button', {name: 'Halt'}).click();
      await page.getByRole('dialog').getByText('No new users get build').waitFor();
      await shot(page, '52-release-store-halt-dialog', true);
      await confirm(page, /^Halt the rollout\?$/, 'Halt');
      await playStatus('HALTED');
      assert(/plan waits/.test(await play.locator('[data-field="next"]').textContent()), 'a halted plan does not say it waits');
      await play.getByRole('button', {name: 'Resume'}).click();
      await confirm(page, /^Resume the rollout\?$/, 'Resume');
      await playStatus('ROLLING_OUT');
      // the manual share: 25% by hand, asked first, between the plan's stages (it stays at 10%'s, its wait begun again)
      await play.getByLabel('Share %').fill('25');
      await play.getByRole('button', {name: 'Roll out'}).click();
      await page.getByRole('dialog').getByText(`Google Play gives build ${st.buildNumber} to 25% of users instead of 10%.`).waitFor();
      await shot(page, '52b-release-store-share-dialog', true);
      await confirm(page, /^Roll out to 25%\?$/, 'Roll out');
      await play.locator('[data-field="share"]', {hasText: /^25%$/}).waitFor({timeout: 20000});
      await playStatus('ROLLING_OUT');
      assert((await play.locator('.plan-stages li[aria-current="step"]').getAttribute('data-stage')) === '0', 'a share between stages moved the plan');
      assert(/^Next: 50% at /.test(await play.locator('[data-field="next"]').textContent()), 'the plan\'s next stage is not 50%');
      assert((await play.getByLabel('Share %').inputValue()) === '35', 'the share form does not offer 10 points more');
      await everyLook(page, '52c-release-store-manual-share');
      await play.getByRole('button', {name: 'Go to 100%'}).click();
      await confirm(page, /^Go to 100%\?$/, 'Go to 100%');
      await playStatus('RELEASED');
      assert((await play.locator('[data-field="share"]').textContent()) === '100%', 'released is not 100%');
      assert(!(await play.locator('[data-action="resume"], [data-action="complete"]').count()), 'resume or 100% on a released submission');
      await play.locator('[data-action="halt"]').waitFor(); // Play halts a full rollout too: the previous release comes back
      await play.getByText('Promote to another track').waitFor();
      await everyLook(page, '53-release-store-released');
      // promote: internal to production, for everyone at once, through its dialog
      await play.getByText('Promote to another track').click();
      await play.getByLabel('Track').selectOption('production');
      await play.getByRole('button', {name: 'Promote'}).click();
      await page.getByRole('dialog').getByText('gets a new submission of this build on production for everyone').waitFor();
      await confirm(page, new RegExp(`^Promote build ${st.buildNumber} to production\\?$`), 'Promote');
      const production = page.locator('#submissions .store-card[data-target="PLAY_STORE"][data-track="production"]');
      await production.locator('.badge[data-status="RELEASED"]').waitFor({timeout: 20000});
      assert((await production.locator('[data-field="share"]').textContent()) === '100%', 'production is not at 100%');
      await playStatus('RELEASED'); // the internal track's submission stays as it was
      await logout(page);
    });

    await check('release page, stores: a viewer sees the same panels with no button and no form', async () => {
      await login(page, st, 'viewer');
      await gotoHash(page, st, storeHash);
      await playStatus('RELEASED');
      assert(!(await page.locator('#submissions button, #submissions form, #submissions details').count()), 'a control is shown to a viewer');
      await play.locator('.plan-stages li').nth(2).waitFor();
      await axe(page, 'viewer release stores');
      // an App Store rejection: its reason as App Store Connect gave it (the fake's REJECTED), on the card
      await gotoHash(page, st, `#/t/${st.tenantId}/releases/${st.rejectedReleaseId}`);
      const ios = page.locator('#submissions .store-card[data-target="APP_STORE"]');
      await ios.locator('.badge[data-status="REJECTED"]').waitFor();
      const reason = await ios.locator('[data-field="reason"]').textContent();
      assert(/^The store says: App Review rejected version 5\.0\.1 \(REJECTED\)/.test(reason), `rejection: ${reason}`);
      await shot(page, '54-release-store-rejected');
      await logout(page);
    });

    await check('release page, stores: a relative time ages where it stands (a card kept across redraws does not say "just now" for ever)', async () => {
      await login(page, st, 'viewer');
      const later = await context.newPage(); // the same session, on a clock of its own
      try {
        await later.clock.install();
        await gotoHash(later, st, storeHash);
        const submitted = later.locator('#submissions .store-card[data-target="PLAY_STORE"][data-track="production"] time[data-relative]').first();
        const kept = await submitted.elementHandle(); // this very element, not one a redraw would put in its place
        const said = () => kept.evaluate((e) => (e.isConnected ? e.firstChild.nodeValue : 'no longer on the page'));
        const before = await said();
        assert(!/hour/.test(before), `the submission is hours old already: ${before}`);
        await later.clock.fastForward('03:00:00'); // the page's timers only: polled from here, not by the page
        let now = await said();
        for (const deadline = Date.now() + 5000; now !== '3 hours ago' && Date.now() < deadline; now = await said()) {
          await new Promise((r) => setTimeout(r, 100));
        }
        assert(now === '3 hours ago', `three hours on, the card says "${now}" (it said "${before}")`);
      } finally {
        await later.close();
      }
      await logout(page);
    });

    // ---- the App Store's phased release (issue 15): started from an approved version, halted (paused) and resumed ----
    await check('release page, stores: an editor starts the App Store\'s phased release of an approved version, halts and resumes it, each asking first', async () => {
      await login(page, st, 'editor');
      await gotoHash(page, st, `#/t/${st.tenantId}/releases/${st.approvedReleaseId}`);
      const ios = page.locator('#submissions .store-card[data-target="APP_STORE"]');
      const iosStatus = (status) => ios.locator(`.badge[data-status="${status}"]`).waitFor({timeout: 20000});
      await iosStatus('APPROVED');
      await ios.getByRole('button', {name: 'Release', exact: true}).waitFor();
      await ios.getByRole('button', {name: 'Start phased release'}).click();
      await page.getByRole('dialog').getByText('over 7 days (1%, 2%, 5%, 10%, 20%, 50%, 100%)').waitFor();
      await confirm(page, /^Start a phased release\?$/, 'Start the phased release');
      await iosStatus('ROLLING_OUT');
      await ios.locator('[data-field="share"]', {hasText: '1%'}).waitFor();
      await everyLook(page, '54b-release-appstore-phased');
      await ios.getByRole('button', {name: 'Halt'}).click();
      await confirm(page, /^Halt the rollout\?$/, 'Halt');
      await iosStatus('HALTED');
      await ios.getByRole('button', {name: 'Resume'}).click();
      await confirm(page, /^Resume the rollout\?$/, 'Resume');
      await iosStatus('ROLLING_OUT');
      await ios.locator('[data-action="halt"]').waitFor();
      await logout(page);
    });

    await check('release page, stores: an editor distributes a build to Firebase App Distribution\'s testers (a group and an e-mail)', async () => {
      await login(page, st, 'editor');
      await gotoHash(page, st, `#/t/${st.tenantId}/releases/${st.testersReleaseId}`);
      const form = page.locator('#submission-form');
      await form.getByLabel('Distribute with').selectOption({index: 1});
      await form.getByLabel('Build number').fill(st.buildNumber);
      await form.getByLabel('Tester groups').fill('qa');
      await form.getByLabel('Tester e-mails').fill('ana@example.com');
      await shot(page, '54c-release-firebase-form');
      await form.getByRole('button', {name: 'Submit'}).click();
      const firebase = page.locator('#submissions .store-card[data-target="FIREBASE"][data-track="testers"]');
      await firebase.locator('.badge[data-status="RELEASED"]').waitFor({timeout: 20000});
      await everyLook(page, '54d-release-firebase');
      await logout(page);
    });

    await check('release page, stores: an editor submits a hotfix to Google Play carrying the rollout share over (20% on beta)', async () => {
      await login(page, st, 'editor');
      await gotoHash(page, st, `#/t/${st.tenantId}/releases/${st.hotfixReleaseId}`);
      const form = page.locator('#submission-form');
      await form.getByLabel('Track').fill('beta');
      await form.getByLabel('Build number').fill(st.hotfixBuildNumber);
      await form.getByLabel('Carry the rollout share over').check();
      await everyLook(page, '54e-release-hotfix-carry-form');
      await form.getByRole('button', {name: 'Submit'}).click();
      const beta = page.locator('#submissions .store-card[data-target="PLAY_STORE"][data-track="beta"]');
      await beta.locator('.badge[data-status="ROLLING_OUT"]').waitFor({timeout: 20000});
      await beta.locator('[data-field="share"]', {hasText: /^20%$/}).waitFor({timeout: 20000});
      await everyLook(page, '54f-release-hotfix-carried');
      await logout(page);
    });

    await check('no script error and no CSP violation on any page', async () => {
      assert(!pageProblems.length, pageProblems.slice(0, 5).join('\n'));
    });

    await check('single sign-on: a failed sign-on comes back to the login page in words; the organisation\'s name finds its provider, which signs a user in (the real oidc-provider) and lands on the overview', async () => {
      if (!stack.sso) throw new Error('no identity provider: node or tests/oidc/node_modules is missing (scripts/install-deps test)');
      await context.clearCookies();
      await page.goto(`${stack.baseUrl}/api/v1/auth/oidc/callback?code=x&state=${'A'.repeat(43)}`);
      await page.getByText(/Single sign-on did not sign you in: .*start again/).waitFor();
      assert(!page.url().includes('sso_error'), `the reason stays in the address: ${page.url()}`);
      await page.getByLabel('Work e-mail or organisation').fill(stack.sso.slug);
      await page.getByRole('button', {name: 'Find my sign-on'}).click();
      const choice = page.getByRole('link', {name: `Sign in with ${stack.sso.provider}`});
      await choice.waitFor();
      await everyLook(page, '01b-login-sso');
      await choice.click();
      await page.locator('input[name=user]').fill(stack.sso.user); // oidc-provider's interaction (tests/oidc/idp.mjs)
      await page.locator('input[name=user]').press('Enter');
      await page.getByRole('heading', {name: 'Overview'}).waitFor({timeout: TIMEOUT});
      assert(page.url().endsWith(base), `after the sign-on: ${page.url()}`);
      const who = await page.locator('#account .who').textContent();
      assert(who === stack.sso.email, `signed in as ${who}, not ${stack.sso.email}`);
      // Made just in time, the account has no password: its page says it signs in through single sign-on, offers no
      // password change nor two-factor sign-in, and no first password on this instance, which sends no mail.
      await gotoHash(page, stack, '#/account');
      await page.locator('#password-none').getByText('You sign in through single sign-on').waitFor();
      await page.locator('#password-no-mail').waitFor();
      assert(!(await page.locator('#password-form').count()), 'a password change for an account without a password');
      await page.locator('#totp-sso').waitFor();
      assert(!(await page.getByRole('button', {name: 'Turn on two-factor sign-in'}).count()), 'two-factor sign-in offered without a password');
      await everyLook(page, '19e-account-sso');
      // The next visit offers the provider used last at once.
      await logout(page);
      await page.getByRole('link', {name: `Sign in with ${stack.sso.provider}`}).waitFor();
    });

    // ---- the login page's other ways in (issue 18): sign-up only when open, a forgotten password by mail ----
    await check('login page: the sign-up link when sign-up is open; "Forgot password?" only where the instance mails', async () => {
      await page.goto(`${stack.baseUrl}/#/login`);
      await page.getByRole('link', {name: 'Create an account'}).waitFor(); // the stack's SLIPWAY_OPEN_SIGNUP
      assert(!(await page.getByRole('link', {name: 'Forgot password?'}).count()), 'a reset link on an instance that sends no mail');
      await page.goto(`${stack.mail.baseUrl}/#/login`);
      await page.getByRole('link', {name: 'Forgot password?'}).waitFor();
      assert(!(await page.getByRole('link', {name: 'Create an account'}).count()), 'the sign-up link while sign-up is off');
    });

    await check('an invitation page offers the tenant\'s single sign-on, whose login carries the invitation', async () => {
      if (!stack.sso) return; // node or tests/oidc's packages missing: the stack has no sign-on
      const owner = (await (await apiCall(stack, 'POST', '/api/v1/auth/login', {email: stack.owner.email, password: stack.owner.password})).json()).token;
      const made = await (await apiCall(stack, 'POST', `/api/v1/${stack.tenantId}/invitations`, {email: `sso-invitee-${Date.now()}@example.com`, role: 'viewer'}, owner)).json();
      await apiCall(stack, 'POST', '/api/v1/auth/logout', undefined, owner);
      await page.goto(`${stack.baseUrl}/#/invite/${made.inviteToken}`);
      const offer = page.locator('#invite-sso').getByRole('link', {name: `Sign in with ${stack.sso.provider}`});
      await offer.waitFor();
      assert((await offer.getAttribute('href')).endsWith(`/start?invite=${made.inviteToken}`), 'the login does not carry the invitation');
      await everyLook(page, '49d-invite-sso');
    });

    await check('forgot password: the mailed link sets a new password once, and the new one logs in', async () => {
      const m = stack.mail;
      await page.goto(`${m.baseUrl}/#/login`);
      await page.getByRole('link', {name: 'Forgot password?'}).click();
      await page.getByRole('heading', {name: 'Forgot your password?'}).waitFor();
      await everyLook(page, '49-forgot');
      await page.getByLabel('E-mail address').fill(m.email);
      await page.getByRole('button', {name: 'Send me a link'}).click();
      await page.getByRole('heading', {name: 'Check your mail'}).waitFor();
      // The mail as the SMTP fake received it (tests/fakes/fake_smtp.py), read through the fakes' control plane.
      let link = null;
      for (const deadline = Date.now() + TIMEOUT; !link && Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
        const items = (await (await fetch(`${m.control}/smtp/requests?since=0`)).json()).items;
        const texts = items.filter((e) => e.session).flatMap((e) => e.session.messages)
          .filter((msg) => msg.to.some((to) => to.includes(m.email))).map((msg) => {
            const b64 = msg.data.match(/Content-Type: text\/plain[^]*?Content-Transfer-Encoding: base64\r\n\r\n([A-Za-z0-9+/=\r\n]+)/);
            return b64 ? Buffer.from(b64[1].replace(/\s/g, ''), 'base64').toString('utf8') : msg.data; // the plain-text part
          });
        link = texts.map((t) => t.match(/\/#\/reset\/(slwr_[A-Za-z0-9_-]{43})/)).find(Boolean)?.[0] || null;
      }
      assert(link, 'no reset mail reached the SMTP fake');
      await page.goto(`${m.baseUrl}${link}`);
      await page.getByRole('heading', {name: 'Set a new password'}).waitFor();
      await everyLook(page, '49b-reset');
      const fresh = `pw-${Math.random().toString(36).slice(2)}-${Date.now()}`;
      await page.getByLabel('New password').fill(fresh);
      await page.getByRole('button', {name: 'Set my password'}).click();
      await page.getByRole('heading', {name: 'Your password is set'}).waitFor();
      await axe(page, 'password set');
      await shot(page, '49c-reset-done');
      // The link works once (the page is still at it: loaded afresh).
      await page.reload();
      await page.getByRole('heading', {name: 'Set a new password'}).waitFor();
      await page.getByLabel('New password').fill(`${fresh}-again`);
      await page.getByRole('button', {name: 'Set my password'}).click();
      await page.getByText('This link is not valid any more').waitFor();
      await page.goto(`${m.baseUrl}/#/login`);
      await page.getByLabel('E-mail address').fill(m.email);
      await page.getByLabel('Password').fill(fresh);
      await page.getByRole('button', {name: 'Log in'}).click();
      await page.locator('#account .who').waitFor();
      assert((await page.locator('#account .who').textContent()) === m.email, 'not logged in with the new password');
      await logout(page);
    });

    // ---- single sign-on's e-mail domains proven by DNS (issue 18): the owner's page, the DNS fake of tests/ui/stack.py ----
    await check('single sign-on page: claim a domain (the API\'s refusal at the field), see its TXT record, Check now: proven where the record is published, not proven with the reason where it is not', async () => {
      if (!stack.sso) throw new Error('no identity provider: node or tests/oidc/node_modules is missing (scripts/install-deps test)');
      await login(page, stack, 'owner');
      await page.getByRole('link', {name: 'Single sign-on'}).click();
      const provider = page.locator(`section[data-provider="${stack.sso.provider}"]`);
      const published = provider.locator(`[data-iam-domain="${stack.sso.publishedDomain}"]`);
      await published.locator('.badge[data-status="UNCHECKED"]').waitFor();
      assert((await published.locator('[data-record="name"]').textContent()) === `_slipway-sso.${stack.sso.publishedDomain}`, 'record name');
      await published.getByRole('button', {name: `Check now for ${stack.sso.publishedDomain}`}).click();
      await published.locator('.badge[data-status="PROVEN"]').waitFor();
      const domain = provider.getByLabel('Work e-mail domain');
      await domain.fill(`elsewhere-${Date.now()}.example`); // not the owner's own address's domain: the API refuses it
      await provider.getByRole('button', {name: 'Claim the domain'}).click();
      await provider.locator('[aria-invalid="true"]').waitFor();
      const refusal = await provider.locator('.field').filter({has: page.getByLabel('Work e-mail domain')}).textContent();
      assert(/only the domain of your own e-mail address/.test(refusal), `the refusal at the field: ${refusal}`);
      const unpublished = stack.owner.email.split('@')[1]; // claimable, and nobody publishes its record
      await domain.fill(unpublished);
      await provider.getByRole('button', {name: 'Claim the domain'}).click();
      const claimed = provider.locator(`[data-iam-domain="${unpublished}"]`);
      const value = await claimed.locator('[data-record="value"]').textContent();
      assert(/^[A-Za-z0-9_-]{43}$/.test(value), `record value: ${value}`);
      await claimed.getByRole('button', {name: `Check now for ${unpublished}`}).click();
      await claimed.locator('.badge[data-status="NOT_PROVEN"]').waitFor();
      const why = await claimed.locator('[data-last-error]').textContent();
      assert(/TXT|record|found/i.test(why), `not proven, in words: ${why}`);
      await everyLook(page, '55-sso-domains');
      await logout(page);
    });

    await check('single sign-on page: group rules added, reordered and removed (a group twice refused at its field); a provider edited with its secret left empty (kept), added and deleted', async () => {
      if (!stack.sso) throw new Error('no identity provider: node or tests/oidc/node_modules is missing (scripts/install-deps test)');
      const providers = async () => (await (await apiCall(stack, 'GET', `/api/v1/${stack.tenantId}/iam/providers`, undefined, ownerToken)).json()).items;
      const okta = async () => (await providers()).find((p) => p.name === stack.sso.provider);
      const before = await okta();
      await login(page, stack, 'owner');
      await page.getByRole('link', {name: 'Single sign-on'}).click();
      const provider = page.locator(`section[data-provider="${stack.sso.provider}"]`);
      const addRule = async (group, role) => {
        await provider.locator('form[id^="rule-"] [name="group"]').fill(group);
        await provider.locator('form[id^="rule-"] [name="role"]').selectOption(role);
        await provider.getByRole('button', {name: 'Add the rule'}).click();
      };
      await addRule('release-admins', 'owner');
      await provider.locator('ol.rules > li:last-child[data-group="release-admins"]').waitFor();
      await provider.getByRole('button', {name: 'Move up release-admins'}).click();
      await provider.locator('ol.rules > li:first-child[data-group="release-admins"]').waitFor();
      const ranked = (await okta()).groupMappings.map((r) => `${r.group}:${r.role}:${r.priority}`).join(' ');
      assert(ranked === 'release-admins:owner:2 eng:editor:1', `the rules as saved: ${ranked}`);
      await addRule('eng', 'viewer');
      await provider.locator('[aria-invalid="true"]').waitFor();
      const twice = await provider.locator('form[id^="rule-"] .field').filter({has: page.locator('[name="group"]')}).textContent();
      assert(/has a rule already/.test(twice), `the refusal at the field: ${twice}`);
      await provider.getByRole('button', {name: `Edit ${stack.sso.provider}`}).click();
      const form = page.locator('#provider-form');
      const secret = form.getByLabel('Client secret');
      assert((await secret.inputValue()) === '' && (await secret.getAttribute('placeholder')) === before.clientSecret, 'the secret: empty, its mask as the hint');
      assert(/Leave empty to keep it/.test(await form.locator('.field').filter({has: page.getByLabel('Client secret')}).textContent()), 'the secret field says how to keep it');
      await form.getByLabel('Default role').selectOption('editor');
      await everyLook(page, '56-sso-rules-and-edit');
      await form.getByRole('button', {name: 'Save'}).click();
      await form.waitFor({state: 'detached'});
      const after = await okta();
      assert(after.defaultRole === 'editor' && after.clientSecret === before.clientSecret, `saved: ${after.defaultRole}, secret kept: ${after.clientSecret}`);
      await provider.getByRole('button', {name: 'Remove release-admins'}).click();
      await provider.locator('li[data-group="release-admins"]').waitFor({state: 'detached'});
      assert((await okta()).groupMappings.map((r) => r.group).join() === 'eng', 'the rule removed');
      const add = page.locator('#provider-create');
      const typed = `ui-secret-${Date.now()}`;
      await add.getByLabel('Name').fill('Entra');
      await add.getByLabel('Type').selectOption('AZURE');
      await add.getByLabel('Issuer').fill(stack.sso.issuer);
      await add.getByLabel('Client ID').fill('ui-client');
      await add.getByLabel('Client secret').fill(typed);
      await add.getByRole('button', {name: 'Add the provider'}).click();
      const entra = page.locator('section[data-provider="Entra"]');
      await entra.waitFor();
      assert(!(await page.content()).includes(typed), 'the secret typed is not in the page');
      await entra.getByRole('button', {name: 'Delete Entra'}).click();
      await page.getByRole('button', {name: 'Delete the provider'}).click();
      await entra.waitFor({state: 'detached'});
      assert(!(await providers()).some((p) => p.name === 'Entra'), 'the provider deleted');
      await apiCall(stack, 'PATCH', `/api/v1/${stack.tenantId}/iam/providers/${before.id}`, {defaultRole: before.defaultRole}, ownerToken);
      await logout(page);
    });

    await check('works offline: no page ever fetched anything from another host', async () => {
      assert(!foreign.length, `fetched: ${foreign.slice(0, 5).join(', ')}`);
    });
  } finally {
    if (ownerToken) await apiCall(stack, 'POST', '/api/v1/auth/logout', undefined, ownerToken).catch(() => {});
    await context.close();
    rmSync(profile, {recursive: true, force: true});
    const code = await stopStack(child);
    await check('the server stopped cleanly, with no secret in its log', async () => {
      assert(code === 0, `stack.py exited ${code}`);
    });
  }
  console.log(`browser tests took ${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots in ${artifacts}`);
  console.log(`${results.passed} passed, ${results.failed} failed`);
  process.exit(results.failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  console.log(`${results.passed} passed, ${results.failed + 1} failed`);
  process.exit(1);
});
