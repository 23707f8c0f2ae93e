#!/usr/bin/env bash
# Issue 12 item 3 end to end, on a real duetd on loopback: a sign order with
# output pdf created with `duet api order create --pdf` (and each document
# error refused with its own code, nothing written), signed by the real holder
# client (`duet holder sign`: the pages fetched as PNG, e computed from the
# signed attributes), the signed PDF fetched, then checked by independent
# tools: qpdf --check, pdfsig (lists the signature), the ByteRange coverage,
# and openssl over the CMS (messageDigest = SM3 of the ByteRange bytes, the
# SM2 signature over the signed attributes with the holder's key, and the
# RFC 3161 timestamp token present); and `duet verify --pdf` (the project's verifier).
# Usage: pdf_order_test.sh DUET DUETD
set -euo pipefail
duet=$1
duetd=$2
for tool in jq qpdf pdfsig openssl python3 xxd sqlite3; do
  command -v "$tool" >/dev/null || { echo "pdf_order_test: needs $tool" >&2; exit 1; }
done
dir=$(mktemp -d)
data=$dir/data
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$dir" || true
}
trap cleanup EXIT
fail() { echo "pdf_order_test: FAIL: $*" >&2; tail -n 20 "$dir/duetd.log" >&2 || true; exit 1; }

# A 3 MB document limit: a 2 MB document (2.7 MB of base64, over the default
# http.max_body_bytes of 1 MiB) passes the order route's own body limit (the
# base64 of pdf.max_bytes + 64 KiB); a 3.01 MB one still fits that body and is
# refused by the service as payload_too_large.
duetd_extra_config=$'[pdf]\nmax_bytes = 3000000\n'
tenant_name="PDF bank"
# shellcheck source=tests/duetd_sandbox.sh
. "$(dirname "$0")/duetd_sandbox.sh"

holder_id=$("${api[@]}" holder create --name "张三" --id-number 110101199003071234 --phone 13812345678 | jq -r .holder_id)
code=$("${api[@]}" activation-code "$holder_id" | jq -r .code)
hold=("$duet" holder --server "$url" --ca "$ca" --state "$dir/device")
"${hold[@]}" enroll --holder-id "$holder_id" --code "$code" --accept-agreements --pin 246810 --kdf-iterations 1000 \
  >"$dir/enroll.log" 2>&1 || fail "enroll: $(cat "$dir/enroll.log")"

# The documents: a 2-page contract (the keyword on page 2), and its bad twins.
PYTHONPATH="$(dirname "$0")" python3 - "$dir" <<'PY'
import sys
from test_pdf import pdf
d = sys.argv[1]
open(f"{d}/contract.pdf", "wb").write(pdf(["Loan contract PDF-E2E-MARKER", "Borrower signature:"]))
open(f"{d}/big.pdf", "wb").write(pdf(["big"], pad=3010000))
open(f"{d}/large.pdf", "wb").write(pdf(["large but allowed"], pad=2000000))
open(f"{d}/notpdf.pdf", "wb").write(b"this is no PDF at all\n")
open(f"{d}/malformed.pdf", "wb").write(pdf(["x"])[:80])
PY
qpdf --encrypt user owner 256 -- "$dir/contract.pdf" "$dir/encrypted.pdf"
qpdf --check "$dir/contract.pdf" >/dev/null || fail "the test contract itself does not pass qpdf"

