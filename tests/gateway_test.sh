#!/usr/bin/env bash
# Issue 12 items 5 and 7 (the gateway part), on real binaries on loopback: a
# duetd (the cloud) and a duet-gateway (the premises) in front of it.
#  1. A PDF signed end to end through the gateway: created on the gateway's
#     local API, only a digest-only order upstream, co-signed by the real
#     holder client, the signed PDF served by the gateway; checked by qpdf,
#     pdfsig and openssl (tests/pdf_checks.sh) and by `duet verify --pdf`.
#  2. duetd's database files (WAL included), its data directory and its log
#     hold no byte sequence of the document: a random marker embedded in the
#     PDF (raw, hex, base64 at each alignment) and 32-byte windows of the file
#     — while the same search finds them in the gateway's own store.
#  3. Restarts: an order created while duetd is down waits and goes up when it
#     is back; a gateway killed with SIGKILL in the window between the upstream
#     create and its commit (the on-disk state of that crash, made with
#     sqlite3) and again after the holder signed delivers the signed PDF
#     exactly once: one upstream order, one co-signature, the order completes;
#     and a real SIGKILL at that point (the test build's fault injection,
#     DUET_GATEWAY_TEST_KILL_AT=after_upstream_create) likewise.
#  4. Hybrid previews (docs/gateway.md "Page previews"): the gateway is set to
#     upload the stamped pages; while the tenant's switch is off duetd refuses
#     them, the holder sees "kept_on_premises", and duetd's files hold no PNG
#     at all (with 1.-3.); an operator turns it on, and the holder fetches a
#     PNG of the stamped page that an independent decoder (python zlib and
#     struct: chunk CRCs, IDAT size) accepts — still no byte of the PDF in
#     duetd's files.
#  The seal's name (docs/gateway.md "The signer's name"): drawn from the
#     holder's certificate (pdftotext shows it), a different signer_name is
#     409 signer_name_mismatch, one sent while duetd is down is checked before
#     the upstream create, and a signing certificate with another CN fails the
#     order at finish.
#  Appearance (docs/gateway.md "Appearance"): an order asking for the
#     holder's handwritten signature without one is 409; with one (uploaded
#     to duetd, read by the gateway through the audited Business API route)
#     pdftoppm shows its ink where the seal is, and the document verifies.
#  Batch (docs/gateway.md "Batch orders"): two PDFs in one order, one
#     upstream order of two digest items, one confirmation; the gateway
#     SIGKILLed before committing the signed PDFs delivers both exactly once.
#  5. `duet demo --gateway --pdf FILE --out DIR` signs FILE through a spawned
#     gateway in front of a spawned duetd.
# Usage: gateway_test.sh DUET DUETD DUET_GATEWAY
set -euo pipefail
duet=$1
duetd=$2
gateway=$3
for tool in jq qpdf pdfsig pdftoppm openssl python3 xxd sqlite3 pdftotext; do
  command -v "$tool" >/dev/null || { echo "gateway_test: needs $tool" >&2; exit 1; }
done
dir=$(mktemp -d)
pid=""
gwpid=""
cbpid=""
cleanup() {
  [ -n "$cbpid" ] && kill "$cbpid" 2>/dev/null && wait "$cbpid" 2>/dev/null || true
  [ -n "$gwpid" ] && kill "$gwpid" 2>/dev/null && wait "$gwpid" 2>/dev/null || true
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$dir" || true
}
trap cleanup EXIT
fail() {
  echo "gateway_test: FAIL: $*" >&2
  echo "--- duetd.log" >&2; tail -n 15 "$dir/duetd.log" >&2 || true
  echo "--- gateway.log" >&2; tail -n 25 "$dir/gateway.log" >&2 || true
  exit 1
}
tenant_name="Gateway bank"
# shellcheck source=tests/duetd_sandbox.sh
. "$(dirname "$0")/duetd_sandbox.sh"
# shellcheck source=tests/pdf_checks.sh
. "$(dirname "$0")/pdf_checks.sh"
chmod 600 "$dir/secret"

holder_id=$("${api[@]}" holder create --name "张三" --id-number 110101199003071234 --phone 13812345678 | jq -r .holder_id)
code=$("${api[@]}" activation-code "$holder_id" | jq -r .code)
hold=("$duet" holder --server "$url" --ca "$ca" --state "$dir/device")
"${hold[@]}" enroll --holder-id "$holder_id" --code "$code" --accept-agreements --pin 246810 --kdf-iterations 1000 \
  >"$dir/enroll.log" 2>&1 || fail "enroll: $(cat "$dir/enroll.log")"

# Two contracts, each with its own random marker in the page text and in a
# comment, and some random filler so that windows of the file are unique.
python3 - "$dir" <<'PY'
import os, sys
d = sys.argv[1]
def pdf(marker, filler):
    line = f"Loan contract {marker}"
    content = (f"BT /F1 14 Tf 72 500 Td ({line}) Tj ET\nBT /F1 14 Tf 72 300 Td (Borrower signature:) Tj ET\n"
               f"BT /F1 6 Tf 72 100 Td ({filler}) Tj ET\n")
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
            f"<< /Length {len(content)} >>\nstream\n{content}endstream"]
    out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n%" + marker.encode() + b"\n"
    offs = []
    for i, o in enumerate(objs):
        offs.append(len(out))
        out += f"{i + 1} 0 obj\n{o}\nendobj\n".encode()
    x = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    for o in offs:
        out += f"{o:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{x}\n%%EOF\n".encode()
    return out
for name in ("a", "b"):
    marker = "DOCMARK" + os.urandom(16).hex()
    open(f"{d}/marker-{name}", "w").write(marker)
    open(f"{d}/contract-{name}.pdf", "wb").write(pdf(marker, os.urandom(96).hex()))
PY

