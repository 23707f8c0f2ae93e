// The Holder API (/app/v1, docs/api/openapi.yaml) on the same origin as the
// app. Answers: {status, body (text), json (parsed or null)}.
export async function call(method, path, { token, body, headers: extra } = {}) {
  const headers = { ...(extra || {}) };
  if (token) headers.Authorization = 'Bearer ' + token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let r;
  try {
    r = await fetch(path, { method, headers, body: body === undefined ? undefined : body, cache: 'no-store',
                            credentials: 'omit', referrerPolicy: 'no-referrer' });
  } catch {
    const e = new Error('network');
    e.code = 'network';
    throw e;
  }
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, ok: r.status >= 200 && r.status < 300, body: text, json };
}

// PUT of an image (the handwritten signature: Content-Type image/png, and
// the PIN proof in `headers`).
export async function putPng(path, token, blob, headers = {}) {
  let r;
  try {
    r = await fetch(path, { method: 'PUT',
                            headers: { ...headers, Authorization: 'Bearer ' + token, 'Content-Type': 'image/png' },
                            body: blob, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' });
  } catch {
    const e = new Error('network');
    e.code = 'network';
    throw e;
  }
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, ok: r.status >= 200 && r.status < 300, body: text, json };
}

// GET of an image with extra headers (the handwritten signature and its PIN
// proof): {status, ok, url (an object URL when ok), body, json (an error)}.
export async function getPng(path, token, headers = {}) {
  let r;
  try {
    r = await fetch(path, { headers: { ...headers, Authorization: 'Bearer ' + token }, cache: 'no-store',
                            credentials: 'omit', referrerPolicy: 'no-referrer' });
  } catch {
    const e = new Error('network');
    e.code = 'network';
    throw e;
  }
  if (r.ok) return { status: r.status, ok: true, url: URL.createObjectURL(await r.blob()), body: '', json: null };
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, ok: false, url: null, body: text, json };
}

export async function fetchBlobUrl(path, token) {
  const r = await fetch(path, { headers: { Authorization: 'Bearer ' + token }, cache: 'no-store', credentials: 'omit' });
  if (!r.ok) return null;
  return URL.createObjectURL(await r.blob());
}

export function randomId(prefix, bytes = 16) {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  return prefix + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
