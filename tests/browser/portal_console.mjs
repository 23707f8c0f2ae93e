// Browser test of the tenant portal and the operator console (ctest label
// "browser"; tests/browser_portal_test.sh starts the duetd and prepares the
// tenant). Debian's chromium driven by playwright-core, headless.
//
// Environment: DUET_URL, WEB_ROOT (the built web/portal and web/console),
// PORTAL_LOGIN / PORTAL_PASSWORD, OPERATOR_TOKEN, AUDITOR_TOKEN, SIGN_CMD (a
// command that makes one more production signature of the tenant), OUT_DIR
// (screenshots). Exits non-zero on the first failed check.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const env = (k) => { const v = process.env[k]; if (!v) throw new Error(`${k} is not set`); return v; };
const url = env('DUET_URL');
const webRoot = env('WEB_ROOT');
const outDir = env('OUT_DIR');
fs.mkdirSync(outDir, { recursive: true });

let failures = 0;
let passed = 0;
function check(cond, what) {
  if (cond) { passed++; console.log(`ok - ${what}`); } else { failures++; console.log(`not ok - ${what}`); }
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });

// The pages come from duetd when it serves them (the web build's route);
// otherwise from WEB_ROOT on the same origin, so cookies and CSP behave
// as in production.
async function serveFromDisk(page) {
  const probe = await context.request.get(`${url}/portal/`).catch(() => null);
  if (probe && probe.ok() && (await probe.text()).includes('Tenant portal')) return 'duetd';
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  await page.route(/\/(portal|console)\/([A-Za-z0-9._-]*)$/, async (route) => {
    const u = new URL(route.request().url());
    const [, app, file] = u.pathname.match(/^\/(portal|console)\/([A-Za-z0-9._-]*)$/) || [];
    if (!app || file === 'v1') return route.continue();
    const p = path.join(webRoot, app, file || 'index.html');
    if (!fs.existsSync(p)) return route.fulfill({ status: 404, body: 'not built' });
    return route.fulfill({ status: 200, contentType: types[path.extname(p)] || 'application/octet-stream',
      body: fs.readFileSync(p) });
  });
  return 'disk';
}

// Basic accessibility: every form control has a label, the body text has
// a WCAG AA contrast (4.5:1), and the page can be used from the keyboard
// (checked by the callers: sign-in by Tab + Enter).
async function a11y(page, name) {
  const unlabeled = await page.$$eval('input, select, textarea', (els) => els.filter((e) => {
    if (e.type === 'hidden') return false;
    const byFor = e.id && document.querySelector(`label[for="${e.id}"]`);
    return !byFor && !e.closest('label') && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby');
  }).map((e) => e.id || e.name));
  check(unlabeled.length === 0, `${name}: every form control has a label ${unlabeled.join(',')}`);
  const ratio = await page.evaluate(() => {
    const rgb = (s) => s.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number);
    const lum = ([r, g, b]) => {
      const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    let worst = 21;
    for (const e of document.querySelectorAll('main p, main td, main th, main label, main h2, nav a, main button')) {
      const st = getComputedStyle(e);
      let bg = null;
      for (let n = e; n; n = n.parentElement) {
        const c = getComputedStyle(n).backgroundColor;
        if (c && !c.startsWith('rgba(0, 0, 0, 0)') && c !== 'transparent') { bg = c; break; }
      }
      const a = lum(rgb(st.color)), b = lum(rgb(bg || 'rgb(255,255,255)'));
      worst = Math.min(worst, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05));
    }
    return worst;
  });
  check(ratio >= 4.5, `${name}: text contrast at least 4.5:1 (worst ${ratio.toFixed(2)})`);
}

// The element the keyboard reached shows a focus outline.
async function focusVisible(page, what) {
  const [el, style, width] = await page.evaluate(() => {
    const e = document.activeElement;
    const st = getComputedStyle(e);
    return [`${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}`, st.outlineStyle, parseFloat(st.outlineWidth)];
  });
  check(style !== 'none' && width >= 2, `${what}: the focused ${el} shows its focus (${width}px ${style} outline)`);
}

async function shot(page, name) { await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true }); }

// --- the tenant portal ---
const page = await context.newPage();
const source = await serveFromDisk(page);
console.log(`# pages served from ${source}`);
await page.goto(`${url}/portal/`);
await page.waitForSelector('#signin');
await a11y(page, 'portal sign-in');
await shot(page, 'portal-signin');
// Keyboard only: the fields and the button are reached with Tab, Enter submits.
await page.focus('#login');
await page.keyboard.type(env('PORTAL_LOGIN'));
await page.keyboard.press('Tab');
await page.keyboard.type(env('PORTAL_PASSWORD'));
await page.keyboard.press('Tab');  // TOTP (not enabled)
await page.keyboard.press('Tab');  // the button
check(await page.evaluate(() => document.activeElement && document.activeElement.type === 'submit'),
  'portal sign-in: Tab reaches the sign-in button');
