// Builds every front end under web/ into static files for duetd (docs/web.md).
//   node build.mjs [--out DIR] [--wasm DIR]
// An app is a folder web/<name>/ holding index.html and src/main.js; it is
// built into <out>/<name>/: src/main.js (and the CSS it imports) bundled and
// minified by esbuild into main.<hash>.js / main.<hash>.css, everything in
// <name>/public/ copied as it is, and index.html with %MAIN_JS% / %MAIN_CSS%
// replaced. An app whose build.json says {"wasm": true} also gets the
// WebAssembly device (<wasm>/duet_device.js bundled in as the module
// "duet-device-glue", <wasm>/duet_device.wasm as duet_device.<hash>.wasm,
// its name given to the code as __DUET_WASM_FILE__). A public/sw.js has
// __DUET_PRECACHE__ replaced by the JSON list of the built files.
// Hashes: the first 16 hex digits of SHA-256 of the content (duetd caches such
// names for a year: server/web_routes.h). Nothing is fetched at run time.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? path.resolve(args[i + 1]) : dflt;
};
const outRoot = opt('--out', path.join(here, '..', 'build', 'web'));
const wasmDir = opt('--wasm', path.join(here, '..', 'build-wasm', 'bin'));

const hash = (buf) => createHash('sha256').update(buf).digest('hex').slice(0, 16);
const hashedName = (base, ext, buf) => `${base}.${hash(buf)}${ext}`;

async function buildApp(name) {
  const dir = path.join(here, name);
  const out = path.join(outRoot, name);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const conf = fs.existsSync(path.join(dir, 'build.json'))
    ? JSON.parse(fs.readFileSync(path.join(dir, 'build.json'), 'utf8')) : {};
  const written = [];
  const define = {};
  const alias = {};
  if (conf.wasm) {
    const wasm = fs.readFileSync(path.join(wasmDir, 'duet_device.wasm'));
    const wasmName = hashedName('duet_device', '.wasm', wasm);
    fs.writeFileSync(path.join(out, wasmName), wasm);
    written.push(wasmName);
    define.__DUET_WASM_FILE__ = JSON.stringify(wasmName);
    alias['duet-device-glue'] = path.join(wasmDir, 'duet_device.js');
  }
  const result = await build({
    entryPoints: [path.join(dir, 'src', 'main.js')],
    bundle: true, minify: true, format: 'esm', target: ['es2020', 'chrome90', 'safari15'],
    platform: 'browser', write: false, outdir: out, define, alias,
    // The emscripten glue's Node.js branch (never taken in a browser).
    external: ['fs', 'path', 'crypto'],
    loader: { '.txt': 'text' },
    legalComments: 'none', logLevel: 'warning',
  });
  const names = {};
  for (const f of result.outputFiles) {
    const ext = path.extname(f.path);
    const n = hashedName('main', ext, f.contents);
    fs.writeFileSync(path.join(out, n), f.contents);
    names[ext] = n;
    written.push(n);
  }
  const pub = path.join(dir, 'public');
  const publicFiles = fs.existsSync(pub) ? fs.readdirSync(pub) : [];
  for (const f of publicFiles) {
    if (f === 'sw.js') continue;
    fs.copyFileSync(path.join(pub, f), path.join(out, f));
  }
  let html = fs.readFileSync(path.join(dir, 'index.html'), 'utf8');
  html = html.replace('%MAIN_JS%', names['.js'] || '').replace('%MAIN_CSS%', names['.css'] || '');
  fs.writeFileSync(path.join(out, 'index.html'), html);
  if (publicFiles.includes('sw.js')) {
    const precache = ['./', ...written, ...publicFiles.filter((f) => f !== 'sw.js')];
    const sw = fs.readFileSync(path.join(pub, 'sw.js'), 'utf8')
      .replace('__DUET_PRECACHE__', JSON.stringify(precache))
      .replace('__DUET_BUILD__', JSON.stringify(hash(Buffer.from(written.join(',')))));
    fs.writeFileSync(path.join(out, 'sw.js'), sw);
  }
  // First-load size (what a phone downloads to show the app), for docs/web.md.
  const zlib = await import('node:zlib');
  let raw = 0, gz = 0;
  for (const f of ['index.html', ...written]) {
    const b = fs.readFileSync(path.join(out, f));
    raw += b.length;
    gz += zlib.gzipSync(b, { level: 9 }).length;
  }
  console.log(`web: ${name} -> ${out} (first load ${raw} bytes, ${gz} bytes gzip)`);
}

const apps = fs.readdirSync(here).filter((d) =>
  fs.existsSync(path.join(here, d, 'index.html')) && fs.existsSync(path.join(here, d, 'src', 'main.js')));
for (const a of apps) await buildApp(a);