count_orders() { "${api[@]}" order list --holder "$holder_id" | jq '.orders | length'; }
# What a refused order must not leave behind, read from the database itself
# (sqlite3, not the API): order rows, document rows, usage records, and the
# callbacks an order would queue.
count_rows() {
  sqlite3 "$data/duet.db" "SELECT (SELECT count(*) FROM sign_orders) || '/' || (SELECT count(*) FROM sign_order_items)
    || '/' || (SELECT count(*) FROM order_documents) || '/' || (SELECT count(*) FROM usage_records)
    || '/' || (SELECT count(*) FROM callback_jobs)"
}
expect_refused() {  # FILE CODE [placement options…]
  local file=$1 want=$2; shift 2
  if "${api[@]}" order create --holder "$holder_id" --title "bad" --pdf "$file" "$@" >"$dir/bad.log" 2>&1; then
    fail "$file was accepted: $(cat "$dir/bad.log")"
  fi
  grep -q " $want" "$dir/bad.log" || fail "$file: expected $want, got: $(cat "$dir/bad.log")"
}
before=$(count_orders)
rows_before=$(count_rows)
expect_refused "$dir/notpdf.pdf" "not_pdf" --page 1 --rect 72,72,120,80
expect_refused "$dir/malformed.pdf" "pdf_malformed" --page 1 --rect 72,72,120,80
expect_refused "$dir/encrypted.pdf" "pdf_encrypted" --page 1 --rect 72,72,120,80
expect_refused "$dir/big.pdf" "payload_too_large" --page 1 --rect 72,72,120,80
expect_refused "$dir/contract.pdf" "not_found" --keyword "Guarantor signature:" --size 120,80
expect_refused "$dir/contract.pdf" "invalid_argument" --page 3 --rect 72,72,120,80
[ "$(count_orders)" = "$before" ] || fail "a refused document left an order behind"
[ "$(count_rows)" = "$rows_before" ] || fail "a refused document left rows behind ($rows_before -> $(count_rows))"
large=$("${api[@]}" order create --holder "$holder_id" --title "Large" --pdf "$dir/large.pdf" --page 1 \
  --rect 72,72,120,80) || fail "a 2 MB document was refused"
"${api[@]}" order cancel "$(jq -r .order_id <<<"$large")" >/dev/null || fail "cancel the large order"

order=$("${api[@]}" order create --holder "$holder_id" --title "Loan contract" --pdf "$dir/contract.pdf" \
  --keyword "Borrower signature:" --offset 170,0 --size 120,80)
order_id=$(jq -r .order_id <<<"$order")
[ "$(jq -r .output <<<"$order")" = pdf ] || fail "order: $order"
if "${api[@]}" order pdf "$order_id" --out "$dir/early.pdf" >"$dir/early.log" 2>&1; then
  fail "the PDF was served before the order was signed"
fi
grep -q "409 conflict" "$dir/early.log" || fail "before completion: $(cat "$dir/early.log")"

mkdir -p "$dir/pages"
"${hold[@]}" sign "$order_id" --pin 246810 --pages-dir "$dir/pages" >"$dir/sign.log" 2>&1 ||
  fail "holder sign: $(cat "$dir/sign.log")"
[ "$(head -c 4 "$dir/pages/$order_id-0-page2.png" | tail -c 3)" = PNG ] || fail "no preview of page 2"
"${api[@]}" order pdf "$order_id" --out "$dir/signed.pdf" >/dev/null || fail "fetching the signed PDF"
[ "$("${api[@]}" order get "$order_id" | jq -r .state)" = signed ] || fail "the order is not signed"

# The independent checks (tests/pdf_checks.sh).
# shellcheck source=tests/pdf_checks.sh
. "$(dirname "$0")/pdf_checks.sh"
check_signed_pdf "$dir/contract.pdf" "$dir/signed.pdf" "$dir/check"

# The project's verifier (duet verify --pdf, the chain and the CRL from the server).
"$duet" verify --pdf "$dir/signed.pdf" --server "$url" --ca "$ca" --environment sandbox >"$dir/verify.log" 2>&1 ||
  fail "duet verify --pdf: $(cat "$dir/verify.log")"
# `duet demo --pdf FILE --out DIR` through a spawned duetd (issue 12 item 6):
# DIR/signed.pdf, verified by the demo itself and here by qpdf and pdfsig.
"$duet" demo --pdf "$dir/contract.pdf" --pdf-keyword "Borrower signature:" --duetd "$duetd" --out "$dir/demo" \
  --kdf-iterations 1000 >"$dir/demo.log" 2>&1 || fail "duet demo --pdf: $(tail -n 20 "$dir/demo.log")"
grep -q "verify signed.pdf *valid" "$dir/demo.log" || fail "demo: $(cat "$dir/demo.log")"
qpdf --check "$dir/demo/signed.pdf" >/dev/null || fail "qpdf --check on the demo's signed.pdf"
pdfsig "$dir/demo/signed.pdf" 2>&1 | grep -q "Signature #1" || fail "pdfsig on the demo's signed.pdf"
echo "pdf order: created, previewed, co-signed (PAdES B-T), served and verified OK; duet demo --pdf OK"
