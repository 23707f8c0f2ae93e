// The handwritten-signature pad (docs/web.md "Handwritten signature"): the
// holder draws once with a finger, a pen or a mouse (pointer events; the
// canvas takes `touch-action: none` so a stroke does not scroll the page),
// and the drawing is exported as a PNG with a transparent background
// (canvas.toBlob): the service refuses an image without a transparent pixel
// (docs/pdf.md), and the seal is drawn over the page's text.
//
// Strokes are kept as point lists (CSS pixels) so that "undo" and a resize
// redraw what is left; the canvas' pixel size follows its CSS size times
// devicePixelRatio (at most 2048 px a side, the service's limit), and the
// export is cut to the strokes.
const MAX_SIDE = 2048;

export function signaturePad(canvas, onchange = () => {}) {
  const g = canvas.getContext('2d');
  const strokes = [];
  let current = null;
  let pointer = null;
  let scale = 1;

  function fit() {
    const r = canvas.getBoundingClientRect();
    scale = Math.min(window.devicePixelRatio || 1, MAX_SIDE / Math.max(r.width, r.height, 1));
    canvas.width = Math.max(16, Math.round(r.width * scale));
    canvas.height = Math.max(16, Math.round(r.height * scale));
    redraw();
  }
  function pen() {
    g.setTransform(scale, 0, 0, scale, 0, 0);
    g.lineWidth = 3;
    g.lineCap = 'round';
    g.lineJoin = 'round';
    g.strokeStyle = '#111';
  }
  function drawStroke(s) {
    g.beginPath();
    g.moveTo(s[0][0], s[0][1]);
    // A tap is a dot: a zero-length line with round caps.
    if (s.length === 1) g.lineTo(s[0][0] + 0.01, s[0][1]);
    for (const [x, y] of s.slice(1)) g.lineTo(x, y);
    g.stroke();
  }
  function redraw() {
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.clearRect(0, 0, canvas.width, canvas.height);
    pen();
    for (const s of strokes) drawStroke(s);
  }
  function at(e) {
    const r = canvas.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  canvas.addEventListener('pointerdown', (e) => {
    if (pointer !== null) return;  // one finger draws; a second one is ignored
    e.preventDefault();
    pointer = e.pointerId;
    try { canvas.setPointerCapture(e.pointerId); } catch { /* a synthetic pointer cannot be captured */ }
    current = [at(e)];
    strokes.push(current);
    drawStroke(current);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (e.pointerId !== pointer) return;
    e.preventDefault();
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    for (const c of events.length ? events : [e]) current.push(at(c));
    redraw();
  });
  const end = (e) => {
    if (e.pointerId !== pointer) return;
    pointer = null;
    current = null;
    onchange(strokes.length);
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);

  fit();
  // A rotated phone changes the pad's size: fit again (the strokes are kept
  // in CSS pixels and redrawn); the listener goes with the pad.
  const onResize = () => { if (!canvas.isConnected) window.removeEventListener('resize', onResize); else fit(); };
  window.addEventListener('resize', onResize);
  return {
    get strokes() { return strokes.length; },
    clear() { strokes.length = 0; redraw(); onchange(0); },
    undo() { strokes.pop(); redraw(); onchange(strokes.length); },
    // The drawing as a PNG Blob: RGBA, the untouched pixels transparent,
    // cut to the strokes and a small margin (the seal scales the image into
    // its box: empty margins would only make the signature smaller).
    png() {
      const pts = strokes.flat();
      const pad = 6;
      const x0 = Math.max(0, Math.min(...pts.map((p) => p[0])) - pad);
      const y0 = Math.max(0, Math.min(...pts.map((p) => p[1])) - pad);
      const x1 = Math.min(canvas.width / scale, Math.max(...pts.map((p) => p[0])) + pad);
      const y1 = Math.min(canvas.height / scale, Math.max(...pts.map((p) => p[1])) + pad);
      const w = Math.max(16, Math.round((x1 - x0) * scale));
      const hgt = Math.max(16, Math.round((y1 - y0) * scale));
      const out = document.createElement('canvas');
      out.width = w;
      out.height = hgt;
      out.getContext('2d').drawImage(canvas, Math.round(x0 * scale), Math.round(y0 * scale), w, hgt, 0, 0, w, hgt);
      return new Promise((resolve) => out.toBlob(resolve, 'image/png'));
    },
  };
}
