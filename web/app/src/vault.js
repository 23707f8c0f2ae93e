// The device record in IndexedDB, encrypted under a non-extractable WebCrypto
// AES-GCM key kept in the same database (docs/web.md "Device storage").
//
// One record ("device") holds {state, token, holder_id, accepted}: the
// PIN-wrapped share as the C++ client serialized it, the device token, and
// when the subscriber agreement was accepted. It is replaced as a whole on
// every change (a fresh 96-bit IV each time), never kept twice: the device
// state is ONE wrap of the current share (a refresh replaces it by the wrap
// of a new share), and no protocol message is ever stored. The AES key does
// not protect against a thief of the browser profile (it is in the same
// profile): the protocol does — the wrap is useless without the service,
// which counts PIN attempts.
const DB = 'duet-holder';
const enc = new TextEncoder();
const dec = new TextDecoder();

function open() {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => {
      r.result.createObjectStore('keys');
      r.result.createObjectStore('records');
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function tx(db, store, mode, fn) {
  return new Promise((resolve, reject) => {
    const t = db.transaction(store, mode);
    const req = fn(t.objectStore(store));
    t.oncomplete = () => resolve(req ? req.result : undefined);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
}

export class Vault {
  static async open() {
    if (typeof indexedDB === 'undefined' || !crypto.subtle) return new Vault(null, null);
    try {
      const db = await open();
      let key = await tx(db, 'keys', 'readonly', (s) => s.get('aes'));
      if (!key) {
        key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
        await tx(db, 'keys', 'readwrite', (s) => s.put(key, 'aes'));
      }
      return new Vault(db, key);
    } catch {
      return new Vault(null, null);  // private mode or a restricted in-app browser
    }
  }
  constructor(db, key) {
    this.db = db;
    this.key = key;
    this.memory = null;  // without IndexedDB: this page's memory only
  }
  get persistent() { return this.db !== null; }

  async load() {
    if (!this.db) return this.memory;
    const rec = await tx(this.db, 'records', 'readonly', (s) => s.get('device'));
    if (!rec) return null;
    const plain = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: rec.iv }, this.key, rec.ct));
    const text = dec.decode(plain);
    plain.fill(0);
    const r = JSON.parse(text);
    return { ...r, state: r.state ? hexToBytes(r.state) : null };
  }

  // rec: {state: Uint8Array|null, token, holder_id, accepted}
  async save(rec) {
    const text = JSON.stringify({ ...rec, state: rec.state ? bytesToHex(rec.state) : null });
    if (!this.db) { this.memory = { ...rec }; return; }
    const plain = enc.encode(text);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, this.key, plain);
    plain.fill(0);
    await tx(this.db, 'records', 'readwrite', (s) => s.put({ iv, ct }, 'device'));
  }

  async erase() {
    this.memory = null;
    if (this.db) await tx(this.db, 'records', 'readwrite', (s) => s.delete('device'));
  }
}

export function bytesToHex(b) {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
export function hexToBytes(h) {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; ++i) out[i] = parseInt(h.substr(2 * i, 2), 16);
  return out;
}