# The gateway: plain HTTP on loopback (TLS: docs/gateway.md), its callback
# URL on a port chosen now.
gwport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$dir/gw"
# The local system's callback receiver: records each request (body, headers)
# and answers 503 to the first one, so the gateway must retry it.
mkdir -p "$dir/cb"
python3 - "$dir/cb" >"$dir/cb.log" 2>&1 <<'PY' &
import http.server, json, os, sys
d = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = len(os.listdir(d)) // 2
        body = self.rfile.read(int(self.headers["Content-Length"]))
        open(f"{d}/{n}.body", "wb").write(body)
        json.dump(dict(self.headers), open(f"{d}/{n}.headers", "w"))
        self.send_response(503 if n == 0 else 204)
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(f"{d}/../cb.port", "w").write(str(s.server_port))
s.serve_forever()
PY
cbpid=$!
for _ in $(seq 1 50); do [ -s "$dir/cb.port" ] && break; sleep 0.1; done
[ -s "$dir/cb.port" ] || fail "the callback receiver did not start"
cat >"$dir/gateway.toml" <<TOML
[http]
listen = "127.0.0.1:$gwport"
[gateway]
data_dir = "$dir/gw"
callback_url = "http://127.0.0.1:$gwport/gateway/v1/callbacks"
poll_interval_seconds = 1
retry_max_seconds = 2
upload_previews = true
preview_dpi = 48
[upstream]
url = "$url"
ca_file = "$ca"
app_id = "$app"
secret_file = "$dir/secret"
environment = "sandbox"
[[local_apps]]
app_id = "local-erp"
secret_file = "$dir/gw/local.secret"
callback_url = "http://127.0.0.1:$(cat "$dir/cb.port")/erp/callbacks"
TOML
start_gateway() {  # [KILL-POINT]: the gateway SIGKILLs itself there (docs/gateway.md "Fault injection")
  rm -f "$dir/gw/gateway.port"
  DUET_GATEWAY_TEST_KILL_AT=${1:-} "$gateway" --config "$dir/gateway.toml" >>"$dir/gateway.log" 2>&1 &
  gwpid=$!
  for _ in $(seq 1 300); do
    [ -s "$dir/gw/gateway.port" ] && return 0
    kill -0 "$gwpid" 2>/dev/null || fail "duet-gateway exited at start"
    sleep 0.1
  done
  fail "duet-gateway did not start"
}
start_gateway
curl -fsS "http://127.0.0.1:$gwport/healthz" >/dev/null || fail "/healthz"
curl -fsS "http://127.0.0.1:$gwport/readyz" >/dev/null || fail "/readyz"
lapi=("$duet" api --server "http://127.0.0.1:$gwport" --app-id local-erp --secret-file "$dir/gw/local.secret")
gw_get() { "${lapi[@]}" order get "$1"; }
wait_for() {  # ORDER JQ-EXPRESSION SECONDS
  local i
  for i in $(seq 1 $(($3 * 5))); do
    [ "$(gw_get "$1" 2>/dev/null | jq -r "$2")" = true ] && return 0
    sleep 0.2
  done
  fail "order $1: not $2 within $3 s: $(gw_get "$1")"
}
upstream_orders() { "${api[@]}" order list --holder "$holder_id" | jq '.orders | length'; }
# Co-signatures duetd made for an upstream order (its signing sessions that
# finished). The sandbox app's signatures are not metered into packages
# (docs/metering.md "Sandbox"), so this is the count metering would see.
cosignatures() {
  sqlite3 "$data/duet.db" "SELECT count(*) FROM sign_sessions WHERE tenant_id = '$tenant' AND order_id = '$1' \
    AND state = 'finished'"
}

# Refusals on the local API: unsigned, a wrong secret.
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$gwport/api/v1/orders/x")" = 401 ] ||
  fail "an unsigned request was not refused"
printf 'not-the-secret' >"$dir/wrong.secret"; chmod 600 "$dir/wrong.secret"
if "$duet" api --server "http://127.0.0.1:$gwport" --app-id local-erp --secret-file "$dir/wrong.secret" \
    order get gwo_x >"$dir/wrong.log" 2>&1; then fail "a wrong secret was accepted"; fi
grep -q "401" "$dir/wrong.log" || fail "wrong secret: $(cat "$dir/wrong.log")"

# Bad documents and requests: each its own documented error, nothing written.
printf 'this is no PDF at all\n' >"$dir/notpdf.pdf"
qpdf --encrypt user owner 256 -- "$dir/contract-a.pdf" "$dir/encrypted.pdf"
head -c 120 "$dir/contract-a.pdf" >"$dir/malformed.pdf"
gw_rows() { sqlite3 "$dir/gw/gateway.db" "SELECT count(*) FROM gw_orders"; }
expect_refused() {  # FILE CODE [options…]
  local file=$1 want=$2; shift 2
  if "${lapi[@]}" order create --holder "$holder_id" --title "bad" --pdf "$file" "$@" >"$dir/bad.log" 2>&1; then
    fail "$file was accepted by the gateway: $(cat "$dir/bad.log")"
  fi
  grep -q " $want" "$dir/bad.log" || fail "$file: expected $want, got: $(cat "$dir/bad.log")"
}
rows=$(gw_rows)
expect_refused "$dir/notpdf.pdf" not_pdf --page 1 --rect 72,72,120,80 --signer-name "张三"
expect_refused "$dir/malformed.pdf" pdf_malformed --page 1 --rect 72,72,120,80 --signer-name "张三"
expect_refused "$dir/encrypted.pdf" pdf_encrypted --page 1 --rect 72,72,120,80 --signer-name "张三"
expect_refused "$dir/contract-a.pdf" not_found --keyword "Guarantor signature:" --size 120,80 --signer-name "张三"
expect_refused "$dir/contract-a.pdf" invalid_argument --page 3 --rect 72,72,120,80 --signer-name "张三"
# The seal names the person the holder's certificate names (docs/gateway.md
# "The signer's name"): another name is refused before anything is stamped.
expect_refused "$dir/contract-a.pdf" signer_name_mismatch --page 1 --rect 72,72,120,80 --signer-name "李四"
if "${lapi[@]}" order create --holder "bad/../id" --title "bad" --pdf "$dir/contract-a.pdf" --page 1 \
    --rect 72,72,120,80 >"$dir/bad.log" 2>&1; then fail "a holder id with a path was accepted"; fi
grep -q " invalid_argument" "$dir/bad.log" || fail "bad holder id: $(cat "$dir/bad.log")"
[ "$(gw_rows)" = "$rows" ] || fail "a refused request left an order in the gateway's store"
# A callback that is not duetd's (no or a wrong signature) is refused.
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'X-Duet-Timestamp: 1' -H 'X-Duet-Signature: 00' \
  -d '{"order_id":"x"}' "http://127.0.0.1:$gwport/gateway/v1/callbacks")" = 401 ] || fail "a forged callback was accepted"