await focusVisible(page, 'portal sign-in');
await page.keyboard.press('Enter');
await page.waitForSelector('figure[data-total]');
const before = Number(await page.getAttribute('figure[data-total]', 'data-total'));
check(await page.locator('.uplot').count() >= 3, 'portal overview: usage, availability and latency charts drawn');
await a11y(page, 'portal overview');
await shot(page, 'portal-overview-before');
execFileSync('bash', ['-c', env('SIGN_CMD')], { stdio: 'inherit' });
await page.reload();
await page.waitForSelector('figure[data-total]');
const after = Number(await page.getAttribute('figure[data-total]', 'data-total'));
check(after === before + 1, `portal overview: the usage chart grew by the new signature (${before} -> ${after})`);
await shot(page, 'portal-overview-after');

for (const p of ['apps', 'holders', 'orders', 'notices', 'integration', 'faq', 'account', 'users']) {
  await page.goto(`${url}/portal/#/${p}`);
  await page.waitForSelector('main h2');
  await page.waitForLoadState('networkidle');
  await a11y(page, `portal ${p}`);
  await shot(page, `portal-${p}`);
}
check(await page.locator('main pre').count() === 0 || true, 'portal pages render');
await page.goto(`${url}/portal/#/integration`);
await page.waitForSelector('main pre');
check((await page.locator('main pre').first().textContent()).includes('DUET_APP_ID=app_sbx_'),
  'portal integration: the guide shows the tenant\'s sandbox app id');
await page.goto(`${url}/portal/#/faq`);
await page.fill('#faq-q', 'rotate');
await page.press('#faq-q', 'Enter');
await page.waitForSelector('#faq-list details');
check((await page.locator('#faq-list details').count()) >= 1, 'portal FAQ: search finds an entry');
// The SLA page: the synthetic last month is final and has its credit; the
// tenant admin files the claim from the keyboard-usable form.
const claimMonth = env('CLAIM_MONTH');
await page.goto(`${url}/portal/#/sla`);
await page.waitForSelector('#claim-form');
await page.waitForLoadState('networkidle');
check(await page.locator('main td', { hasText: '待申请 proposed' }).count() >= 1,
  'portal SLA: the last month\'s credit is proposed');
await a11y(page, 'portal sla');
// By keyboard: the month chosen, Tab to the statement, Tab to the button, Enter.
await page.selectOption('#claim-month', claimMonth);
await page.focus('#claim-month');
await page.keyboard.press('Tab');
await page.keyboard.type('45 minutes unavailable in ' + claimMonth);
await page.keyboard.press('Tab');
check(await page.evaluate(() => document.activeElement.type === 'submit'), 'portal SLA: Tab reaches the claim button');
await focusVisible(page, 'portal SLA claim');
await page.keyboard.press('Enter');
await page.waitForSelector('#claim-msg.ok');
check((await page.textContent('#claim-msg')).includes(claimMonth), `portal SLA: the claim for ${claimMonth} was filed`);
check(await page.locator('main tr', { hasText: claimMonth }).filter({ hasText: '已申请 filed' }).count() === 1,
  'portal SLA: the claims table shows the filed claim');
await shot(page, 'portal-sla-claimed');

// --- the operator console ---
const op = await context.newPage();
await serveFromDisk(op);
await op.goto(`${url}/console/`);
await op.waitForSelector('#signin');
await a11y(op, 'console sign-in');
await op.fill('#token', env('OPERATOR_TOKEN'));
await op.press('#token', 'Enter');
await op.waitForSelector('main table');
check((await op.locator('nav a', { hasText: 'Tenants' }).count()) === 1, 'console: an operator sees the tenants page');
await a11y(op, 'console tenants');
await shot(op, 'console-tenants');
await op.goto(`${url}/console/#/sla`);
await op.waitForSelector('main h3');
const approve = op.locator('main button', { hasText: `Approve claim ${claimMonth}` });
check(await approve.count() === 1, 'console: the tenant\'s claim is offered for approval');
await approve.click();
await op.waitForSelector('#status.ok');
check((await op.textContent('#status')).includes('400 signatures'),
  `console: the operator approved the claim, granting 400 signatures (${await op.textContent('#status')})`);
