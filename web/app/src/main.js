// The holder app (docs/web.md): activation, the subscriber agreement,
// enrollment with a certificate, pending orders, signing or rejecting one
// order, PIN change and share refresh, the certificate and its revocation,
// and a self-test of the WebAssembly device against the protocol vectors.
import './style.css';
import { call, fetchBlobUrl, getPng, putPng, randomId } from './api.js';
import { signaturePad } from './handwriting.js';
import { loadDevice, DeviceError } from './device.js';
import { t, setLang, getLang } from './i18n.js';
import { Vault } from './vault.js';
import vectorsText from '../../../src/cosign/testdata/protocol_vectors.txt';

const AGREEMENT_VERSION = '2026-12';
const root = document.getElementById('app');
let device = null;
let vault = null;
let rec = null;  // {token, holder_id, accepted} (state lives in the device)
let installPrompt = null;

// ---- DOM helpers (no innerHTML: nothing from the network is parsed as HTML) ----
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}
function screen(title, ...body) {
  root.replaceChildren(
    h('header', { class: 'bar' },
      h('a', { href: '#/', class: 'brand' }, t('app_name')),
      // The switch is written in the language it switches to, and says so (lang).
      h('button', { type: 'button', class: 'lang', lang: getLang() === 'en' ? 'zh-CN' : 'en',
                    onclick: () => { setLang(getLang() === 'en' ? 'zh-CN' : 'en'); route(); } },
        t('lang_switch'))),
    h('main', {}, h('h1', {}, title), ...body));
  // Keyboard and screen-reader users start on the new screen's title (the
  // old screen's focused element is gone with it).
  const first = root.querySelector('main h1');
  if (first) {
    first.setAttribute('tabindex', '-1');
    first.focus();
  }
}
function notice(kind, text) { return h('p', { class: 'notice ' + kind, role: kind === 'error' ? 'alert' : 'status' }, text); }
function pinField(id, label) {
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    h('input', { id, name: id, type: 'password', inputmode: 'numeric', autocomplete: 'off', pattern: '[0-9]*',
                 minlength: '6', maxlength: '32', required: true }));
}
// The PIN's bytes; the input is cleared at once.
function takePin(id) {
  const input = document.getElementById(id);
  const bytes = new TextEncoder().encode(input.value);
  input.value = '';
  return bytes;
}
function pinOk(bytes) { return bytes.length >= 6 && bytes.every((b) => b >= 0x30 && b <= 0x39); }
function samePin(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; ++i) d |= a[i] ^ b[i];
  return d === 0;
}
function setBusy(form, busy, text) {
  for (const el of form.querySelectorAll('button, input')) el.disabled = busy;
  const s = form.querySelector('.progress');
  if (s) s.textContent = busy ? text : '';
}
function showError(where, e) {
  const old = where.querySelector('.notice.error');
  if (old) old.remove();
  where.prepend(notice('error', errorText(e)));
}

// ---- errors a person understands ----
function errorText(e) {
  switch (e.code) {
    case 'pin_invalid':
      if (e.attempts_left === 0) return t('err_locked');
      if (e.attempts_left === 1) return t('err_pin_last');
      return t('err_pin_invalid', { n: e.attempts_left ?? '?' });
    case 'locked': return t('err_locked');
    case 'expired': return t('err_expired');
    case 'not_found': return t('err_not_found');
    case 'conflict': return t('err_conflict');
    case 'refresh_required': return t('err_refresh_required');
    case 'unauthenticated': return t('err_unauthenticated');
    case 'network': return t('err_network');
    case 'client_upgrade_required': return t('err_upgrade');
    case 'pin_mismatch': return t('pin_mismatch');
    case 'pin_short': return t('pin_short');
    case 'other_key': return t('err_other_key');
    case 'mismatch': return t('err_mismatch');
    case 'not_enrolled': return t('err_not_enrolled');
    default: return t('err_other', { msg: e.message || e.code || String(e) });
  }
}
function fail(code) { const e = new Error(code); e.code = code; return e; }
function refused(r) {
  if (r.json && r.json.error) return device.serviceError(r.body);
  return new DeviceError({ code: 'internal', message: 'HTTP ' + r.status });
}

