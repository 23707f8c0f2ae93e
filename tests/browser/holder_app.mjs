// The holder web app in Debian's chromium, driven by playwright-core, against
// a real duetd (tests/browser_holder_test.sh starts it and passes, in the
// environment: DUET_URL, DUET_API (the `duet api …` command as a JSON array),
// DUET_DEVICE_BENCH (the native bench binary), OUT (the output folder),
// PROFILE (the browser profile folder), WEB_DIR (web/, for playwright-core)).
// Phone viewport 390×844. Steps: the WebAssembly device passes the protocol
// vectors in the page (and times its signing beside the native client); the
// activation link from the Business API opens the agreement, the holder
// accepts and enrolls (key + certificate); an order link is signed and the
// Business API's signature verifies with the openssl CLI; a PIN change and a
// refresh; the handwritten signature drawn with pointer events, uploaded,
// shown, deleted and drawn again, and a PDF order with appearance
// `handwritten` signed (duet verify --pdf; pdfimages finds the drawing);
// then five wrong PINs lock and the page says so; the profile's IndexedDB
// files hold no PIN, no plaintext state and no protocol message; finally the
// profile reopened, the certificate is revoked in the browser (Business API,
// and the CRL read by openssl). Screenshots and figures go to OUT.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const env = (k) => { if (!process.env[k]) throw new Error(`missing ${k}`); return process.env[k]; };
const URL_ = env('DUET_URL'), OUT = env('OUT'), PROFILE = env('PROFILE');
const API = JSON.parse(env('DUET_API'));
const require = createRequire(path.join(env('WEB_DIR'), 'package.json'));
const { chromium } = require('playwright-core');