# ---- 1. end to end -----------------------------------------------------------------------
before=$(upstream_orders)
# No signer_name: the gateway draws the CN of the holder's certificate, which
# it reads from duetd (the document itself holds no CJK text at all).
order=$("${lapi[@]}" order create --holder "$holder_id" --title "Loan contract" --pdf "$dir/contract-a.pdf" \
  --keyword "Borrower signature:" --offset 170,0 --size 120,80 --idempotency-key loan-a) ||
  fail "create on the gateway"
gw_a=$(jq -r .order_id <<<"$order")
jq -e '.signer_name == "张三" and .signer_name_checked == true' <<<"$order" >/dev/null ||
  fail "order A does not draw the certificate's name: $order"
wait_for "$gw_a" '.upstream_order_id != null' 20
up_a=$(gw_get "$gw_a" | jq -r .upstream_order_id)
# A replay of the local create is the same order.
again=$("${lapi[@]}" order create --holder "$holder_id" --title "Loan contract" --pdf "$dir/contract-a.pdf" \
  --keyword "Borrower signature:" --offset 170,0 --size 120,80 --idempotency-key loan-a)
[ "$(jq -r .order_id <<<"$again")" = "$gw_a" ] || fail "a replayed create made another order"
upstream=$("${api[@]}" order get "$up_a")
[ "$(jq -r .output <<<"$upstream")" = cms-detached ] && [ "$(jq -r '.items[0].kind' <<<"$upstream")" = digest ] ||
  fail "the upstream order is not digest-only: $upstream"
[ "$(jq -r '.items[0].size' <<<"$upstream")" = 32 ] || fail "the upstream item is not a 32-byte digest"
# The gateway's default is ETSI.CAdES.detached: the upstream order is asked for
# the PAdES signed attributes (no signingTime).
[ "$(jq -r .cms_profile <<<"$upstream")" = pades ] || fail "the upstream order's profile is not pades: $upstream"
[ "$(gw_get "$gw_a" | jq -r .sub_filter)" = ETSI.CAdES.detached ] || fail "the gateway's default sub_filter"
# Previews are off for the tenant (the default): duetd refused the gateway's
# upload, keeps none, and the holder is told the pages stay on the premises.
[ "$("${adm[@]}" tenant get "$tenant" | jq -r .hybrid_previews)" = false ] || fail "hybrid previews are not off by default"
grep -q "duet_gateway_preview_uploads_total{result=\"refused\"}" <<<"$(curl -fsS "http://127.0.0.1:$gwport/metrics")" ||
  fail "the gateway's preview upload was not refused while the tenant's switch is off"
[ "$(sqlite3 "$data/duet.db" "SELECT count(*) FROM order_previews")" = 0 ] || fail "duetd kept previews while off"
shown=$("${hold[@]}" show "$up_a") || fail "holder show: $shown"
jq -e '.items[0].preview == {"available": false, "reason": "kept_on_premises"}' <<<"$shown" >/dev/null ||
  fail "the holder is not told the preview is kept on premises: $shown"
if "${lapi[@]}" order pdf "$gw_a" --out "$dir/early.pdf" >"$dir/early.log" 2>&1; then
  fail "the gateway served a PDF before it was signed"
fi
grep -q "409" "$dir/early.log" || fail "early pdf: $(cat "$dir/early.log")"
"${hold[@]}" sign "$up_a" --pin 246810 >"$dir/sign-a.log" 2>&1 || fail "holder sign: $(cat "$dir/sign-a.log")"
wait_for "$gw_a" '.state == "signed"' 30
"${lapi[@]}" order pdf "$gw_a" --out "$dir/signed-a.pdf" >/dev/null || fail "fetching the signed PDF from the gateway"
check_signed_pdf "$dir/contract-a.pdf" "$dir/signed-a.pdf" "$dir/check-a" ETSI.CAdES.detached
# The seal's text (poppler's pdftotext draws the widget's appearance) shows
# the certificate's name, which is the CN of the certificate that signed.
pdftotext "$dir/signed-a.pdf" - | grep -q "张三" || fail "the seal of A does not show 张三: $(pdftotext "$dir/signed-a.pdf" -)"
pdftotext "$dir/contract-a.pdf" - | grep -q "张三" && fail "the unsigned contract already shows 张三 (the check could not fail)"
cn=$(openssl pkcs7 -inform DER -in "$dir/check-a/sig.p7s" -print_certs 2>/dev/null | awk '/BEGIN CERT/{n++} n==1' |
  openssl x509 -noout -subject -nameopt utf8,sep_multiline | sed -n 's/^ *CN=//p')
[ "$cn" = "张三" ] || fail "the certificate that signed A names '$cn'"
"$duet" verify --pdf "$dir/signed-a.pdf" --server "$url" --ca "$ca" --environment sandbox >"$dir/verify-a.log" 2>&1 ||
  fail "duet verify --pdf: $(cat "$dir/verify-a.log")"
[ "$(upstream_orders)" = $((before + 1)) ] || fail "one gateway order made $(( $(upstream_orders) - before )) upstream orders"
metrics=$(curl -fsS "http://127.0.0.1:$gwport/metrics") || fail "/metrics"
grep -q 'duet_gateway_callbacks_total{result="accepted"}' <<<"$metrics" || fail "no callback from duetd was accepted"
grep -q 'duet_gateway_orders{state="signed"} 1' <<<"$metrics" || fail "metrics: $metrics"
echo "gateway_test: end to end OK ($gw_a via $up_a)"