// ---- the device record ----
async function persist() {
  const s = device.takeState();
  if (s === null) return;
  await vault.save({ ...rec, state: s.length ? s : null });
  s.fill(0);
}
async function api(method, path, body) {
  return call(method, path, { token: rec && rec.token, body: body === undefined ? undefined : JSON.stringify(body) });
}

// ---- signing one order (the CLI's HolderDevice::sign, in the browser) ----
async function signOrder(orderId, pin) {
  try {
    const o = await api('GET', '/app/v1/orders/' + encodeURIComponent(orderId));
    if (!o.ok) throw refused(o);
    const order = o.json;
    const info = device.info();
    if (order.public_key && order.public_key.toLowerCase() !== info.public_key_hex) throw fail('other_key');
    const digests = [];
    for (const item of order.items || []) {
      let e = item.e;
      if (item.signed_attributes_base64) {
        const attrs = b64(item.signed_attributes_base64);
        const md = item.pdf ? item.pdf.byte_range_digest : device.sm3Hex(b64(item.data_base64 || ''));
        e = device.signedAttributesDigest(attrs, md);
      } else if (item.data_base64) {
        e = device.messageDigest(b64(item.data_base64));
      }
      if (e !== item.e) throw fail('mismatch');
      digests.push(e);
    }
    const sessionId = randomId('ses_');
    const request = JSON.parse(device.beginSigning(orderId, sessionId, digests, pin));
    const started = await api('POST', `/app/v1/orders/${encodeURIComponent(orderId)}/sessions`,
                              { session_id: sessionId, ...request });
    if (!started.ok) throw refused(started);
    const done = device.completeSigning(started.body);
    const fin = await api('POST', `/app/v1/orders/${encodeURIComponent(orderId)}/sessions/${sessionId}/finish`,
                          done.finish);
    if (!fin.ok) throw refused(fin);
    return fin.json;
  } finally {
    pin.fill(0);
  }
}
function b64(s) { return Uint8Array.from(atob(s), (c) => c.charCodeAt(0)); }

// ---- screens ----
async function homeScreen() {
  const info = device.info();
  if (!info.enrolled) {
    screen(t('home_title'), notice('info', t('not_enrolled')), h('p', {}, h('a', { href: '#/selftest' }, t('selftest'))));
    return;
  }
  if (info.pending_refresh) return resumeRefreshScreen();
  const list = h('ul', { class: 'orders', 'aria-live': 'polite' }, h('li', {}, t('loading')));
  screen(t('home_title'),
    storageNotice(),
    h('h2', {}, t('orders_title')), list,
    h('nav', { class: 'menu' },
      h('a', { href: '#/cert', class: 'button secondary' }, t('certificate')),
      h('a', { href: '#/handwriting', class: 'button secondary' }, t('handwriting')),
      h('a', { href: '#/pin', class: 'button secondary' }, t('change_pin')),
      h('a', { href: '#/refresh', class: 'button secondary' }, t('refresh')),
      h('a', { href: '#/selftest', class: 'button secondary' }, t('selftest')),
      installPrompt && h('button', { type: 'button', class: 'secondary', onclick: () => installPrompt.prompt() }, t('install'))));
  const r = await api('GET', '/app/v1/orders');
  if (!r.ok) { list.replaceChildren(h('li', {}, errorText(refused(r)))); return; }
  const orders = (r.json.orders || []).filter((o) => o.kind !== 'certificate_request');
  list.replaceChildren(...(orders.length ? orders.map((o) => h('li', {},
    h('a', { href: '#/order/' + encodeURIComponent(o.order_id) }, o.title || o.order_id))) : [h('li', {}, t('no_orders'))]));
}

