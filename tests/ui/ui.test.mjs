// Browser tests of slipway's web UI (docs/ui.md): playwright-core drives
// Debian's chromium, headless, against a real slipway whose providers are
// the test fakes (stack.py). Screenshots of every page go to $UI_ARTIFACTS.
//
//   node tests/ui/ui.test.mjs     (SLIPWAY_BIN=build/slipway, UI_ARTIFACTS=build/ui-artifacts)
//
// Prints one line per check and closes with "N passed, N failed".

import {spawn} from 'node:child_process';
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
async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.passed += 1;
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.failed += 1;
    console.log(`FAIL ${name}\n     ${String(e && e.stack || e).split('\n').slice(0, 6).join('\n     ')}`);
  }
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}

// ---- page helpers -------------------------------------------------------------

const pageProblems = [];
async function shot(page, name) {
  await page.screenshot({path: join(artifacts, `${name}.png`), fullPage: true});
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
  await page.getByRole('heading', {name: 'Release setup'}).waitFor({timeout: TIMEOUT});
}

async function logout(page) {
  await page.getByRole('button', {name: 'Log out'}).click();
  await page.getByRole('heading', {name: 'Log in to slipway'}).waitFor({timeout: TIMEOUT});
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
    viewport: {width: 1280, height: 900},
    timeout: 30000,
  });
  context.setDefaultTimeout(TIMEOUT);
  const page = context.pages()[0] || await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) pageProblems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => pageProblems.push(`page error: ${e.message}`));
  // Offline and self-contained: nothing but slipway itself is ever fetched (no CDN, font or analytics host).
  const foreign = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(stack.baseUrl) && !r.url().startsWith('data:')) foreign.push(r.url());
  });
  const base = `#/t/${stack.tenantId}`;
  const invitee = {email: `invitee-${Date.now()}@example.com`, password: `pw-${Math.random().toString(36).slice(2)}-${Date.now()}`};

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

    await check('the first page becomes interactive (its time is logged, never judged: machines differ)', async () => {
      const t = Date.now();
      await page.goto(`${stack.baseUrl}/`);
      await page.getByRole('heading', {name: 'Log in to slipway'}).waitFor();
      const ms = Date.now() - t;
      const nav = await page.evaluate(() => performance.getEntriesByType('navigation')[0].toJSON());
      const bytes = await page.evaluate(() => performance.getEntriesByType('resource').reduce((n, r) => n + r.transferSize, 0));
      console.log(`     login form usable after ${ms} ms (DOM interactive at ${Math.round(nav.domInteractive)} ms, ${bytes + nav.transferSize} bytes)`);
    });

    await check('login page: accessible; a wrong password is refused in words; the keyboard alone logs in', async () => {
      await page.goto(`${stack.baseUrl}/`);
      await page.getByRole('heading', {name: 'Log in to slipway'}).waitFor();
      await axe(page, 'login');
      await shot(page, '01-login');
      await page.getByLabel('E-mail address').fill(stack.owner.email);
      await page.getByLabel('Password').fill('not the password');
      await page.getByRole('button', {name: 'Log in'}).click();
      await page.getByText('Wrong e-mail address or password.').waitFor();
      await page.getByLabel('E-mail address').focus();
      await page.keyboard.press('Tab');
      await page.keyboard.type(stack.owner.password);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', {name: 'Release setup'}).waitFor();
      assert(page.url().includes(`${base}/setup`), `after login: ${page.url()}`);
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

    await check('wizard step 1: GitHub with an invalid token is saved, verifies INVALID with the reason', async () => {
      await gotoHash(page, stack, `${base}/setup/github`);
      await axe(page, 'setup github (empty)');
      await shot(page, '02-setup-github');
      await page.getByLabel('Organisation or user').fill(stack.github.organization);
      await page.getByLabel('Repository').fill(stack.github.repoName);
      await page.getByLabel('Access token').fill(stack.github.invalid);
      await page.getByRole('button', {name: 'Connect GitHub'}).click();
      await page.getByRole('button', {name: 'Save changes'}).waitFor();
      const reason = await verifyCard(page, `${stack.github.organization}/${stack.github.repoName}`, 'INVALID');
      assert(/rejected/i.test(reason), `reason: ${reason}`);
      await noSecrets(page, stack, 'github step after saving');
      const hint = await page.locator('#github-form .hint').last().textContent();
      assert(/\*\*\*\*/.test(hint), `the mask is not shown: ${hint}`);
      await shot(page, '03-setup-github-invalid');
    });

    await check('wizard step 1: replacing the token by typing a new one; verifies VALID', async () => {
      await page.getByLabel('Access token').fill(stack.github.valid);
      await page.getByRole('button', {name: 'Save changes'}).click();
      await page.locator('article.card .badge[data-status="NOT_VERIFIED"]').waitFor();
      await verifyCard(page, `${stack.github.organization}/${stack.github.repoName}`, 'VALID');
      await noSecrets(page, stack, 'github step after replacing the token');
      await page.locator('.progress li.done').first().waitFor();
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
      await shot(page, '04-setup-targets');
    });

    await check('wizard step 3: a generated form; API errors appear next to their field', async () => {
      await page.getByRole('link', {name: 'Continue'}).click();
      await page.getByRole('heading', {name: /Step 3 of 5/}).waitFor();
      const form = page.locator('form[data-type="PLAY_STORE"]');
      await axe(page, 'setup credentials');
      await form.getByLabel('Google service account email').fill('not-an-email');
      await form.getByLabel('Google package name').fill(stack.playStore.packageName);
      await form.getByRole('button', {name: /^Save/}).click();
      const err = form.locator('.field-error:not([hidden])');
      await err.first().waitFor();
      const fieldErrors = await err.allTextContents();
      assert(fieldErrors.some((t) => /email/i.test(t)), `no error at the e-mail field: ${fieldErrors}`);
      const invalid = await form.getByLabel('Google service account email').getAttribute('aria-invalid');
      assert(invalid === 'true', 'the field is not marked invalid');
      await shot(page, '05-setup-credentials-errors');
    });

    await check('wizard step 3: unknown service account verifies INVALID; fixing it verifies VALID; setup completes', async () => {
      const form = page.locator('form[data-type="PLAY_STORE"]');
      await form.getByLabel('Google service account email').fill(stack.playStore.invalidEmail);
      await form.locator('[name="googlePrivateKey"]').fill(stack.playStore.privateKey);
      await form.getByRole('button', {name: /^Save/}).click();
      await page.locator('article.card[data-type="PLAY_STORE"]').waitFor();
      const reason = await verifyCard(page, 'Google Play', 'INVALID');
      assert(reason.length > 5, `no reason: ${reason}`);
      await noSecrets(page, stack, 'credentials step after saving');
      const c = card(page, 'Google Play');
      await c.getByRole('button', {name: 'Edit'}).click();
      const edit = c.locator('form');
      await edit.getByLabel('Google service account email').fill(stack.playStore.validEmail);
      await edit.getByRole('button', {name: 'Save changes'}).click();
      await page.locator('article.card[data-type="PLAY_STORE"] .badge[data-status="NOT_VERIFIED"]').waitFor();
      await verifyCard(page, 'Google Play', 'VALID');
      await page.locator('[data-complete="true"]').waitFor();
      const banner = await page.locator('[data-complete="true"]').textContent();
      assert(/by you/.test(banner) && /Setup complete/.test(banner), `completion: ${banner}`);
      await noSecrets(page, stack, 'credentials step after editing');
      await axe(page, 'setup credentials (saved)');
      await shot(page, '06-setup-complete');
    });

    await check('wizard step 4 (optional): a pipeline tied to its SCM connection and target', async () => {
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
      await shot(page, '07-setup-cicd');
    });

    await check('wizard step 5 (optional, skippable): Slack form from the descriptor; steps can be revisited', async () => {
      await page.getByRole('link', {name: 'Continue'}).click();
      await page.getByRole('heading', {name: /Step 5 of 5/}).waitFor();
      await page.locator('form[data-type="SLACK"]').waitFor();
      await axe(page, 'setup slack');
      await shot(page, '08-setup-slack');
      await page.getByRole('link', {name: /Connect source control/}).click();
      await page.getByRole('heading', {name: /Step 1 of 5/}).waitFor();
      assert(await page.getByLabel('Organisation or user').inputValue() === stack.github.organization, 'step 1 lost its values');
    });

    await check('integrations page: grouped by category, verify-all with progress, a blocked delete explains why', async () => {
      await gotoHash(page, stack, `${base}/integrations`);
      for (const h of ['Source control', 'Distribution targets', 'CI/CD pipelines', 'Communication', 'Ticket systems', 'Test management', 'Code signing']) {
        await page.getByRole('heading', {name: h, exact: true}).waitFor();
      }
      await axe(page, 'integrations');
      await page.getByRole('button', {name: 'Verify all'}).click();
      await page.locator('#verify-all-text', {hasText: /All 3 checked/}).waitFor();
      const scm = card(page, `${stack.github.organization}/${stack.github.repoName}`);
      await scm.getByRole('button', {name: 'Delete'}).click();
      await page.getByRole('button', {name: `Delete ${stack.github.organization}/${stack.github.repoName}`}).click();
      const box = scm.locator('.error-box:not([hidden])');
      await box.waitFor();
      const why = await box.textContent();
      assert(/cannot be deleted/.test(why) && why.includes('Android release build'), `blocked delete: ${why}`);
      await noSecrets(page, stack, 'integrations');
      await shot(page, '09-integrations');
    });

    await check('integrations page: a form generated for a new provider type, with its secret fields as passwords', async () => {
      await page.getByRole('button', {name: 'Add a ticket system'}).click();
      await page.locator('form[data-type="JIRA"]').waitFor();
      const secret = page.locator('form[data-type="JIRA"] [name="jiraApiToken"]');
      assert(await secret.getAttribute('type') === 'password' && await secret.getAttribute('autocomplete') === 'off', 'the Jira token is not a password input');
      await page.getByLabel('Type', {exact: true}).selectOption({label: 'Linear'});
      await page.locator('form[data-type="LINEAR"]').waitFor();
      await axe(page, 'integrations (add form)');
    });

    await check('members: owners change roles, invite with a link shown once, see and revoke pending invitations', async () => {
      await gotoHash(page, stack, `${base}/members`);
      await page.getByLabel(`Role of ${stack.editor.email}`).waitFor();
      await page.getByRole('button', {name: 'Invite', exact: true}).waitFor();
      await axe(page, 'members');
      await shot(page, '10-members');
      const invite = async (email, role) => {
        await page.locator('#invite-form [name="email"]').fill(email);
        await page.locator('#invite-form [name="role"]').selectOption(role);
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
      await shot(page, '10-members-invited');
      await page.getByRole('button', {name: 'Done: hide it'}).click();
      await page.getByRole('button', {name: `Revoke the invitation of ${revoked}`}).click();
      await page.getByRole('cell', {name: revoked, exact: true}).waitFor({state: 'detached'});
      invitee.link = await invite(invitee.email, 'editor');
      await page.getByRole('button', {name: 'Done: hide it'}).click();
      await page.getByRole('cell', {name: invitee.email, exact: true}).waitFor();
      assert(!(await page.content()).includes(invitee.link.split('/').pop()), 'the invitation token is still in the page');
      assert(!(await page.getByLabel(`Role of ${invitee.email}`).count()), 'the invitee is a member before accepting');
    });

    await check('API tokens: shown once with a copy button; the list never shows it', async () => {
      await gotoHash(page, stack, '#/tokens');
      await page.locator('#token-form [name="name"]').fill('CI deploy');
      await page.getByRole('button', {name: 'Create token'}).click();
      const value = await page.getByLabel('New token').inputValue();
      assert(/^slw_[A-Za-z0-9_-]{43}$/.test(value), `token shown: ${value.slice(0, 6)}`);
      await page.getByRole('button', {name: 'Copy'}).waitFor();
      await axe(page, 'tokens (created)');
      await shot(page, '11-tokens');
      await page.getByRole('button', {name: 'Done: hide it'}).click();
      await page.getByRole('cell', {name: 'CI deploy', exact: true}).waitFor();
      assert(!(await page.content()).includes(value), 'the token is still in the page');
    });

    await check('audit log: filters and paging', async () => {
      await gotoHash(page, stack, `${base}/audit`);
      await page.locator('table.audit').waitFor();
      await page.getByLabel('Action').selectOption('integration.verify');
      await page.getByRole('button', {name: 'Apply filters'}).click();
      await page.waitForFunction(() => {
        const cells = [...document.querySelectorAll('table.audit tbody td.mono')].map((td) => td.textContent);
        return cells.length > 0 && cells.every((a) => a === 'integration.verify');
      }, null, {timeout: TIMEOUT});
      await page.getByRole('button', {name: 'Older'}).waitFor();
      await axe(page, 'audit');
      await noSecrets(page, stack, 'audit');
      await shot(page, '12-audit');
    });

    await check('a 390-pixel phone: no sideways scrolling, still accessible', async () => {
      await page.setViewportSize({width: 390, height: 844});
      for (const [hash, name] of [[`${base}/setup/credentials`, 'setup'], [`${base}/integrations`, 'integrations'],
        [`${base}/members`, 'members'], [`${base}/audit`, 'audit']]) {
        await gotoHash(page, stack, hash);
        await page.locator('main h2, main table').first().waitFor();
        const wide = await page.evaluate(() => document.documentElement.scrollWidth);
        const culprits = await page.evaluate(() => [...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right > 392).slice(0, 4)
          .map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.className ? `.${e.className}` : ''}`));
        assert(wide <= 391, `${name} is ${wide} px wide at 390: ${culprits.join(', ')}`);
        await axe(page, `${name} at 390 px`);
        await shot(page, `13-phone-${name}`);
      }
      await page.setViewportSize({width: 1280, height: 900});
    });

    await check('logout revokes the session and clears the cookie', async () => {
      await gotoHash(page, stack, `${base}/setup`);
      await logout(page);
      const cookies = await context.cookies(stack.baseUrl);
      assert(!cookies.some((c) => c.name === 'slipway_session'), 'the session cookie is still set');
      const me = await page.request.get(`${stack.baseUrl}/api/v1/me`);
      assert(me.status() === 401, `after logout /me answered ${me.status()}`);
    });

    await check('an invitee opens the link, creates an account and lands in the tenant with the invited role', async () => {
      await page.goto(invitee.link);
      await page.getByRole('heading', {name: 'Join a tenant'}).waitFor();
      await axe(page, 'invite (new account)');
      await shot(page, '16-invite-new-account');
      await page.getByLabel('Your name').fill('Ivy Invitee');
      await page.getByLabel('Choose a password').fill(invitee.password);
      await page.getByRole('button', {name: 'Create my account and join'}).click();
      await page.getByRole('heading', {name: 'Release setup'}).waitFor();
      assert(page.url().includes(`${base}/setup`), `after joining: ${page.url()}`);
      const me = await (await page.request.get(`${stack.baseUrl}/api/v1/me`)).json();
      assert(me.email === invitee.email && me.name === 'Ivy Invitee', `joined as ${JSON.stringify(me)}`);
      const tenant = await (await page.request.get(`${stack.baseUrl}/api/v1/${stack.tenantId}`)).json();
      assert(tenant.role === 'editor', `role: ${tenant.role}`);
      const used = await apiCall(stack, 'POST', '/api/v1/invitations/accept', {token: invitee.link.split('/').pop(), password: 'another password'});
      assert(used.status === 404, `the link works twice: ${used.status}`);
    });

    await check('logged in, an invitee accepts an invitation to another tenant as their own account', async () => {
      // The owner, through the API (outside the browser): a second tenant, and an invitation to it for the invitee's address.
      const owner = await (await apiCall(stack, 'POST', '/api/v1/auth/login', {email: stack.owner.email, password: stack.owner.password})).json();
      const other = await (await apiCall(stack, 'POST', '/api/v1/tenants', {orgName: 'Second team'}, owner.token)).json();
      const inv = await (await apiCall(stack, 'POST', `/api/v1/${other.id}/members`, {email: invitee.email, role: 'viewer'}, owner.token)).json();
      await apiCall(stack, 'POST', '/api/v1/auth/logout', undefined, owner.token);
      await page.goto(`${stack.baseUrl}/#/invite/${inv.inviteToken}`);
      await page.getByRole('button', {name: 'Accept the invitation'}).click();
      await page.getByRole('heading', {name: 'Release setup'}).waitFor();
      assert(page.url().includes(`#/t/${other.id}/setup`), `after accepting: ${page.url()}`);
      const options = await page.locator('#tenant-switch option').allTextContents();
      assert(options.includes('Second team (viewer)'), `tenants: ${options}`);
      await logout(page);
    });

    for (const role of ['editor', 'viewer']) {
      await check(`${role}: sees status, never credentials, and no control they cannot use`, async () => {
        await login(page, stack, role);
        await page.getByText('Only owners can change the setup').waitFor();
        assert(await page.locator('main form').count() === 0, 'a form is shown');
        assert(!(await page.getByRole('link', {name: 'Audit log'}).count()), 'the audit link is shown');
        await axe(page, `${role} setup`);
        await shot(page, `14-${role}-setup`);
        await gotoHash(page, stack, `${base}/integrations`);
        await page.locator('article.card').first().waitFor();
        const buttons = await page.locator('main button').allTextContents();
        assert(!buttons.some((b) => /Verify|Edit|Delete|Add/.test(b)), `controls shown: ${buttons}`);
        const html = await page.content();
        assert(!html.includes('****') && !html.includes('data-secret'), 'a credential mask or field is shown');
        await page.locator('article.card[data-type="PLAY_STORE"] .badge[data-status="VALID"]').waitFor();
        await axe(page, `${role} integrations`);
        await shot(page, `15-${role}-integrations`);
        await gotoHash(page, stack, `${base}/members`);
        assert(await page.locator('main select, main form').count() === 0, 'member controls are shown');
        await gotoHash(page, stack, `${base}/audit`);
        await page.getByRole('heading', {name: 'Not found'}).waitFor();
        await noSecrets(page, stack, `${role} pages`);
        await logout(page);
      });
    }

    await check('no script error and no CSP violation on any page', async () => {
      assert(!pageProblems.length, pageProblems.slice(0, 5).join('\n'));
    });

    await check('works offline: no page ever fetched anything from another host', async () => {
      assert(!foreign.length, `fetched: ${foreign.slice(0, 5).join(', ')}`);
    });
  } finally {
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