# The local system was called back: refused once (503), retried, delivered;
# the signature checked with openssl (HMAC-SM3 under the local app's secret
# over "timestamp\n" + hex SM3(body)), and a changed body does not verify.
delivered=""
for _ in $(seq 1 50); do
  for f in "$dir"/cb/*.body; do
    [ -e "$f" ] && [ "$(basename "$f" .body)" != 0 ] && jq -e --arg o "$gw_a" '.order_id == $o' "$f" >/dev/null &&
      delivered=${f%.body}
  done
  [ -n "$delivered" ] && break
  sleep 0.2
done
[ -n "$delivered" ] || fail "no callback for $gw_a after the first refusal: $(ls "$dir/cb")"
jq -e '.event == "order.signed" and .state == "signed" and .pdf_ready == true' "$delivered.body" >/dev/null ||
  fail "callback body: $(cat "$delivered.body")"
jq -e --arg o "$gw_a" '.order_id == $o' "$dir/cb/0.body" >/dev/null || fail "the refused first callback was another order"
hmac_of() {  # BODY-FILE TIMESTAMP
  printf '%s\n%s' "$2" "$(openssl dgst -sm3 -r <"$1" | cut -d' ' -f1)" |
    openssl mac -digest SM3 -macopt "key:$(cat "$dir/gw/local.secret")" HMAC | tr 'A-F' 'a-f'
}
ts=$(jq -r '."X-Duet-Timestamp"' "$delivered.headers")
sig=$(jq -r '."X-Duet-Signature"' "$delivered.headers" | tr 'A-F' 'a-f')
[ "$(hmac_of "$delivered.body" "$ts")" = "$sig" ] || fail "the callback's signature does not verify with openssl"
sed 's/signed/signet/' "$delivered.body" >"$dir/cb-changed.body"
[ "$(hmac_of "$dir/cb-changed.body" "$ts")" != "$sig" ] || fail "a changed callback body verifies"
grep -q 'duet_gateway_local_callbacks_total{result="failed"}' <<<"$(curl -fsS "http://127.0.0.1:$gwport/metrics")" ||
  fail "the refused callback is not counted"
echo "gateway_test: the local system was called back (retried after a refusal, signature checked with openssl)"

# Before it serves a PDF the gateway checks that the certificate in the
# co-signature's CMS has the CN the seal shows. The store is made to say the
# seal shows another name (what a certificate naming someone else, issued to
# the holder after the seal was drawn, amounts to): the order fails with
# signer_name_mismatch and no PDF is served.
order=$("${lapi[@]}" order create --holder "$holder_id" --title "Loan contract E" --pdf "$dir/contract-a.pdf" \
  --page 1 --rect 300,60,120,80) || fail "create E on the gateway"
gw_e=$(jq -r .order_id <<<"$order")
wait_for "$gw_e" '.upstream_order_id != null' 20
up_e=$(gw_get "$gw_e" | jq -r .upstream_order_id)
sqlite3 -cmd ".timeout 5000" "$dir/gw/gateway.db" "UPDATE gw_orders SET signer_name = '李四' WHERE order_id = '$gw_e'"
"${hold[@]}" sign "$up_e" --pin 246810 >"$dir/sign-e.log" 2>&1 || fail "holder sign E: $(cat "$dir/sign-e.log")"
wait_for "$gw_e" '.state == "failed" and .error.code == "signer_name_mismatch"' 30
if "${lapi[@]}" order pdf "$gw_e" --out "$dir/signed-e.pdf" >/dev/null 2>&1; then fail "E's PDF was served"; fi
echo "gateway_test: the seal names the certificate's holder (a name sent that differs, and a certificate that differs at finish, fail)"

# ---- 2. no document bytes in duetd ---------------------------------------------------------
# Every file of duetd's data directory (duet.db, -wal, -shm, TLS, tokens) and
# its log; the gateway's store must hold the same needles (the search can fail).
search() {  # DIR-OR-FILE… -- NEEDLE-SOURCE: prints what was found
  python3 - "$@" <<'PY'
import base64, os, sys
args = sys.argv[1:]
cut = args.index("--")
paths, (doc, marker) = args[:cut], args[cut + 1:]
data = open(doc, "rb").read()
mark = open(marker).read().encode()
needles = {"marker": mark, "marker-hex": mark.hex().encode()}
for shift in range(3):  # the marker inside base64 of the document, at each alignment
    enc = base64.b64encode(b"\0" * shift + mark)
    needles[f"marker-b64-{shift}"] = enc[4:-4]
step = max(1, (len(data) - 32) // 8)
for i, off in enumerate(range(0, len(data) - 32, step)):
    needles[f"window@{off}"] = data[off:off + 32]
files = []
for p in paths:
    if os.path.isdir(p):
        for root, _, names in os.walk(p):
            files += [os.path.join(root, n) for n in names]
    elif os.path.exists(p):
        files.append(p)
for f in files:
    try:
        blob = open(f, "rb").read()
    except OSError:
        continue
    for name, n in needles.items():
        if n in blob:
            print(f"{name} in {f}")
PY
}
found=$(search "$data" "$dir/duetd.log" -- "$dir/contract-a.pdf" "$dir/marker-a")
[ -z "$found" ] || fail "document bytes in duetd's files: $found"
found=$(search "$dir/gw" -- "$dir/contract-a.pdf" "$dir/marker-a")
grep -q "^marker in" <<<"$found" || fail "the search does not find the marker in the gateway's store"
grep -q "^window@" <<<"$found" || fail "the search does not find windows in the gateway's store"
# No PNG at all (the previews were refused): the PNG signature nowhere in duetd's files.
png_files() {  # prints the files of duetd holding a PNG signature
  python3 - "$data" "$dir/duetd.log" <<'PY'
import os, sys
for p in sys.argv[1:]:
    files = [os.path.join(r, n) for r, _, ns in os.walk(p) for n in ns] if os.path.isdir(p) else [p]
    for f in files:
        if b"\x89PNG\r\n\x1a\n" in open(f, "rb").read():
            print(f)
PY
}
[ -z "$(png_files)" ] || fail "a PNG in duetd's files while previews are off: $(png_files)"
echo "gateway_test: no byte of the document (and no preview) in duetd's data directory or log"

# ---- 3. restarts -------------------------------------------------------------------------
# duetd down: the order waits in state prepared (failed attempts, no order lost).
kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=""
before=$(sqlite3 "$data/duet.db" "SELECT count(*) FROM sign_orders WHERE tenant_id = '$tenant'")
order=$("${lapi[@]}" order create --holder "$holder_id" --title "Loan contract B" --pdf "$dir/contract-b.pdf" \
  --page 1 --rect 300,60,120,80 --signer-name "张三" --sub-filter adbe.pkcs7.detached) ||
  fail "create on the gateway while duetd is down"
gw_b=$(jq -r .order_id <<<"$order")
[ "$(jq -r .signer_name_checked <<<"$order")" = false ] || fail "B's name was checked while duetd was down: $order"
# While duetd is down the gateway cannot read the certificate: a name sent is
# drawn and checked before the upstream create (here a wrong one, which then
# fails without an upstream order); without a name the create is 503.
order=$("${lapi[@]}" order create --holder "$holder_id" --title "Loan contract M" --pdf "$dir/contract-b.pdf" \
  --page 1 --rect 300,60,120,80 --signer-name "李四") || fail "create M on the gateway while duetd is down"
gw_m=$(jq -r .order_id <<<"$order")
if "${lapi[@]}" order create --holder "$holder_id" --title "no name" --pdf "$dir/contract-b.pdf" --page 1 \
    --rect 300,60,120,80 >"$dir/noname.log" 2>&1; then fail "an order without a name was taken while duetd is down"; fi
grep -q "503" "$dir/noname.log" || fail "no name while duetd is down: $(cat "$dir/noname.log")"
sleep 3
[ "$(gw_get "$gw_b" | jq -r .state)" = prepared ] || fail "order B moved while duetd was down: $(gw_get "$gw_b")"
"$duetd" --config "$dir/duetd.toml" --data-dir "$data" --listen "127.0.0.1:$port" --dev >>"$dir/duetd.log" 2>&1 &
pid=$!
wait_for "$gw_b" '.upstream_order_id != null' 30
up_b=$(gw_get "$gw_b" | jq -r .upstream_order_id)
[ "$(gw_get "$gw_b" | jq -r .signer_name_checked)" = true ] || fail "B's name was not checked: $(gw_get "$gw_b")"
wait_for "$gw_m" '.state == "failed" and .error.code == "signer_name_mismatch" and .upstream_order_id == null' 30
# The gateway dies between the upstream create and the commit of its answer:
# on disk the order is still prepared (what a SIGKILL in that window leaves).
kill -9 "$gwpid"; wait "$gwpid" 2>/dev/null || true; gwpid=""
sqlite3 "$dir/gw/gateway.db" "UPDATE gw_orders SET state = 'prepared', upstream_order_id = '', upstream_state = '' \
  WHERE order_id = '$gw_b'"
start_gateway
wait_for "$gw_b" '.upstream_order_id != null' 30
[ "$(gw_get "$gw_b" | jq -r .upstream_order_id)" = "$up_b" ] ||
  fail "the re-sent create made another upstream order: $(gw_get "$gw_b")"
"${hold[@]}" sign "$up_b" --pin 246810 >"$dir/sign-b.log" 2>&1 || fail "holder sign B: $(cat "$dir/sign-b.log")"
# Killed again right after the co-signature (callback lost or not): the poll finds it.
kill -9 "$gwpid"; wait "$gwpid" 2>/dev/null || true; gwpid=""
start_gateway
wait_for "$gw_b" '.state == "signed"' 40
"${lapi[@]}" order pdf "$gw_b" --out "$dir/signed-b.pdf" >/dev/null || fail "fetching signed B"
check_signed_pdf "$dir/contract-b.pdf" "$dir/signed-b.pdf" "$dir/check-b" adbe.pkcs7.detached
[ "$(sqlite3 "$data/duet.db" "SELECT cms_profile FROM sign_orders WHERE order_id = '$up_b'")" = "" ] ||
  fail "an adbe.pkcs7.detached gateway order asked duetd for the pades profile"
"$duet" verify --pdf "$dir/signed-b.pdf" --server "$url" --ca "$ca" --environment sandbox >"$dir/verify-b.log" 2>&1 ||
  fail "duet verify --pdf B: $(cat "$dir/verify-b.log")"
after=$(sqlite3 "$data/duet.db" "SELECT count(*) FROM sign_orders WHERE tenant_id = '$tenant'")
[ "$after" = $((before + 1)) ] || fail "order B made $((after - before)) upstream orders"
[ "$(cosignatures "$up_b")" = 1 ] || fail "order B was co-signed $(cosignatures "$up_b") times"
[ "$(sqlite3 "$data/duet.db" "SELECT state FROM sign_orders WHERE order_id = '$up_b'")" = signed ] ||
  fail "the upstream order B is not signed"
sleep 2
[ "$(gw_get "$gw_b" | jq -r .state)" = signed ] || fail "order B left signed"
found=$(search "$data" "$dir/duetd.log" -- "$dir/contract-b.pdf" "$dir/marker-b")
[ -z "$found" ] || fail "document bytes of B in duetd's files: $found"
[ -z "$(png_files)" ] || fail "a PNG in duetd's files while previews are off: $(png_files)"
echo "gateway_test: restarts of duetd and SIGKILLs of the gateway: one upstream order, one co-signature, signed once"

# A real SIGKILL in that window: the gateway kills itself right after duetd
# answered the create and before it commits the answer (a test build's fault
# injection point), then restarts and delivers the signed PDF exactly once.
kill "$gwpid"; wait "$gwpid" 2>/dev/null || true; gwpid=""
start_gateway after_upstream_create
before=$(sqlite3 "$data/duet.db" "SELECT count(*) FROM sign_orders WHERE tenant_id = '$tenant'")
# (The kill may come before the 201 reaches the client: the order is read from the store.)
"${lapi[@]}" order create --holder "$holder_id" --title "Loan contract C" --pdf "$dir/contract-b.pdf" \
  --page 1 --rect 300,60,120,80 --signer-name "张三" >"$dir/create-c.log" 2>&1 || true
gw_c=$(sqlite3 "$dir/gw/gateway.db" "SELECT order_id FROM gw_orders WHERE title = 'Loan contract C'")
[ -n "$gw_c" ] || fail "create C on the gateway: $(cat "$dir/create-c.log")"
status=0
for _ in $(seq 1 150); do kill -0 "$gwpid" 2>/dev/null || break; sleep 0.2; done
wait "$gwpid" 2>/dev/null || status=$?
gwpid=""
[ "$status" = 137 ] || fail "the gateway did not die by SIGKILL at the injection point (exit $status)"
[ "$(sqlite3 "$dir/gw/gateway.db" "SELECT state || ':' || upstream_order_id FROM gw_orders WHERE order_id = '$gw_c'")" = \
  "prepared:" ] || fail "order C is not prepared without an upstream id after the kill"
up_c=$(sqlite3 "$data/duet.db" "SELECT order_id FROM sign_orders WHERE tenant_id = '$tenant' \
  AND idempotency_key = 'gateway-$gw_c'")
[ -n "$up_c" ] || fail "duetd has no upstream order for C: the kill came before the create"
start_gateway
wait_for "$gw_c" '.upstream_order_id != null' 30
[ "$(gw_get "$gw_c" | jq -r .upstream_order_id)" = "$up_c" ] || fail "C: the restart made another upstream order"
"${hold[@]}" sign "$up_c" --pin 246810 >"$dir/sign-c.log" 2>&1 || fail "holder sign C: $(cat "$dir/sign-c.log")"
wait_for "$gw_c" '.state == "signed"' 40
"${lapi[@]}" order pdf "$gw_c" --out "$dir/signed-c.pdf" >/dev/null || fail "fetching signed C"
check_signed_pdf "$dir/contract-b.pdf" "$dir/signed-c.pdf" "$dir/check-c" ETSI.CAdES.detached
after=$(sqlite3 "$data/duet.db" "SELECT count(*) FROM sign_orders WHERE tenant_id = '$tenant'")
[ "$after" = $((before + 1)) ] || fail "order C made $((after - before)) upstream orders"
[ "$(cosignatures "$up_c")" = 1 ] || fail "order C was co-signed $(cosignatures "$up_c") times"
echo "gateway_test: a real SIGKILL between duetd's create and its commit: one upstream order, signed once"

# ---- 4. hybrid previews on -------------------------------------------------------------------
"${adm[@]}" tenant hybrid-previews "$tenant" on | jq -e '.hybrid_previews == true' >/dev/null ||
  fail "turning hybrid previews on"
[ "$(sqlite3 "$data/duet.db" "SELECT count(*) FROM audit_events WHERE action = \
  'POST /admin/v1/tenants/{tenant_id}/hybrid-previews' AND outcome = 'ok' AND target = 'tenant_id:$tenant'")" = 1 ] ||
  fail "the switch is not audited"
order=$("${lapi[@]}" order create --holder "$holder_id" --title "Loan contract D" --pdf "$dir/contract-b.pdf" \
  --page 1 --rect 300,60,120,80 --signer-name "张三") || fail "create D on the gateway"
gw_d=$(jq -r .order_id <<<"$order")
wait_for "$gw_d" '.upstream_order_id != null' 30
up_d=$(gw_get "$gw_d" | jq -r .upstream_order_id)
[ "$(sqlite3 "$data/duet.db" "SELECT count(*) FROM order_previews WHERE order_id = '$up_d' AND page = 1")" = 1 ] ||
  fail "duetd keeps no preview of D's stamped page"
shown=$("${hold[@]}" show "$up_d") || fail "holder show D: $shown"
jq -e '.items[0].preview.available == true and .items[0].preview.pages == [1] and .items[0].preview.page_count == 1' \
  <<<"$shown" >/dev/null || fail "the holder's order D lists no preview: $shown"
mkdir -p "$dir/pages-d"
"${hold[@]}" sign "$up_d" --pin 246810 --pages-dir "$dir/pages-d" >"$dir/sign-d.log" 2>&1 ||
  fail "holder sign D: $(cat "$dir/sign-d.log")"
png="$dir/pages-d/$up_d-0-page1.png"
[ -s "$png" ] || fail "the holder fetched no preview of D"
# An independent PNG decoder: the signature, every chunk's CRC, IHDR, and the
# inflated IDAT holding exactly height rows of (1 + width × channels) bytes.
python3 - "$png" <<'PY' || fail "the holder's preview of D is not a valid PNG"
import struct, sys, zlib
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n", "signature"
pos, idat, ihdr, end = 8, b"", None, False
while pos < len(b):
    n, = struct.unpack(">I", b[pos:pos + 4]); kind = b[pos + 4:pos + 8]; body = b[pos + 8:pos + 8 + n]
    crc, = struct.unpack(">I", b[pos + 8 + n:pos + 12 + n])
    assert zlib.crc32(kind + body) & 0xffffffff == crc, f"CRC of {kind}"
    if kind == b"IHDR": ihdr = struct.unpack(">IIBBBBB", body)
    if kind == b"IDAT": idat += body
    if kind == b"IEND": end = True
    pos += 12 + n
w, h, depth, color = ihdr[:4]
assert end and depth == 8 and w > 100 and h > 100, ihdr
channels = {0: 1, 2: 3, 4: 2, 6: 4}[color]
raw = zlib.decompress(idat)
assert len(raw) == h * (1 + w * channels), (len(raw), w, h, channels)
PY
if command -v file >/dev/null; then file "$png" | grep -q "PNG image data" || fail "file(1): $(file "$png")"; fi
wait_for "$gw_d" '.state == "signed"' 40
found=$(search "$data" "$dir/duetd.log" -- "$dir/contract-b.pdf" "$dir/marker-b")
[ -z "$found" ] || fail "document bytes of D in duetd's files with previews on: $found"
[ -n "$(png_files)" ] || fail "the PNG search finds nothing even with previews on (it could not fail)"
grep -q 'duet_gateway_preview_uploads_total{result="uploaded"} 1' <<<"$(curl -fsS "http://127.0.0.1:$gwport/metrics")" ||
  fail "the upload is not counted"
echo "gateway_test: hybrid previews on: the holder fetched a valid PNG of the stamped page, no PDF byte in duetd"

# ---- 4b. the handwritten-signature appearance (docs/gateway.md "Appearance") ---------------
# Without an image: appearance handwritten is 409, nothing stored.
rows=$(gw_rows)
if "${lapi[@]}" order create --holder "$holder_id" --title "hand" --pdf "$dir/contract-b.pdf" --page 1 \
    --rect 300,60,160,80 --appearance handwritten >"$dir/hw.log" 2>&1; then
  fail "appearance handwritten was taken for a holder without an image"
fi
grep -q "409 conflict" "$dir/hw.log" || fail "handwritten without an image: $(cat "$dir/hw.log")"
[ "$(gw_rows)" = "$rows" ] || fail "a refused handwritten order left a row"
# duetd's Business API route the gateway reads it from, called here with a
# request signed by openssl (request-signature v2): the PNG for the tenant's
# own app; 404 for the tenant's production app (another environment) and for
# another tenant's app.
signed_get() {  # APP_ID SECRET_FILE PATH OUT -> HTTP status
  local ts nonce sig bodyhash
  ts=$(date +%s)
  nonce="gw-$RANDOM$RANDOM$RANDOM"
  bodyhash=$(printf '' | openssl dgst -sm3 -hex | sed 's/.*= //')
  sig=$(printf 'GET\n%s\n%s\n%s\n\n%s' "$3" "$ts" "$nonce" "$bodyhash" |
    openssl dgst -sm3 -hmac "$(cat "$2")" -hex | sed 's/.*= //')
  curl -s -o "$4" -w '%{http_code}' --cacert "$ca" -H "X-Duet-App-Id: $1" -H "X-Duet-Timestamp: $ts" \
    -H "X-Duet-Nonce: $nonce" -H "X-Duet-Signature-Version: 2" -H "X-Duet-Signature: $sig" "$url$3"
}
hw_path="/api/v1/holders/$holder_id/handwritten-signature"
[ "$(signed_get "$app" "$dir/secret" "$hw_path" "$dir/hw-none.json")" = 404 ] || fail "the image route before an upload"
jq -e '.error.code == "not_found"' "$dir/hw-none.json" >/dev/null || fail "no image: $(cat "$dir/hw-none.json")"
# The holder uploads one (blue strokes on transparency) to duetd, in the app.
python3 - "$dir/hand.png" <<'PNG'
import math, struct, sys, zlib
W, H = 240, 100
rows = []
for y in range(H):
    r = bytearray(W * 4)
    for x in range(10, 230):
        if abs(y - (50 + int(30 * math.sin(x / 18.0)))) <= 3:
            r[x * 4:x * 4 + 4] = bytes([10, 30, 200, 255])
    rows.append(b"\x00" + bytes(r))
def chunk(t, data):
    return struct.pack(">I", len(data)) + t + data + struct.pack(">I", zlib.crc32(t + data) & 0xffffffff)
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 6, 0, 0, 0)) +
                              chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))
PNG
"${hold[@]}" handwriting set --pin 246810 "$dir/hand.png" >/dev/null || fail "the holder's upload of the image"
[ "$(signed_get "$app" "$dir/secret" "$hw_path" "$dir/hw-own.png")" = 200 ] || fail "the image route for the own app"
[ "$(head -c 8 "$dir/hw-own.png" | xxd -p)" = 89504e470d0a1a0a ] || fail "the image route did not answer a PNG"
jq -r .production.secret <<<"$apps" >"$dir/prod.secret"
# (Production credentials answer 403 service_not_active before the tenant's
# activation: activated now, so that the 404 is the environment's.)
"${adm[@]}" tenant activate "$tenant" --from now >/dev/null || fail "activate the tenant's production"
[ "$(signed_get "$(jq -r .production.app_id <<<"$apps")" "$dir/prod.secret" "$hw_path" "$dir/hw-prod")" = 404 ] ||
  fail "the tenant's production app read a sandbox holder's image"
other=$("${adm[@]}" tenant create --name "Other bank" | jq -r .tenant_id)
other_apps=$("${adm[@]}" app create --tenant "$other" 2>/dev/null)
jq -r .sandbox.secret <<<"$other_apps" >"$dir/other.secret"
[ "$(signed_get "$(jq -r .sandbox.app_id <<<"$other_apps")" "$dir/other.secret" "$hw_path" "$dir/hw-other")" = 404 ] ||
  fail "another tenant's app read the holder's image"
audited_reads() {
  sqlite3 "$data/duet.db" "SELECT count(*) FROM audit_events WHERE action = \
    'GET /api/v1/holders/{holder_id}/handwritten-signature' AND outcome = 'ok'"
}
reads=$(audited_reads)
order=$("${lapi[@]}" order create --holder "$holder_id" --title "Loan contract H" --pdf "$dir/contract-b.pdf" \
  --page 1 --rect 300,60,160,80 --appearance handwritten) || fail "create H (handwritten) on the gateway"
gw_h=$(jq -r .order_id <<<"$order")
[ "$(jq -r .appearance <<<"$order")" = handwritten ] || fail "H does not say handwritten: $order"
[ "$(audited_reads)" = $((reads + 1)) ] || fail "duetd did not audit the gateway's read of the image"
wait_for "$gw_h" '.upstream_order_id != null' 30
up_h=$(gw_get "$gw_h" | jq -r .upstream_order_id)
"${hold[@]}" sign "$up_h" --pin 246810 >"$dir/sign-h.log" 2>&1 || fail "holder sign H: $(cat "$dir/sign-h.log")"
wait_for "$gw_h" '.state == "signed"' 40
"${lapi[@]}" order pdf "$gw_h" --out "$dir/signed-h.pdf" >/dev/null || fail "fetching signed H"
check_signed_pdf "$dir/contract-b.pdf" "$dir/signed-h.pdf" "$dir/check-h" ETSI.CAdES.detached
"$duet" verify --pdf "$dir/signed-h.pdf" --server "$url" --ca "$ca" --environment sandbox >"$dir/verify-h.log" 2>&1 ||
  fail "duet verify --pdf H: $(cat "$dir/verify-h.log")"
# Rendered by poppler at 72 dpi: the image's blue ink inside the seal's
# rectangle, no red name stamp; the unsigned page has neither there.
ink() {  # PDF X Y W H -> "blue red"
  pdftoppm -r 72 -f 1 -l 1 -singlefile "$1" "$dir/render" && python3 - "$dir/render.ppm" "$2" "$3" "$4" "$5" <<'PPM'
import sys
data = open(sys.argv[1], "rb").read()
parts = data.split(b"\n", 3)
w, h = map(int, parts[1].split())
px = parts[3]
x0, y0, ww, hh = (int(float(v)) for v in sys.argv[2:6])
blue = red = 0
for y in range(h - (y0 + hh), h - y0):
    for x in range(x0, x0 + ww):
        r, g, b = px[(y * w + x) * 3:(y * w + x) * 3 + 3]
        if b > 120 and r < 90 and g < 120: blue += 1
        if r > 150 and g < 90 and b < 90: red += 1
print(blue, red)
PPM
}
read -r blue red < <(ink "$dir/signed-h.pdf" 300 60 160 80)
[ "$blue" -gt 200 ] || fail "no handwriting where H's seal is ($blue blue pixels)"
[ "$red" -lt 20 ] || fail "a name stamp where H's handwriting should be ($red red pixels)"
read -r blue red < <(ink "$dir/contract-b.pdf" 300 60 160 80)
[ "$blue" -lt 20 ] || fail "the unsigned page is already blue there (the check could not fail)"
pdftotext "$dir/signed-h.pdf" - | grep -q "张三" || fail "H's seal does not print the certificate's name"
found=$(search "$data" "$dir/duetd.log" -- "$dir/contract-b.pdf" "$dir/marker-b")
[ -z "$found" ] || fail "document bytes of H in duetd's files: $found"
echo "gateway_test: appearance handwritten through the gateway: the holder's image drawn, verified"

# ---- 4c. batch orders (docs/gateway.md "Batch orders") -------------------------------------
# Two PDFs in one gateway order: one digest-only upstream order with two
# items, one confirmation by the holder, each document stamped and served
# locally (?document=N). The gateway SIGKILLs itself after building both
# signed PDFs and before committing them (fault injection), restarts, and
# delivers both exactly once: one upstream order, one co-signing session.
kill "$gwpid"; wait "$gwpid" 2>/dev/null || true; gwpid=""
start_gateway before_signed_commit
before=$(sqlite3 "$data/duet.db" "SELECT count(*) FROM sign_orders WHERE tenant_id = '$tenant'")
order=$("${lapi[@]}" order create --holder "$holder_id" --title "Loan contracts A and B" --pdf "$dir/contract-a.pdf" \
  --pdf "$dir/contract-b.pdf" --page 1 --rect 300,60,120,80) || fail "create the batch on the gateway"
gw_k=$(jq -r .order_id <<<"$order")
[ "$(jq -r .document_count <<<"$order")" = 2 ] || fail "the batch does not have two documents: $order"
wait_for "$gw_k" '.upstream_order_id != null' 30
up_k=$(gw_get "$gw_k" | jq -r .upstream_order_id)
upstream=$("${api[@]}" order get "$up_k")
[ "$(jq -r '[.items[] | select(.kind == "digest" and .size == 32)] | length' <<<"$upstream")" = 2 ] ||
  fail "the upstream batch is not two digest items: $upstream"
for i in 0 1; do
  [ "$(gw_get "$gw_k" | jq -r ".documents[$i].byte_range_digest")" != null ] || fail "document $i has no digest"
done
[ "$(gw_get "$gw_k" | jq -r '.documents[0].byte_range_digest')" != "$(gw_get "$gw_k" | jq -r '.documents[1].byte_range_digest')" ] ||
  fail "the two documents have one digest"
"${hold[@]}" sign "$up_k" --pin 246810 >"$dir/sign-k.log" 2>&1 || fail "holder sign the batch: $(cat "$dir/sign-k.log")"
status=0
for _ in $(seq 1 200); do kill -0 "$gwpid" 2>/dev/null || break; sleep 0.2; done
wait "$gwpid" 2>/dev/null || status=$?
gwpid=""
[ "$status" = 137 ] || fail "the gateway did not die by SIGKILL before committing the batch (exit $status)"
[ "$(sqlite3 "$dir/gw/gateway.db" "SELECT state FROM gw_orders WHERE order_id = '$gw_k'")" = cosigned ] ||
  fail "the batch is not cosigned after the kill"
start_gateway
wait_for "$gw_k" '.state == "signed"' 40
"${lapi[@]}" order pdf "$gw_k" --out "$dir/signed-k0.pdf" >/dev/null || fail "fetching batch document 0"
"${lapi[@]}" order pdf "$gw_k" --document 1 --out "$dir/signed-k1.pdf" >/dev/null || fail "fetching batch document 1"
if "${lapi[@]}" order pdf "$gw_k" --document 2 --out "$dir/signed-k2.pdf" >"$dir/k2.log" 2>&1; then
  fail "the batch served a third document"
fi
grep -q "404" "$dir/k2.log" || fail "document 2: $(cat "$dir/k2.log")"
check_signed_pdf "$dir/contract-a.pdf" "$dir/signed-k0.pdf" "$dir/check-k0" ETSI.CAdES.detached
check_signed_pdf "$dir/contract-b.pdf" "$dir/signed-k1.pdf" "$dir/check-k1" ETSI.CAdES.detached
for k in 0 1; do
  "$duet" verify --pdf "$dir/signed-k$k.pdf" --server "$url" --ca "$ca" --environment sandbox >"$dir/verify-k$k.log" 2>&1 ||
    fail "duet verify --pdf batch document $k: $(cat "$dir/verify-k$k.log")"
done
after=$(sqlite3 "$data/duet.db" "SELECT count(*) FROM sign_orders WHERE tenant_id = '$tenant'")
[ "$after" = $((before + 1)) ] || fail "the batch made $((after - before)) upstream orders"
[ "$(cosignatures "$up_k")" = 1 ] || fail "the batch was co-signed in $(cosignatures "$up_k") sessions"
for n in a b; do
  found=$(search "$data" "$dir/duetd.log" -- "$dir/contract-$n.pdf" "$dir/marker-$n")
  [ -z "$found" ] || fail "document bytes of batch contract $n in duetd's files: $found"
done
echo "gateway_test: a batch of two PDFs, one confirmation, SIGKILL before the commit: both signed once"

# ---- 5. duet demo --gateway (issue 12 item 6): a spawned duetd and a spawned gateway --------
"$duet" demo --gateway --gateway-bin "$gateway" --duetd "$duetd" --pdf "$dir/contract-a.pdf" \
  --pdf-keyword "Borrower signature:" --out "$dir/demo" --kdf-iterations 1000 >"$dir/demo.log" 2>&1 ||
  fail "duet demo --gateway: $(tail -n 30 "$dir/demo.log")"
grep -q "verify signed.pdf *valid" "$dir/demo.log" || fail "demo: $(cat "$dir/demo.log")"
check_signed_pdf "$dir/contract-a.pdf" "$dir/demo/signed.pdf" "$dir/check-demo" ETSI.CAdES.detached
echo "gateway_test: duet demo --gateway OK"
