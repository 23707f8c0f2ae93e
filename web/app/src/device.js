// The device role: the project's C++ client compiled to WebAssembly
// (src/wasm/device_api.cc) behind promises of plain values. Secrets handled
// here: the PIN (bytes written straight into WebAssembly memory, the JS copy
// zeroed, the input cleared by the caller; the C++ side wipes its copy when
// the call returns) and the device state blob (handed to the vault, which
// encrypts it before it reaches IndexedDB).
import createDuetDevice from 'duet-device-glue';

/* global __DUET_WASM_FILE__ */
const enc = new TextEncoder();
const dec = new TextDecoder();

export class DeviceError extends Error {
  constructor(info) {
    super(info.message || info.code);
    this.code = info.code;
    this.attempts_left = info.attempts_left;
  }
}

export async function loadDevice(kdfIterations = 0) {
  const M = await createDuetDevice({ locateFile: () => __DUET_WASM_FILE__ });
  return new Device(M, kdfIterations);
}

class Device {
  constructor(M, kdfIterations) {
    this.M = M;
    this.h = M._duet_web_new(kdfIterations);
    if (!this.h) throw new Error('device init failed');
  }

  // Copies the output and wipes it inside WebAssembly.
  outBytes() {
    const p = this.M._duet_web_out(this.h), n = this.M._duet_web_out_len(this.h);
    const copy = this.M.HEAPU8.slice(p, p + n);
    this.M._duet_web_out_clear(this.h);
    return copy;
  }
  outText() {
    const b = this.outBytes();
    const s = dec.decode(b);
    b.fill(0);
    return s;
  }
  // Runs fn(pointers...) with every argument copied into WebAssembly memory;
  // strings NUL-terminated, Uint8Arrays as (pointer, length). Every buffer is
  // wiped and freed afterwards (the PIN buffers by the C++ side as well).
  call(name, ...args) {
    const M = this.M;
    const bufs = [];
    const cargs = [this.h];
    for (const a of args) {
      if (typeof a === 'number') { cargs.push(a); continue; }
      const bytes = typeof a === 'string' ? enc.encode(a + '\0') : a;
      const p = M._duet_web_alloc(bytes.length);
      M.HEAPU8.set(bytes, p);
      bufs.push([p, bytes.length]);
      cargs.push(p);
      if (typeof a !== 'string') cargs.push(bytes.length);
    }
    let rc;
    try {
      rc = M['_' + name](...cargs);
    } finally {
      for (const [p, n] of bufs) M._duet_web_free_buf(p, n);
    }
    if (rc !== 0) throw new DeviceError(JSON.parse(this.outText()));
    return this.outText();
  }
  // A PIN: Uint8Array of its UTF-8 bytes. Zeroed here once copied in.
  withPin(name, pin, ...before) {
    const copy = pin.slice();
    pin.fill(0);
    try {
      return this.call(name, ...before, copy);
    } finally {
      copy.fill(0);
    }
  }

  setState(blob) {
    const M = this.M;
    const p = M._duet_web_alloc(blob.length);
    M.HEAPU8.set(blob, p);
    M._duet_web_set_state(this.h, p, blob.length);
    M._duet_web_free_buf(p, blob.length);
  }
  // The state blob when it changed since the last take (null: unchanged;
  // an empty array: erased).
  takeState() {
    if (this.M._duet_web_take_state(this.h) === 0) return null;
    return this.outBytes();
  }

  info() { return JSON.parse(this.call('duet_web_info')); }
  messageDigest(bytes) { return this.call('duet_web_message_digest', bytes); }
  sm3Hex(bytes) { return this.call('duet_web_sm3', bytes); }
  signedAttributesDigest(attrs, mdHex) {
    const md = new Uint8Array(mdHex.match(/../g).map((x) => parseInt(x, 16)));
    return this.call('duet_web_signed_attributes_digest', attrs, md);
  }
  beginEnrollment(holderId) { return this.call('duet_web_begin_enrollment', holderId); }
  completeEnrollment(responseJson, pin) { return this.withPin('duet_web_complete_enrollment', pin, responseJson); }
  beginSigning(orderId, sessionId, digestsHex, pin) {
    return this.withPin('duet_web_begin_signing', pin, orderId, sessionId, digestsHex.join(''));
  }
  completeSigning(answer) { return JSON.parse(this.call('duet_web_complete_signing', answer)); }
  serviceError(body) {
    try { this.call('duet_web_service_error', body); } catch (e) { return e; }
    return new DeviceError({ code: 'internal', message: 'unexpected answer' });
  }
  // The handwritten signature's PIN proof (docs/protocol.md §6.1): the
  // challenge answer, the PNG bytes for a put (empty otherwise), the PIN.
  handwritingPinProof(challenge, png, pin) {
    return this.withPin('duet_web_handwriting_pin_proof', pin, challenge, png);
  }
  beginRefresh(id, pin) { return this.withPin('duet_web_begin_refresh', pin, id); }
  beginPinChange(id, oldPin) { return this.withPin('duet_web_begin_pin_change', oldPin, id); }
  completeRefresh(answer, newPin) { return this.withPin('duet_web_complete_refresh', newPin, answer); }
  confirmPendingRefresh(pin) { return this.withPin('duet_web_confirm_pending_refresh', pin); }
  acknowledgeRefresh() { return this.call('duet_web_acknowledge_refresh'); }
  abandonRefresh() { return this.call('duet_web_abandon_refresh'); }
  forget() { return this.call('duet_web_forget'); }
  protocolVectors() { return this.call('duet_web_protocol_vectors'); }
  benchSign(sessions, iterations) { return JSON.parse(this.call('duet_web_bench_sign', sessions, iterations)); }
}