let failures = 0;
function check(cond, what) {
  console.log(`${cond ? 'ok' : 'FAIL'}: ${what}`);
  if (!cond) failures++;
}
function api(...args) { return JSON.parse(execFileSync(API[0], [...API.slice(1), ...args], { encoding: 'utf8' })); }
function tmp(name, data) { const p = path.join(OUT, name); fs.writeFileSync(p, data); return p; }
// Business API links carry service.public_url; the test's duetd listens elsewhere.
function local(appUrl) { const u = new URL(appUrl); return URL_ + u.pathname + u.hash; }
let shot = 0;
// Every screenshot also checks the contrast of the screen's text.
async function screenshot(page, name) {
  await page.screenshot({ path: path.join(OUT, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  await contrast(page, name);
}
// WCAG AA: every text element's colour against the first opaque background
// behind it, at least 4.5:1, computed from the CSS colours in the page.
async function contrast(page, what) {
  const [ratio, where] = await page.evaluate(() => {
    const rgb = (x) => x.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number);
    const lum = ([r, g, b]) => {
      const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    let worst = [21, ''];
    for (const e of document.querySelectorAll('main p, main label, main h1, main h2, main a, main button, main li, ' +
                                              'main dt, main dd, main figcaption, main section, .bar a, .bar button')) {
      if (!e.textContent.trim()) continue;
      let bg = null;
      for (let n = e; n; n = n.parentElement) {
        const c = getComputedStyle(n).backgroundColor;
        if (c && !c.startsWith('rgba(0, 0, 0, 0)') && c !== 'transparent') { bg = c; break; }
      }
      const a = lum(rgb(getComputedStyle(e).color)), b = lum(rgb(bg || 'rgb(255,255,255)'));
      const r = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (r < worst[0]) worst = [r, `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${e.className}`];
    }
    return worst;
  });
  check(ratio >= 4.5, `${what}: text contrast at least 4.5:1 (worst ${ratio.toFixed(2)}, ${where})`);
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
// Every input has a label (basic accessibility of the forms).
async function labelled(page, what) {
  const missing = await page.$$eval('input', (els) => els.filter((e) =>
    !(e.id && document.querySelector(`label[for="${e.id}"]`))).length);
  check(missing === 0, `${what}: every input has a label`);
}

// A small valid PDF, one line of text per page (as tests/pdf_order_test.sh makes).
function minimalPdf(lines) {
  const objs = ['<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${lines.map((_, i) => `${4 + 2 * i} 0 R`).join(' ')}] /Count ${lines.length} >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>'];
  lines.forEach((line, i) => {
    const content = `BT /F1 14 Tf 72 500 Td (${line}) Tj ET\n`;
    objs.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents ${5 + 2 * i} 0 R >>`);
    objs.push(`<< /Length ${content.length} >>\nstream\n${content}endstream`);
  });
  let out = '%PDF-1.7\n';
  const offs = [];
  objs.forEach((o, i) => { offs.push(out.length); out += `${i + 1} 0 obj\n${o}\nendobj\n`; });
  const x = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n` + offs.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${x}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

const PIN = '246810', NEW_PIN = '135791', WRONG = '000000';
fs.mkdirSync(OUT, { recursive: true });
const browserOptions = {
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
  viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
  locale: 'zh-CN', ignoreHTTPSErrors: true,
};
const ctx = await chromium.launchPersistentContext(PROFILE, browserOptions);
const page = ctx.pages()[0] || await ctx.newPage();
page.on('console', (m) => { if (m.type() === 'error') console.log('page console error:', m.text()); });
page.setDefaultTimeout(120000);
page.on('dialog', (d) => d.accept());  // the app's confirm() questions: yes
const figures = {};
let publicKey = '';
let holderId = '';
// `duet api METHOD PATH`: the status line, then the JSON body.
function apiRaw(method, p) {
  const out = execFileSync(API[0], [...API.slice(1), method, p], { encoding: 'utf8' });
  return JSON.parse(out.slice(out.indexOf('\n') + 1));
}
const apiOpt = (name) => API[API.indexOf(name) + 1];
const agreementFile = (doc) => path.join(env('WEB_DIR'), '..', 'docs', 'agreements', `${doc.replace('_', '-')}-v1.md`);

try {
  // ---- 1. the WebAssembly device: protocol vectors, and signing time ----
  const sessions = 5, kdf = 100000;
  await page.goto(`${URL_}/m/#/selftest?bench=${sessions}&kdf=${kdf}`);
  await page.waitForSelector('#selftest-result[data-result]');
  const verdict = await page.getAttribute('#selftest-result', 'data-result');
  check(verdict === 'pass', 'the WebAssembly device computes docs/protocol.md §9 byte for byte: ' +
        await page.textContent('#selftest-result'));
  await page.waitForSelector('#bench[data-done]');
  figures.wasm = JSON.parse(await page.textContent('#bench'));
  figures.native = JSON.parse(execFileSync(env('DUET_DEVICE_BENCH'), [String(sessions), String(kdf)], { encoding: 'utf8' }));
  check(figures.wasm.ok && figures.native.ok, 'signing timed in chromium and natively');
  await screenshot(page, 'selftest');

  // First load: index.html and what it references, as served, gzip -9.
  const index = await (await page.request.get(`${URL_}/m/`)).text();
  const refs = [...new Set([...index.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]))];
  const wasmName = (await (await page.request.get(`${URL_}/m/sw.js`)).text()).match(/duet_device\.[0-9a-f]{16}\.wasm/)[0];
  let raw = Buffer.byteLength(index), gz = zlib.gzipSync(index, { level: 9 }).length;
  for (const f of [...refs, wasmName]) {
    const r = await page.request.get(`${URL_}/m/${f}`);
    check(r.ok(), `first load: ${f} served`);
    const b = await r.body();
    raw += b.length;
    gz += zlib.gzipSync(b, { level: 9 }).length;
    if (/\.[0-9a-f]{16}\./.test(f)) check(/immutable/.test(r.headers()['cache-control'] || ''), `${f}: long-lived cache`);
  }
  figures.first_load = { bytes: raw, gzip_bytes: gz, files: [...refs, wasmName] };
  check(gz <= 500 * 1024, `first load ${gz} bytes gzip <= 500 KiB`);
  const head = await page.request.get(`${URL_}/m/`);
  check(/'wasm-unsafe-eval'/.test(head.headers()['content-security-policy'] || '') &&
        !/'unsafe-inline'|'unsafe-eval'/.test(head.headers()['content-security-policy']), 'strict CSP on the page');

  // ---- 2. activation link → agreement → enrollment (key + certificate) ----
  const holder = api('holder', 'create', '--name', '王五', '--id-number', '110101199003071234', '--phone', '13812345678').holder_id;
  const activation = api('activation-code', holder);
  check(/^https?:\/\/[^#]+\/m\/#\/activate\?code=/.test(activation.app_url), `activation app_url: ${activation.app_url}`);
  await page.goto(local(activation.app_url));
  holderId = holder;
  await page.waitForSelector('#accept');
  await labelled(page, 'agreement');
  // The texts come from GET /app/v1/agreements: both current documents, as
  // the repository's files say them, marked zh-CN.
  const shownDocs = await page.$$eval('section.agreement', (ss) => ss.map((x) => [x.dataset.document, x.lang, x.textContent]));
  check(shownDocs.map((d) => d[0]).sort().join() === 'identity_check,subscriber_agreement',
        `agreement: both current texts are shown (${shownDocs.map((d) => d[0])})`);
  for (const [doc, lang, text] of shownDocs) {
    const para = fs.readFileSync(agreementFile(doc), 'utf8').split(/\n{2,}/)[1].trim();
    check(lang === 'zh-CN' && text.includes(para), `agreement: ${doc} shows the text of docs/agreements (lang ${lang})`);
  }
  await screenshot(page, 'agreement');
  // By keyboard only: Tab through the texts (scrollable, so focusable) to
  // the checkbox, Space accepts, Tab reaches "continue", Enter; the PINs
  // typed, Tab between them, Enter submits.
  await page.focus('section.agreement');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await focusVisible(page, 'agreement');
  check(await page.evaluate(() => document.activeElement.id) === 'accept', 'agreement: Tab reaches the checkbox');
  await page.keyboard.press('Space');
  check(await page.isChecked('#accept'), 'agreement: Space accepts');
  await page.keyboard.press('Tab');
  check(await page.evaluate(() => document.activeElement.textContent) === '继续', 'agreement: Tab reaches "continue"');
  await focusVisible(page, 'agreement');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#pin1');
  await labelled(page, 'set PIN');
  await page.focus('#pin1');
  await page.keyboard.type(PIN);
  await page.keyboard.press('Tab');
  check(await page.evaluate(() => document.activeElement.id) === 'pin2', 'set PIN: Tab reaches the second PIN');
  await focusVisible(page, 'set PIN');
  await page.keyboard.type(PIN);
  await screenshot(page, 'set-pin');
  await page.keyboard.press('Enter');
  // The handler clears the inputs before its first await; if the enrollment
  // already finished, the inputs are gone with the screen.
  const left = await page.evaluate(() => [...document.querySelectorAll('input[type=password]')].map((e) => e.value));
  check(left.every((v) => v === ''), 'the PIN inputs are cleared as soon as the PIN is taken');
  await page.waitForSelector('.notice.ok', { timeout: 180000 });
  await screenshot(page, 'enrolled');
  // The service recorded the acceptance of exactly those texts: their SM3 as openssl computes it.
  const consents = api('holder', 'consents', holder);
  for (const doc of ['subscriber_agreement', 'identity_check']) {
    const want = execFileSync('openssl', ['dgst', '-sm3', '-r', agreementFile(doc)], { encoding: 'utf8' }).split(' ')[0];
    const got = (consents.consents || []).find((c) => c.document === doc);
    check(got && got.text_sm3 === want && got.channel === 'holder_app',
          `enrollment recorded the acceptance of ${doc} (SM3 ${want.slice(0, 16)}…)`);
  }

  // ---- 3. an order from its link, signed; openssl verifies the Business API's signature ----
  async function newOrder(text) {
    const msg = tmp(`msg-${Date.now()}.txt`, text);
    const o = api('order', 'create', '--holder', holder, '--title', '劳动合同', '--display-text', text, '--file', msg, '--output', 'der');
    return { ...o, msg };
  }
  async function signFromLink(o, pin) {
    check(/\/m\/#\/sign\?order=/.test(o.app_url || ''), `order app_url: ${o.app_url}`);
    await page.goto(local(o.app_url));
    await page.waitForSelector('#pin');
    await page.fill('#pin', pin);
    await page.click('#sign');
  }
  function opensslVerifies(o, what) {
    const got = api('order', 'get', o.order_id);
    check(got.state === 'signed', `${what}: the Business API says signed`);
    const pub = api('holder', 'get', holder);
    const sig = tmp(`${o.order_id}.sig`, Buffer.from(got.items[0].signature, 'hex'));
    let pem = pub.public_key_pem;
    if (!pem && pub.public_key) {
      // SubjectPublicKeyInfo of an SM2 point (id-ecPublicKey, curve SM2).
      const der = Buffer.concat([Buffer.from('3059301306072a8648ce3d020106082a811ccf5501822d034200', 'hex'), Buffer.from(pub.public_key, 'hex')]);
      pem = `-----BEGIN PUBLIC KEY-----\n${der.toString('base64').match(/.{1,64}/g).join('\n')}\n-----END PUBLIC KEY-----\n`;
    }
    const pubFile = tmp('holder-pub.pem', pem || '');
    let out = '';
    try {
      out = execFileSync('openssl', ['dgst', '-sm3', '-verify', pubFile, '-sigopt', 'distid:1234567812345678',
                                     '-signature', sig, o.msg], { encoding: 'utf8' });
    } catch (e) { out = String(e.stdout || e); }
    check(/Verified OK/.test(out), `${what}: openssl verifies the signature (${out.trim()})`);
  }
  const o1 = await newOrder('甲方同意乙方的劳动合同条款。');
  // By keyboard: the PIN typed, Enter signs.
  await page.goto(local(o1.app_url));
  await page.waitForSelector('#pin');
  await page.focus('#pin');
  await page.keyboard.type(PIN);
  await page.keyboard.press('Enter');
  await page.waitForSelector('.notice.ok');
  await screenshot(page, 'signed');
  opensslVerifies(o1, 'first order');

  // ---- 4. PIN change and share refresh, then a signature with the new PIN ----
  await page.goto(`${URL_}/m/#/pin`);
  await page.waitForSelector('#old');
  await labelled(page, 'change PIN');
  await page.fill('#old', PIN);
  await page.fill('#new1', NEW_PIN);
  await page.fill('#new2', NEW_PIN);
  await page.click('button[type=submit]');
  await page.waitForSelector('.notice.ok');
  await screenshot(page, 'pin-changed');
  await page.goto(`${URL_}/m/#/refresh`);
  await page.waitForSelector('#pin');
  await page.fill('#pin', NEW_PIN);
  await page.click('button[type=submit]');
  await page.waitForSelector('.notice.ok');
  await screenshot(page, 'refreshed');
  await page.reload();  // the state comes back from IndexedDB
  const o2 = await newOrder('第二份文件：续签。');
  await signFromLink(o2, NEW_PIN);
  await page.waitForSelector('.notice.ok');
  opensslVerifies(o2, 'after PIN change and refresh');

  // ---- 4a. the handwritten signature: drawn with pointer events, uploaded, shown, deleted, again ----
  // A stroke as a finger makes it: pointerdown, moves, pointerup (synthetic
  // PointerEvents of type touch, in the page).
  async function drawSignature(seed) {
    await page.$eval('#hw-pad', (c, seed) => {
      const r = c.getBoundingClientRect();
      const ev = (type, x, y) => c.dispatchEvent(new PointerEvent(type, { pointerId: 7, pointerType: 'touch', isPrimary: true,
        bubbles: true, cancelable: true, clientX: r.left + x, clientY: r.top + y, pressure: 0.5 }));
      for (let s = 0; s < 3; ++s) {
        ev('pointerdown', 20 + s * 90, 150);
        for (let i = 1; i <= 20; ++i) ev('pointermove', 20 + s * 90 + i * 4, 150 - Math.sin((i + seed) / 3) * 60 - i * 2);
        ev('pointerup', 100 + s * 90, 60);
      }
    }, seed);
  }
  // Every operation on it asks for the PIN (docs/protocol.md §6.1): typed
  // first, then a challenge (POST …/pin-challenges) and the request with the
  // proof in Duet-Pin-Proof; the field is cleared at once.
  const hwResponse = (method) => page.waitForResponse((r) =>
    r.url().endsWith('/app/v1/handwritten-signature') && r.request().method() === method);
  async function withPin(method, button) {
    await page.fill('#hw-pin', NEW_PIN);
    const challenge = page.waitForResponse((r) => r.url().endsWith('/app/v1/handwritten-signature/pin-challenges'));
    const answer = hwResponse(method);
    await page.click(button);
    const c = await challenge;
    check(c.status() === 201, `handwritten signature: ${method} asked for a PIN challenge (${c.status()})`);
    const r = await answer;
    check(!!(await r.request().headerValue('duet-pin-proof')), `handwritten signature: ${method} carries the PIN proof`);
    check(await page.$eval('#hw-pin', (i) => i.value === ''), `handwritten signature: the PIN field is cleared (${method})`);
    return r;
  }
  async function saveSignature() {
    const r = await withPin('PUT', '#hw-save');
    check(r.status() === 200, `handwritten signature: PUT answered ${r.status()}`);
    await page.waitForSelector('#hw-img');
    return r.json();
  }
  await page.goto(`${URL_}/m/#/handwriting`);
  await page.waitForSelector('#hw-show');
  check(await page.$('#hw-img') === null, 'handwritten signature: nothing is shown before the PIN');
  // No PIN typed: refused in the page, nothing sent.
  await page.click('#hw-show');
  await page.waitForSelector('#hw-status .notice.error');
  const noneYet = await withPin('GET', '#hw-show');
  check(noneYet.status() === 404, `handwritten signature: read with the PIN, none kept yet (${noneYet.status()})`);
  await page.waitForSelector('#hw-none');
  check(await page.$eval('#hw-save', (b) => b.disabled), 'handwritten signature: nothing drawn, nothing to save');
  await drawSignature(0);
  check(!(await page.$eval('#hw-save', (b) => b.disabled)), 'handwritten signature: drawing enables saving');
  await page.click('#hw-undo');
  await page.click('#hw-clear');
  check(await page.$eval('#hw-save', (b) => b.disabled), 'handwritten signature: undo and clear empty the pad');
  await drawSignature(1);
  let hw = await saveSignature();
  check(await page.$eval('#hw-img', (i) => i.complete && i.naturalWidth > 100),
        `handwritten signature: the stored one is shown (${hw.width}×${hw.height})`);
  await screenshot(page, 'handwriting');
  const deleted = await withPin('DELETE', '#hw-delete');
  check(deleted.status() === 204, `handwritten signature: DELETE answered ${deleted.status()}`);
  await page.waitForSelector('#hw-none');
  check(true, 'handwritten signature: deleted, and the page says none is kept');
  await drawSignature(2);
  hw = await saveSignature();
  const padSize = await page.$eval('#hw-pad', (c) => [c.width, c.height]);
  check(hw.width < padSize[0] && hw.height <= padSize[1],
        `handwritten signature: the image is cut to the strokes (${hw.width}×${hw.height} of the pad's ${padSize.join('×')})`);
  // Read back from the service with a PIN proof: the kept (normalised) image.
  const uploadedSrc = await page.$eval('#hw-img', (i) => i.src);
  const read = await withPin('GET', '#hw-show');
  check(read.status() === 200 && read.headers()['cache-control'] === 'no-store',
        `handwritten signature: read back with the PIN (${read.status()})`);
  await page.waitForFunction((src) => { const i = document.querySelector('#hw-img');
    return i && i.src !== src && i.complete && i.naturalWidth > 0; }, uploadedSrc);
  const shown = await page.$eval('#hw-img', (i) => [i.naturalWidth, i.naturalHeight]);
  check(shown[0] === hw.width && shown[1] === hw.height, `handwritten signature: the kept image is the uploaded size (${shown})`);

  // ---- 4b. a PDF order with the handwritten appearance: the stamped page shown as a PNG, then signed ----
  const pdfFile = tmp('contract.pdf', minimalPdf(['Loan contract BROWSER-E2E', 'Borrower signature:']));
  const po = api('order', 'create', '--holder', holder, '--title', '借款合同', '--pdf', pdfFile, '--page', '2',
                 '--rect', '72,72,120,80', '--appearance', 'handwritten');
  await page.goto(local(po.app_url));
  await page.waitForSelector('.pages img');
  const png = await page.$eval('.pages img', (img) => img.complete && img.naturalWidth > 100);
  check(png, 'PDF order: the stamped page is shown as an image');
  await screenshot(page, 'pdf-order');
  await page.fill('#pin', NEW_PIN);
  await page.click('#sign');
  await page.waitForSelector('.notice.ok');
  check(api('order', 'get', po.order_id).state === 'signed', 'PDF order: the Business API says signed');
  // The signed PDF: the project's verifier accepts it, and its seal is the
  // holder's drawing (an image of the uploaded size with a soft mask, as
  // poppler's pdfimages lists it; a name stamp is text, not an image).
  const signedPdf = path.join(OUT, 'signed-handwritten.pdf');
  execFileSync(API[0], [...API.slice(1), 'order', 'pdf', po.order_id, '--out', signedPdf], { encoding: 'utf8' });
  const opt = (name) => API[API.indexOf(name) + 1];
  let verified = '';
  try {
    verified = execFileSync(API[0], ['verify', '--pdf', signedPdf, '--server', opt('--server'), '--ca', opt('--ca'),
                                             '--environment', 'sandbox'],  // the test's holder is a sandbox holder
                            { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) { verified = `FAILED ${e.stdout || ''} ${e.stderr || ''}`; }
  check(!/FAILED/.test(verified), `duet verify --pdf accepts the handwritten PDF: ${verified.trim().split('\n')[0]}`);
  const images = execFileSync('pdfimages', ['-list', signedPdf], { encoding: 'utf8' }).split('\n').slice(2)
    .map((l) => l.trim().split(/\s+/)).filter((f) => f.length > 4);
  const drawn = images.filter((f) => f[2] === 'image' && Number(f[3]) === hw.width && Number(f[4]) === hw.height);
  const mask = images.filter((f) => f[2] === 'smask' && Number(f[3]) === hw.width && Number(f[4]) === hw.height);
  check(drawn.length === 1 && mask.length === 1,
        `the signed PDF's seal is the holder's drawing: a ${hw.width}×${hw.height} image with its soft mask`);

  // ---- 4c. the certificate ----
  await page.goto(`${URL_}/m/#/cert`);
  await page.waitForSelector('#cert-status');
  check((await page.textContent('#cert-status')) === '有效', 'the certificate is shown, valid');
  await screenshot(page, 'certificate');

  // ---- 5. five wrong PINs lock, and the page says so ----
  const o3 = await newOrder('第三份文件。');
  await page.goto(local(o3.app_url));
  const messages = [];
  for (let i = 0; i < 5; ++i) {
    await page.waitForSelector('#pin:not([disabled])');
    await page.fill('#pin', WRONG);
    await page.click('#sign');
    await page.waitForSelector('.notice.error');
    await page.waitForSelector('#pin:not([disabled])');
    messages.push(await page.textContent('.notice.error'));
    if (i === 0) await screenshot(page, 'wrong-pin');
  }
  console.log('wrong PIN messages:', JSON.stringify(messages));
  check(/4/.test(messages[0]) && /PIN/.test(messages[0]), `first wrong PIN says 4 attempts left: ${messages[0]}`);
  check(/锁定/.test(messages[4]), `fifth wrong PIN says locked: ${messages[4]}`);
  await page.fill('#pin', NEW_PIN);
  await page.click('#sign');
  await page.waitForSelector('#pin:not([disabled])');
  const lockedMsg = await page.textContent('.notice.error');
  check(/锁定/.test(lockedMsg) && /解锁/.test(lockedMsg), `the right PIN on a locked key says locked: ${lockedMsg}`);
  await screenshot(page, 'locked');
  // English switch.
  check(await page.evaluate(() => document.documentElement.lang) === 'zh-CN', 'the page says lang="zh-CN"');
  check(await page.getAttribute('button.lang', 'lang') === 'en', 'the switch, written in English, says lang="en"');
  await page.click('button.lang');
  await page.waitForSelector('text=Co-signature');
  check(await page.evaluate(() => document.documentElement.lang) === 'en', 'after the switch the page says lang="en"');
  check(await page.getAttribute('button.lang', 'lang') === 'zh-CN', 'the switch back, written in Chinese, says lang="zh-CN"');
  await screenshot(page, 'english');

  publicKey = api('holder', 'get', holder).public_key || '';
} finally {
  await ctx.close();
}

// ---- 6. the profile's IndexedDB files: no PIN, no plaintext state, no protocol message ----
function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]);
}
const idbRoot = path.join(PROFILE, 'Default', 'IndexedDB');
const files = fs.existsSync(idbRoot) ? walk(idbRoot) : [];
const dbFiles = files.filter((f) => /\.(log|ldb)$/.test(f) || /MANIFEST|\.sqlite|\.db/.test(f));
check(dbFiles.length > 0, `IndexedDB files found: ${files.map((f) => path.relative(idbRoot, f)).join(', ')}`);
const all = Buffer.concat(files.map((f) => fs.readFileSync(f)));
// Structured-clone values keep strings as Latin-1 or UTF-16LE; IndexedDB keys are UTF-16BE.
const utf16 = (s) => Buffer.from(s, 'utf16le');
const utf16be = (s) => Buffer.from(s, 'utf16le').swap16();
const needles = {
  'PIN (old)': [PIN, utf16(PIN)], 'PIN (new)': [NEW_PIN, utf16(NEW_PIN)],
  'state: "share"': ['"share"', utf16('"share"')], 'state: "salt"': ['"salt"', utf16('"salt"')],
  'state: pending_refresh': ['pending_refresh', utf16('pending_refresh')],
  'transcript: "pin_proof"': ['pin_proof', utf16('pin_proof')], 'transcript: "q1"': ['"q1"', utf16('"q1"')],
  'transcript: "proof"': ['"proof"', utf16('"proof"')],
};
if (publicKey) needles['the public key (inside the state)'] = [publicKey, utf16(publicKey)];
for (const [what, forms] of Object.entries(needles)) {
  forms.push(utf16be(String(forms[0])));
  const found = forms.some((n) => all.includes(Buffer.isBuffer(n) ? n : Buffer.from(n)));
  check(!found, `IndexedDB files hold no ${what}`);
}
// Positive control: the encrypted record itself is there.
check(all.includes(utf16be('device')) && all.includes(utf16be('records')), 'IndexedDB files hold the (encrypted) device record');

// ---- 7. the certificate seen and revoked in the browser (the profile reopened) ----
const ctx2 = await chromium.launchPersistentContext(PROFILE, browserOptions);
try {
  const p2 = ctx2.pages()[0] || await ctx2.newPage();
  p2.setDefaultTimeout(60000);
  p2.on('dialog', (d) => d.accept());
  await p2.goto(`${URL_}/m/#/cert`);
  await p2.waitForSelector('#cert-status');
  const serialShown = await p2.textContent('dl.cert dd');
  await p2.click('button.danger');
  await p2.waitForSelector('.notice.ok');
  await screenshot(p2, 'revoked');
  const certs = apiRaw('GET', `/api/v1/holders/${holderId}/certificates`).certificates;
  const c = certs.find((x) => x.serial === serialShown);
  check(c && c.status === 'revoked' && c.revocation_reason === 'keyCompromise',
        `revoked in the browser: the Business API says ${c && c.status} (${c && c.revocation_reason})`);
  // The CRL as openssl reads it names the serial (a sandbox holder: the
  // sandbox CA's CRL, docs/pki.md "The sandbox CA").
  const crl = path.join(OUT, 'holder.crl');
  execFileSync('curl', ['-sS', '--fail', '--cacert', apiOpt('--ca'), '-o', crl,
                        `${URL_}/pki/sandbox/crl/${c.issuer_id}.crl`]);
  const listed = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', crl, '-noout', '-text'], { encoding: 'utf8' });
  const norm = (x) => x.replace(/[^0-9a-f]/gi, '').replace(/^0+/, '').toUpperCase();
  const serials = [...listed.matchAll(/Serial Number: ([0-9A-Fa-f:]+)/g)].map((m) => norm(m[1]));
  check(serials.includes(norm(serialShown)), `the CRL (openssl crl) lists the revoked serial ${serialShown}`);
  await p2.goto(`${URL_}/m/#/`);
  await p2.waitForSelector('main h1');
  check(await p2.locator('text=/尚未激活|no signing key|还没有签名密钥|not activated/').count() >= 1,
        'after revocation the app holds no key');
} finally {
  await ctx2.close();
}

figures.wasm_vs_native = figures.wasm.device_ms_median / figures.native.device_ms_median;
fs.writeFileSync(path.join(OUT, 'figures.json'), JSON.stringify(figures, null, 2) + '\n');
console.log('figures:', JSON.stringify(figures));
console.log(failures === 0 ? 'holder_app: all checks passed' : `holder_app: ${failures} checks FAILED`);
process.exit(failures === 0 ? 0 : 1);