function storageNotice() {
  const inApp = /MicroMessenger|QQ\/|AlipayClient|DingTalk/i.test(navigator.userAgent);
  if (!vault.persistent || inApp) return notice('warn', t('storage_warn'));
  return notice('info', t('storage_ok'));
}

// The texts the holder accepts (docs/consent.md): the current versions from
// GET /app/v1/agreements, each checked against its text_sm3 by the device's
// SM3 before it is shown; the acceptance sent with the activation names
// exactly the versions shown.
async function activateScreen(params) {
  const code = params.get('code');
  const holder = params.get('holder');
  const info = device.info();
  if (info.enrolled) { location.hash = '#/'; return; }
  screen(t('agreement_title'), h('p', {}, t('loading')));
  const r = await call('GET', '/app/v1/agreements');
  if (!r.ok) { screen(t('agreement_title'), notice('error', errorText(refused(r)))); return; }
  const shown = r.json.agreements.filter((x) => x.current);
  for (const x of shown) {
    if (device.sm3Hex(new TextEncoder().encode(x.text)) !== x.text_sm3) {
      screen(t('agreement_title'), notice('error', t('err_mismatch')));
      return;
    }
  }
  const accept = h('input', { id: 'accept', type: 'checkbox' });
  const go = h('button', { type: 'button', disabled: true }, t('continue'));
  accept.addEventListener('change', () => { go.disabled = !accept.checked; });
  go.addEventListener('click', () => pinSetScreen(code, holder, false, shown));
  screen(t('agreement_title'),
    h('p', {}, t('agreement_intro')),
    ...shown.map((x) => h('section', { class: 'agreement', lang: x.language || 'zh-CN', tabindex: '0',
                                       'aria-label': t('doc_' + x.document) + ' ' + x.version, 'data-document': x.document },
      ...x.text.split(/\n{2,}/).map((para) => h('p', {}, para.replace(/^#+\s*/, ''))))),
    h('div', { class: 'check' }, accept, h('label', { for: 'accept' }, t('agreement_accept'))),
    h('p', { class: 'small' }, t('agreement_seam')),
    go);
}

function pinSetScreen(code, holder, needOtp, shown) {
  const form = h('form', { class: 'stack', novalidate: true },
    h('p', {}, t('pin_hint')),
    pinField('pin1', t('pin')), pinField('pin2', t('pin_again')),
    needOtp && h('div', { class: 'field' }, h('label', { for: 'otp' }, t('otp')),
      h('input', { id: 'otp', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '6' })),
    h('button', { type: 'submit' }, t('enroll')), h('p', { class: 'progress', 'aria-live': 'polite' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const pin1 = takePin('pin1'), pin2 = takePin('pin2');
    try {
      if (!pinOk(pin1)) throw fail('pin_short');
      if (!samePin(pin1, pin2)) throw fail('pin_mismatch');
      setBusy(form, true, t('enrolling'));
      const keygen = JSON.parse(device.beginEnrollment(holder));
      const body = { code, keygen };
      // The holder accepted the texts shown on the agreement screen: the
      // service records those versions with their SM3 (docs/consent.md).
      body.consents = shown.map((a) => ({ document: a.document, version: a.version, text_sm3: a.text_sm3 }));
      const otp = document.getElementById('otp');
      if (otp && otp.value) body.otp = otp.value;
      const r = await call('POST', '/app/v1/activations', { body: JSON.stringify(body) });
      if (r.status === 401 && !needOtp) { pin1.fill(0); pin2.fill(0); return pinSetScreen(code, holder, true, shown); }
      if (!r.ok) throw refused(r);
      if (r.json.holder_id !== holder) throw fail('mismatch');
      device.completeEnrollment(JSON.stringify(r.json.keygen), pin1);
      rec = { token: r.json.device_token, holder_id: holder, accepted: { version: AGREEMENT_VERSION, at: Date.now() } };
      await persist();
      if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
      // The certificate: a certificate request signed like any order, with
      // the PIN typed the second time.
      setBusy(form, true, t('getting_cert'));
      const cr = await api('POST', '/app/v1/certificate-requests');
      if (!cr.ok) throw refused(cr);
      await signOrder(cr.json.order_id, pin2);
      screen(t('enrolled'), notice('ok', t('enrolled')), h('a', { href: '#/', class: 'button' }, t('continue')));
    } catch (e) {
      setBusy(form, false);
      showError(form, e);
    } finally {
      pin1.fill(0);
      pin2.fill(0);
    }
  });
  screen(t('set_pin_title'), form);
}

async function orderScreen(orderId) {
  if (!device.info().enrolled) { screen(t('order_title'), notice('error', t('err_not_enrolled'))); return; }
  screen(t('order_title'), h('p', {}, t('loading')));
  const r = await api('GET', '/app/v1/orders/' + encodeURIComponent(orderId));
  if (!r.ok) { screen(t('order_title'), notice('error', errorText(refused(r))), h('a', { href: '#/' }, t('back'))); return; }
  const o = r.json;
  const pages = h('div', { class: 'pages' });
  const form = h('form', { class: 'stack', novalidate: true },
    pinField('pin', t('enter_pin')),
    h('div', { class: 'row' },
      h('button', { type: 'submit', id: 'sign' }, t('sign')),
      h('button', { type: 'button', id: 'reject', class: 'secondary', onclick: () => reject(orderId, form) }, t('reject'))),
    h('p', { class: 'progress', 'aria-live': 'polite' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const pin = takePin('pin');
    try {
      if (!pinOk(pin)) throw fail('pin_short');
      setBusy(form, true, t('signing'));
      await signOrder(orderId, pin);
      screen(t('signed'), notice('ok', t('signed')), h('p', {}, o.title || ''), h('a', { href: '#/', class: 'button' }, t('back')));
    } catch (e) {
      setBusy(form, false);
      showError(form, e);
    } finally {
      pin.fill(0);
    }
  });
  screen(o.title || t('order_title'),
    o.display_text && h('p', { class: 'display-text' }, o.display_text),
    o.expires_at && h('p', { class: 'small' }, t('expires') + ' ' + new Date(o.expires_at * 1000).toLocaleString(getLang())),
    pages, form);
  (o.items || []).forEach(async (item, i) => {
    // Hybrid cloud: the pages the tenant's gateway uploaded, or a note that
    // they stayed on the premises (docs/protocol.md §5.6).
    if (item.preview && !item.preview.available) {
      pages.append(h('p', { class: 'small preview-note' }, t('preview_kept_on_premises')));
      return;
    }
    const shown = item.pdf ? item.pdf.stamped_pages : (item.preview ? item.preview.pages : null);
    if (!shown) return;
    for (const p of shown || []) {
      const url = await fetchBlobUrl(`/app/v1/orders/${encodeURIComponent(orderId)}/documents/${i}/pages/${p}`, rec.token);
      if (url) pages.append(h('figure', {}, h('img', { src: url, alt: t('page', { n: p }) }), h('figcaption', {}, t('page', { n: p }))));
    }
  });
}

async function reject(orderId, form) {
  if (!confirm(t('reject_confirm'))) return;
  const r = await api('POST', `/app/v1/orders/${encodeURIComponent(orderId)}/reject`);
  if (!r.ok) { showError(form, refused(r)); return; }
  screen(t('rejected'), notice('ok', t('rejected')), h('a', { href: '#/', class: 'button' }, t('back')));
}

// A share refresh; a PIN change when newPin differs (docs/protocol.md §7).
async function runRefresh(oldPin, newPin) {
  const id = randomId('rfr_', 12);
  const change = !samePin(oldPin, newPin);
  const request = change ? device.beginPinChange(id, oldPin) : device.beginRefresh(id, oldPin);
  const r = await api('POST', '/app/v1/key/refreshes', { refresh_id: id, request: JSON.parse(request) });
  if (!r.ok) throw refused(r);
  const confirmMsg = device.completeRefresh(r.body, newPin);
  await persist();  // the new state replaces the old one, pending
  await confirmRefresh(id, confirmMsg);
}
async function confirmRefresh(id, confirmMsg) {
  const c = await api('POST', `/app/v1/key/refreshes/${encodeURIComponent(id)}/confirm`, { confirm: JSON.parse(confirmMsg) });
  if (!c.ok) throw refused(c);
  rec.token = c.json.device_token;
  device.acknowledgeRefresh();
  await persist();
}

function pinChangeScreen() {
  const form = h('form', { class: 'stack', novalidate: true },
    pinField('old', t('old_pin')), pinField('new1', t('new_pin')), pinField('new2', t('new_pin_again')),
    h('button', { type: 'submit' }, t('change_pin')), h('p', { class: 'progress', 'aria-live': 'polite' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const old = takePin('old'), n1 = takePin('new1'), n2 = takePin('new2');
    try {
      if (!pinOk(n1)) throw fail('pin_short');
      if (!samePin(n1, n2)) throw fail('pin_mismatch');
      setBusy(form, true, t('signing'));
      await runRefresh(old, n1);
      screen(t('change_pin'), notice('ok', t('pin_changed')), h('a', { href: '#/', class: 'button' }, t('back')));
    } catch (e) {
      setBusy(form, false);
      showError(form, e);
    } finally {
      old.fill(0); n1.fill(0); n2.fill(0);
    }
  });
  screen(t('change_pin'), form);
}

function refreshScreen() {
  const form = h('form', { class: 'stack', novalidate: true },
    h('p', {}, t('refresh_hint')), pinField('pin', t('pin')),
    h('button', { type: 'submit' }, t('refresh')), h('p', { class: 'progress', 'aria-live': 'polite' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const pin = takePin('pin');
    const again = pin.slice();
    try {
      setBusy(form, true, t('signing'));
      await runRefresh(pin, again);
      screen(t('refresh'), notice('ok', t('refreshed')), h('a', { href: '#/', class: 'button' }, t('back')));
    } catch (e) {
      setBusy(form, false);
      showError(form, e);
    } finally {
      pin.fill(0); again.fill(0);
    }
  });
  screen(t('refresh'), form);
}

function resumeRefreshScreen() {
  const form = h('form', { class: 'stack', novalidate: true },
    notice('warn', t('resume_refresh')), pinField('pin', t('new_pin')),
    h('button', { type: 'submit' }, t('continue')), h('p', { class: 'progress', 'aria-live': 'polite' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const pin = takePin('pin');
    try {
      setBusy(form, true, t('signing'));
      const id = device.info().pending_refresh;
      await confirmRefresh(id, device.confirmPendingRefresh(pin));
      location.hash = '#/';
      route();
    } catch (e) {
      setBusy(form, false);
      showError(form, e);
    } finally {
      pin.fill(0);
    }
  });
  screen(t('refresh'), form);
}

async function certScreen() {
  const r = await api('GET', '/app/v1/certificate');
  if (!r.ok) { screen(t('certificate'), notice('error', errorText(refused(r))), h('a', { href: '#/' }, t('back'))); return; }
  const c = r.json;
  const dl = h('dl', { class: 'cert' },
    h('dt', {}, t('serial')), h('dd', {}, c.serial),
    h('dt', {}, t('status')), h('dd', { id: 'cert-status' }, c.status === 'good' ? t('good') : t('revoked')),
    h('dt', {}, t('valid')), h('dd', {}, new Date(c.not_before * 1000).toLocaleDateString(getLang()) + ' – ' +
      new Date(c.not_after * 1000).toLocaleDateString(getLang())));
  const revoke = h('button', { type: 'button', class: 'danger', onclick: async () => {
    if (!confirm(t('revoke_confirm'))) return;
    const x = await api('POST', '/app/v1/certificate/revoke');
    if (!x.ok) { showError(root.querySelector('main'), refused(x)); return; }
    device.forget();
    await persist();
    await vault.erase();
    rec = null;
    screen(t('certificate'), notice('ok', t('revoked_done')));
  } }, t('revoke'));
  screen(t('certificate'), dl, c.status === 'good' && revoke, h('a', { href: '#/' }, t('back')));
}

// The handwritten signature (docs/pdf.md): drawn once, kept by the service
// (PUT/GET/DELETE /app/v1/handwritten-signature, the device token), drawn
// into the seal of the PDF orders created afterwards with appearance
// `handwritten` (or `handwritten_or_name_stamp`). Each of the three is a PIN
// use (docs/protocol.md §6.1): the PIN is typed first, then a challenge is
// asked for (one attempt counted), the device proves the PIN for it, and the
// proof goes with the request (Duet-Pin-Proof). The PIN bytes are wiped at
// once, as for signing; the saved image is shown only after a PIN proof.
async function handwritingScreen() {
  if (!device.info().enrolled) { screen(t('handwriting'), notice('error', t('err_not_enrolled'))); return; }
  const PATH = '/app/v1/handwritten-signature';
  const stored = h('div', { id: 'hw-stored', 'aria-live': 'polite' });
  const show = h('button', { type: 'button', class: 'secondary', id: 'hw-show' }, t('hw_show'));
  const canvas = h('canvas', { id: 'hw-pad', class: 'pad', role: 'img', 'aria-label': t('hw_pad_label') });
  const undo = h('button', { type: 'button', class: 'secondary', id: 'hw-undo', disabled: true }, t('hw_undo'));
  const clear = h('button', { type: 'button', class: 'secondary', id: 'hw-clear', disabled: true }, t('hw_clear'));
  const save = h('button', { type: 'button', id: 'hw-save', disabled: true }, t('hw_save'));
  const status = h('div', { id: 'hw-status', 'aria-live': 'polite' });
  screen(t('handwriting'), h('p', {}, t('hw_hint')), status,
    h('p', { class: 'small' }, t('hw_pin_hint')), pinField('hw-pin', t('pin')),
    h('h2', {}, t('hw_stored')), stored, show,
    h('h2', {}, t('hw_draw')), canvas, h('p', { class: 'small' }, t('hw_pad_alt')),
    h('div', { class: 'row' }, undo, clear), save, h('a', { href: '#/' }, t('back')));
  const pad = signaturePad(canvas, (n) => { save.disabled = undo.disabled = clear.disabled = n === 0; });
  undo.addEventListener('click', () => pad.undo());
  clear.addEventListener('click', () => pad.clear());
  const say = (kind, text) => status.replaceChildren(notice(kind, text));
  // One PIN use for `op`: the typed PIN (wiped here whatever happens), a
  // fresh challenge, the device's proof for it (and, for put, the image's
  // bytes). Returns the request headers that carry the proof.
  async function pinProof(op, png = new Uint8Array(0)) {
    const pin = takePin('hw-pin');
    try {
      if (!pinOk(pin)) throw fail('pin_short');
      const c = await api('POST', PATH + '/pin-challenges', { operation: op });
      if (!c.ok) throw refused(c);
      return { 'Duet-Pin-Proof': device.handwritingPinProof(c.body, png, pin) };
    } finally {
      pin.fill(0);
    }
  }
  function showImage(url) {
    const del = h('button', { type: 'button', class: 'danger', id: 'hw-delete', onclick: async () => {
      if (!confirm(t('hw_delete_confirm'))) return;
      try {
        const r = await call('DELETE', PATH, { token: rec.token, headers: await pinProof('delete') });
        if (!r.ok && r.status !== 404) throw refused(r);
        say('ok', t('hw_deleted'));
        stored.replaceChildren(h('p', { class: 'small', id: 'hw-none' }, t('hw_none')));
      } catch (e) {
        say('error', errorText(e));
      }
    } }, t('hw_delete'));
    stored.replaceChildren(h('img', { id: 'hw-img', class: 'hw-img', src: url, alt: t('hw_stored_alt') }), del);
  }
  show.addEventListener('click', async () => {
    try {
      const r = await getPng(PATH, rec.token, await pinProof('get'));
      if (r.status === 404) { stored.replaceChildren(h('p', { class: 'small', id: 'hw-none' }, t('hw_none'))); return; }
      if (!r.ok) throw refused(r);
      status.replaceChildren();
      showImage(r.url);
    } catch (e) {
      say('error', errorText(e));
    }
  });
  save.addEventListener('click', async () => {
    save.disabled = true;
    try {
      const blob = await pad.png();
      const png = new Uint8Array(await blob.arrayBuffer());
      const r = await putPng(PATH, rec.token, blob, await pinProof('put', png));
      if (!r.ok) throw refused(r);
      pad.clear();
      say('ok', t('hw_saved'));
      // What was just uploaded and kept: shown without a second PIN use.
      showImage(URL.createObjectURL(blob));
    } catch (e) {
      save.disabled = pad.strokes === 0;
      say('error', errorText(e));
    }
  });
}

function selftestScreen(params) {
  const out = h('p', { id: 'selftest-result', role: 'status' }, t('loading'));
  const bench = h('pre', { id: 'bench' });
  screen(t('selftest'), out, bench, h('a', { href: '#/' }, t('back')));
  setTimeout(() => {
    const got = device.protocolVectors();
    const want = vectorsText;
    if (got === want) {
      out.textContent = t('selftest_pass', { n: want.trim().split('\n').length });
      out.dataset.result = 'pass';
    } else {
      const a = got.split('\n'), b = want.split('\n');
      const i = b.findIndex((line, k) => line !== a[k]);
      out.textContent = t('selftest_fail', { name: (b[i] || '').split(' = ')[0] });
      out.dataset.result = 'fail';
    }
    const n = Number(params.get('bench') || 0);
    if (n > 0) {
      bench.textContent = JSON.stringify(device.benchSign(n, Number(params.get('kdf') || 100000)));
      bench.dataset.done = '1';
    }
  }, 0);
}

// ---- routing ----
async function route() {
  const hash = location.hash || '#/';
  const [path, query] = hash.slice(1).split('?');
  const params = new URLSearchParams(query || '');
  try {
    if (path === '/activate') return activateScreen(params);
    if (path === '/sign') return orderScreen(params.get('order'));
    if (path.startsWith('/order/')) return orderScreen(decodeURIComponent(path.slice(7)));
    if (path === '/pin') return pinChangeScreen();
    if (path === '/refresh') return refreshScreen();
    if (path === '/cert') return certScreen();
    if (path === '/handwriting') return handwritingScreen();
    if (path === '/selftest') return selftestScreen(params);
    return homeScreen();
  } catch (e) {
    screen(t('app_name'), notice('error', errorText(e)));
  }
}

async function start() {
  setLang(getLang());
  root.replaceChildren(h('p', { class: 'loading' }, t('loading')));
  [device, vault] = await Promise.all([loadDevice(), Vault.open()]);
  const stored = await vault.load();
  if (stored) {
    rec = { token: stored.token, holder_id: stored.holder_id, accepted: stored.accepted };
    if (stored.state) { device.setState(stored.state); stored.state.fill(0); }
  }
  window.addEventListener('hashchange', route);
  window.addEventListener('beforeinstallprompt', (e) => { e.preventDefault(); installPrompt = e; });
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('sw.js', { scope: './' }).catch(() => {});
  document.body.dataset.ready = '1';
  route();
}

start();
