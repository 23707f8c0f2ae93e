// fetch() for the portal and the console: JSON in and out, the service's
// error model ({"error": {"code", "message", "request_id"}}) as an Error
// with .status, .code and .requestId.
export async function call(method, path, { body, headers = {} } = {}) {
  const init = { method, headers: { ...headers }, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(path, init);
  if (resp.status === 204) return null;
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!resp.ok) {
    const e = new Error((data && data.error && data.error.message) || `HTTP ${resp.status}`);
    e.status = resp.status;
    e.code = data && data.error && data.error.code;
    e.requestId = data && data.error && data.error.request_id;
    throw e;
  }
  return data;
}

// A DOM element: el('td', {class: 'x'}, 'text', child, ...). Text is set as
// text, never as HTML.
export function el(tag, attrs = {}, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) n.addEventListener(k.slice(2), v);
    else n.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    n.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return n;
}

export function table(headers, rows) {
  return el('table', {},
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c) => el('td', {}, c))))));
}

export function when(unix) {
  if (unix === null || unix === undefined) return '—';
  return new Date(unix * 1000).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

export function say(text, cls = '') {
  const s = document.getElementById('status');
  s.className = cls;
  s.textContent = text;
}