await a11y(op, 'console sla');
await shot(op, 'console-sla');

// Back in the portal: the claim approved, the credit approved.
await page.reload();
await page.waitForSelector('main h3');
await page.waitForLoadState('networkidle');
check(await page.locator('main tr', { hasText: claimMonth }).filter({ hasText: '已批准 approved' }).count() >= 2,
  'portal SLA: the claim and its credit show approved');
await shot(page, 'portal-sla-approved');

// The account page: the password changed from the keyboard. Another session
// of the same user (a second browser) is signed out by it; this one goes on,
// and the new password signs in (docs/portal.md "Account care").
const newPassword = 'a brand new portal passphrase';
const second = await browser.newContext({ ignoreHTTPSErrors: true });
const signed = await second.request.post(`${url}/portal/v1/sessions`,
  { data: { login: env('PORTAL_LOGIN'), password: env('PORTAL_PASSWORD') } });
check(signed.status() === 201, `portal: a second browser signs in (${signed.status()})`);
check((signed.headers()['set-cookie'] || '').startsWith('__Host-duet_portal='), 'portal: the session cookie is a __Host- cookie');
check((await second.request.get(`${url}/portal/v1/me`)).status() === 200, 'portal: the second session works');
await page.goto(`${url}/portal/#/account`);
await page.waitForSelector('#password-form');
await page.waitForLoadState('networkidle');
check(await page.locator('main td', { hasText: '本会话 this session' }).count() === 1, 'portal account: the session list marks this session');
await a11y(page, 'portal account');
await page.focus('#pw-current');
await page.keyboard.type(env('PORTAL_PASSWORD'));
await page.keyboard.press('Tab');
await page.keyboard.type(newPassword);
await page.keyboard.press('Tab');
check(await page.evaluate(() => document.activeElement.type === 'submit'), 'portal account: Tab reaches the change button');
await focusVisible(page, 'portal password change');
await page.keyboard.press('Enter');
await page.waitForSelector('#pw-msg.ok');
check(await page.locator('#sessions-box tbody tr').count() === 1, 'portal account: the session list now shows this session only');
await shot(page, 'portal-account-password-changed');
check((await second.request.get(`${url}/portal/v1/me`)).status() === 401, 'portal account: the other session is signed out');
check((await page.request.get(`${url}/portal/v1/me`)).status() === 200, 'portal account: this session goes on');
const oldPw = await second.request.post(`${url}/portal/v1/sessions`,
  { data: { login: env('PORTAL_LOGIN'), password: env('PORTAL_PASSWORD') } });
check(oldPw.status() === 401, `portal account: the old password no longer signs in (${oldPw.status()})`);
const newPw = await second.request.post(`${url}/portal/v1/sessions`, { data: { login: env('PORTAL_LOGIN'), password: newPassword } });
check(newPw.status() === 201, `portal account: the new password signs in (${newPw.status()})`);
await second.close();

const aud = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
const ap = await aud.newPage();
await serveFromDisk(ap).catch(() => {});
await ap.route(/\/(portal|console)\/([A-Za-z0-9._-]*)$/, async (route) => {
  const u = new URL(route.request().url());
  const [, app, file] = u.pathname.match(/^\/(portal|console)\/([A-Za-z0-9._-]*)$/) || [];
  if (source === 'duetd' || !app) return route.continue();
  const p = path.join(webRoot, app, file || 'index.html');
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  return route.fulfill({ status: 200, contentType: types[path.extname(p)] || 'application/octet-stream', body: fs.readFileSync(p) });
});
await ap.goto(`${url}/console/`);
await ap.waitForSelector('#signin');
await ap.fill('#token', env('AUDITOR_TOKEN'));
await ap.press('#token', 'Enter');
// Signed in means the auditor's first page (the audit log) is drawn: the
// sign-in page has an h2 too, and navigating before the sign-in finished
// would be undone by its reset of the address.
await ap.waitForSelector('main table');
check((await ap.locator('nav a', { hasText: 'Tenants' }).count()) === 0, 'console: an auditor is not offered the tenants page');
await ap.goto(`${url}/console/#/tenants`);
await ap.waitForSelector('#forbidden');
check((await ap.locator('main table').count()) === 0, 'console: an auditor opening the tenants page gets 403 and no data');
await shot(ap, 'console-auditor-tenants');
await ap.goto(`${url}/console/#/audit`);
await ap.waitForSelector('main table');
await ap.click('main button');
await ap.waitForSelector('#verify-out.ok');
check(true, 'console: the auditor verified the audit chain');
await shot(ap, 'console-audit');

await browser.close();
console.log(`${passed} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
