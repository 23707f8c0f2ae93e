#!/usr/bin/env bash
# Issue 12 items 1 and 2 on a real duetd (docs/pdf.md "Handwritten signature",
# "Certification", "Several signers"):
#  - the holder's handwritten-signature image through the Holder API
#    (`duet holder handwriting set|get|delete`): bad images refused each with
#    its own code, a good one kept (normalised), replaced and deleted;
#  - a PDF order with appearance handwritten shows it (rendered by pdftoppm:
#    blue ink where the seal is, no red name stamp); handwritten for a holder
#    without one is 409 and stores nothing, handwritten_or_name_stamp falls back;
#  - a certification signature (certify, DocMDP P=2) by the first signer,
#    checked with qpdf's JSON (catalog /Perms /DocMDP, /Reference
#    /TransformMethod /DocMDP, /P 2); certify on a signed document is 400;
#  - a second signer through a second order on the signed PDF: an incremental
#    update, both signatures verified by `duet verify --pdf` and each by the
#    openssl CLI independently, pdfsig lists both, the ByteRanges end at the
#    first revision and at the end of the file;
#  - a document certified with P=1 takes no second signer (409), nothing stored.
# Usage: pdf_sequence_test.sh DUET DUETD
set -euo pipefail
duet=$1
duetd=$2
for tool in jq qpdf pdfsig pdftoppm openssl python3 xxd sqlite3; do
  command -v "$tool" >/dev/null || { echo "pdf_sequence_test: needs $tool" >&2; exit 1; }
done
dir=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$dir" || true
}
trap cleanup EXIT
fail() { echo "pdf_sequence_test: FAIL: $*" >&2; tail -n 20 "$dir/duetd.log" >&2 || true; exit 1; }

tenant_name="PDF sequence bank"
# shellcheck source=tests/duetd_sandbox.sh
. "$(dirname "$0")/duetd_sandbox.sh"

enroll() {  # NAME ID-NUMBER STATE -> holder id
  local h c
  h=$("${api[@]}" holder create --name "$1" --id-number "$2" --phone 13812345678 | jq -r .holder_id)
  c=$("${api[@]}" activation-code "$h" | jq -r .code)
  "$duet" holder --server "$url" --ca "$ca" --state "$3" enroll --holder-id "$h" --code "$c" --pin 246810 \
    --kdf-iterations 1000 --accept-agreements >"$3.enroll.log" 2>&1 || fail "enroll $1: $(cat "$3.enroll.log")"
  echo "$h"
}
zhang=$(enroll "张三" 110101199003071234 "$dir/zhang")
li=$(enroll "李四" 110101198512125678 "$dir/li")
hz=("$duet" holder --server "$url" --ca "$ca" --state "$dir/zhang")
hl=("$duet" holder --server "$url" --ca "$ca" --state "$dir/li")

PYTHONPATH="$(dirname "$0")" python3 - "$dir" <<'PY'
import struct, sys, zlib
from test_pdf import pdf
d = sys.argv[1]
open(f"{d}/contract.pdf", "wb").write(pdf(["Purchase contract, two parties", "Signatures"]))

def png(w, h, color_type, rows, extra=b""):
    def chunk(t, data):
        return struct.pack(">I", len(data)) + t + data + struct.pack(">I", zlib.crc32(t + data) & 0xffffffff)
    raw = b"".join(b"\x00" + r for r in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)) + extra +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
W, H = 240, 100
def stroke_rows():
    rows = []
    for y in range(H):
        r = bytearray(W * 4)
        for x in range(10, 230):
            if abs(y - (50 + int(30 * __import__("math").sin(x / 18.0)))) <= 3:
                r[x * 4:x * 4 + 4] = bytes([10, 30, 200, 255])   # blue ink, opaque; elsewhere transparent
        rows.append(bytes(r))
    return rows
comment = b"tEXt" + b"Comment\x00HANDWRITING-MARKER"
text_chunk = struct.pack(">I", len(comment) - 4) + comment + struct.pack(">I", zlib.crc32(comment) & 0xffffffff)
good = png(W, H, 6, stroke_rows(), extra=text_chunk)
open(f"{d}/hand.png", "wb").write(good)
open(f"{d}/opaque.png", "wb").write(png(64, 32, 2, [bytes([255, 255, 255]) * 64] * 32))        # RGB, no alpha
open(f"{d}/tiny.png", "wb").write(png(8, 8, 6, [bytes([0, 0, 255, 255]) + bytes(28)] * 8))     # 8 x 8
open(f"{d}/blank.png", "wb").write(png(64, 32, 6, [bytes(64 * 4)] * 32))                        # nothing visible
open(f"{d}/wide.png", "wb").write(png(2049, 16, 6, [bytes([0, 0, 255, 255]) + bytes(2048 * 4)] * 16))
bad_crc = bytearray(good); bad_crc[-20] ^= 0x55                                                  # inside IDAT
open(f"{d}/badcrc.png", "wb").write(bytes(bad_crc))
open(f"{d}/truncated.png", "wb").write(good[:len(good) // 2])
open(f"{d}/notpng.png", "wb").write(b"\xff\xd8\xff\xe0JFIF not a png")
import os
open(f"{d}/huge.png", "wb").write(good + os.urandom(1030 * 1024))  # over 1 MiB, under the route body limit
PY

# --- the handwritten-signature image -------------------------------------------------
expect_hw_refused() {  # FILE CODE
  if "${hz[@]}" handwriting set --pin 246810 "$1" >"$dir/hw.log" 2>&1; then fail "$1 was accepted: $(cat "$dir/hw.log")"; fi
  grep -q " $2" "$dir/hw.log" || fail "$1: expected $2, got: $(cat "$dir/hw.log")"
}
expect_hw_refused "$dir/notpng.png" bad_encoding
expect_hw_refused "$dir/truncated.png" bad_encoding
expect_hw_refused "$dir/badcrc.png" bad_encoding
expect_hw_refused "$dir/opaque.png" invalid_argument
expect_hw_refused "$dir/tiny.png" invalid_argument
expect_hw_refused "$dir/blank.png" invalid_argument
expect_hw_refused "$dir/wide.png" payload_too_large
expect_hw_refused "$dir/huge.png" payload_too_large
"${hz[@]}" handwriting get --pin 246810 --out "$dir/none.png" >"$dir/hw.log" 2>&1 && fail "a refused image was kept"
grep -q "404 not_found" "$dir/hw.log" || fail "get before upload: $(cat "$dir/hw.log")"
kept=$("${hz[@]}" handwriting set --pin 246810 "$dir/hand.png") || fail "the good image was refused"
[ "$(jq -r '"\(.width)x\(.height)"' <<<"$kept")" = 240x100 ] || fail "upload answer: $kept"
"${hz[@]}" handwriting get --pin 246810 --out "$dir/kept.png" >/dev/null || fail "get after upload"
[ "$(head -c 8 "$dir/kept.png" | xxd -p)" = 89504e470d0a1a0a ] || fail "the kept image is not a PNG"
grep -q HANDWRITING-MARKER "$dir/kept.png" && fail "the kept image still carries the upload's text chunk"
# Sealed at rest: the database holds neither the upload nor the kept PNG in clear.
sqlite3 "$data/duet.db" "PRAGMA wal_checkpoint(FULL);" >/dev/null 2>&1 || true
[ "$(sqlite3 "$data/duet.db" "SELECT count(*) FROM holder_handwritten_signatures WHERE holder_id = '$zhang'")" = 1 ] ||
  fail "no row for the kept image"
for f in "$data"/duet.db*; do
  grep -qa "IDAT" "$f" && fail "$f holds a PNG in clear"
done
# Replaced, deleted, uploaded again.
"${hz[@]}" handwriting delete --pin 246810 >/dev/null || fail "delete"
"${hz[@]}" handwriting get --pin 246810 --out "$dir/none.png" >/dev/null 2>&1 && fail "a deleted image was served"
"${hz[@]}" handwriting delete --pin 246810 >"$dir/hw.log" 2>&1 && fail "a second delete succeeded"
grep -q "404 not_found" "$dir/hw.log" || fail "second delete: $(cat "$dir/hw.log")"
"${hz[@]}" handwriting set --pin 246810 "$dir/hand.png" >/dev/null || fail "upload after delete"

# --- orders: appearance, certification, two signers ------------------------------------
count_rows() { sqlite3 "$data/duet.db" "SELECT (SELECT count(*) FROM sign_orders) || '/' || (SELECT count(*) FROM order_documents) || '/' || (SELECT count(*) FROM usage_records)"; }
expect_order_refused() {  # CODE HOLDER FILE [options…]
  local want=$1 holder=$2 file=$3; shift 3
  local before; before=$(count_rows)
  if "${api[@]}" order create --holder "$holder" --title "refused" --pdf "$file" "$@" >"$dir/bad.log" 2>&1; then
    fail "order on $file $* was accepted: $(cat "$dir/bad.log")"
  fi
  grep -q " $want" "$dir/bad.log" || fail "order on $file $*: expected $want, got: $(cat "$dir/bad.log")"
  [ "$(count_rows)" = "$before" ] || fail "a refused order left rows behind ($before -> $(count_rows))"
}
sign_order() {  # HOLDER-CMD-ARRAY-NAME ORDER-ID OUT
  local -n h=$1
  "${h[@]}" sign "$2" --pin 246810 >"$dir/sign.log" 2>&1 || fail "holder sign $2: $(cat "$dir/sign.log")"
  "${api[@]}" order pdf "$2" --out "$3" >/dev/null || fail "fetching the signed PDF of $2"
}
# Blue (handwriting) and red (name stamp) pixels inside a rectangle (points,
# lower-left origin) of page 1, rendered at 72 dpi.
ink() {  # PDF X Y W H -> "blue red"
  pdftoppm -r 72 -f 1 -l 1 -singlefile "$1" "$dir/render" && python3 - "$dir/render.ppm" "$2" "$3" "$4" "$5" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
parts = data.split(b"\n", 3)  # P6, "w h", maxval, pixels
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
PY
}

expect_order_refused conflict "$li" "$dir/contract.pdf" --page 2 --rect 72,300,160,80 --appearance handwritten
fallback=$("${api[@]}" order create --holder "$li" --title "fallback" --pdf "$dir/contract.pdf" --page 2 \
  --rect 72,300,160,80 --appearance handwritten_or_name_stamp) || fail "handwritten_or_name_stamp was refused"
"${api[@]}" order cancel "$(jq -r .order_id <<<"$fallback")" >/dev/null

# First signer: 张三's handwriting, certifying with P=2.
o1=$("${api[@]}" order create --holder "$zhang" --title "Contract, party A" --pdf "$dir/contract.pdf" --page 1 \
  --rect 72,72,160,80 --appearance handwritten --certify | jq -r .order_id)
sign_order hz "$o1" "$dir/signed1.pdf"
read -r blue red < <(ink "$dir/signed1.pdf" 72 72 160 80)
[ "$blue" -gt 200 ] || fail "no handwriting where the seal is ($blue blue pixels)"
[ "$red" -lt 20 ] || fail "a name stamp where the handwriting should be ($red red pixels)"
qpdf --check "$dir/signed1.pdf" >/dev/null || fail "qpdf --check signed1.pdf"
# The certification, read by qpdf (independent of PoDoFo and of our verifier).
qpdf --json=2 --json-key=qpdf "$dir/signed1.pdf" >"$dir/signed1.json"
python3 - "$dir/signed1.json" <<'PY' || fail "signed1.pdf is not a DocMDP certification with P=2"
import json, sys
objs = json.load(open(sys.argv[1]))["qpdf"][1]
def get(ref):
    return objs.get("obj:" + ref, {}).get("value")
cat = next(v["value"] for v in objs.values() if isinstance(v.get("value"), dict) and v["value"].get("/Type") == "/Catalog")
sig = get(cat["/Perms"]["/DocMDP"])
assert sig["/Type"] == "/Sig", sig
ref = sig["/Reference"][0]
ref = get(ref) if isinstance(ref, str) else ref
params = ref["/TransformParams"]
params = get(params) if isinstance(params, str) else params
assert ref["/TransformMethod"] == "/DocMDP" and params["/P"] == 2, (ref, params)
PY
"$duet" verify --pdf "$dir/signed1.pdf" --server "$url" --ca "$ca" --environment sandbox --json >"$dir/v1.json" || fail "verify signed1"
[ "$(jq -r '.signatures[0].docmdp_permission' "$dir/v1.json")" = 2 ] || fail "verify: $(cat "$dir/v1.json")"

# certify on a signed document: 400, nothing stored.
expect_order_refused invalid_argument "$li" "$dir/signed1.pdf" --page 2 --rect 72,300,160,80 --certify

# Second signer: 李四's name stamp on page 2 of the signed document.
o2=$("${api[@]}" order create --holder "$li" --title "Contract, party B" --pdf "$dir/signed1.pdf" --page 2 \
  --rect 72,300,160,80 | jq -r .order_id)
sign_order hl "$o2" "$dir/signed2.pdf"
s1=$(stat -c %s "$dir/signed1.pdf")
cmp -n "$s1" "$dir/signed1.pdf" "$dir/signed2.pdf" || fail "the first signer's revision is not a prefix"
qpdf --check "$dir/signed2.pdf" >"$dir/qpdf2.log" 2>&1 || fail "qpdf --check signed2.pdf: $(cat "$dir/qpdf2.log")"
pdfsig "$dir/signed2.pdf" >"$dir/pdfsig2.log" 2>&1 || true
grep -q "Signature #2" "$dir/pdfsig2.log" || fail "pdfsig does not list two signatures: $(cat "$dir/pdfsig2.log")"
mapfile -t ranges < <(grep -ao '/ByteRange *\[[0-9 ]*\]' "$dir/signed2.pdf" | tr -dc '0-9 \n' | xargs -L1)
[ "${#ranges[@]}" = 2 ] || fail "expected two ByteRanges, found ${#ranges[@]}"
size2=$(stat -c %s "$dir/signed2.pdf")
read -r A B C D <<<"${ranges[0]}"; [ "$A" = 0 ] && [ $((C + D)) = "$s1" ] || fail "the first ByteRange does not end at the first revision"
read -r A B C D <<<"${ranges[1]}"; [ "$A" = 0 ] && [ $((C + D)) = "$size2" ] || fail "the second ByteRange does not end at the file's end"
"$duet" verify --pdf "$dir/signed2.pdf" --server "$url" --ca "$ca" --environment sandbox --json >"$dir/v2.json" ||
  fail "duet verify --pdf signed2.pdf: $(cat "$dir/v2.json")"
[ "$(jq '[.signatures[] | select(.ok)] | length' "$dir/v2.json")" = 2 ] || fail "not both signatures verify: $(cat "$dir/v2.json")"
[ "$(jq -r '.signatures[1].signer.subject' "$dir/v2.json" | grep -c '李四')" = 1 ] || fail "the second signer is not 李四"

# Each CMS independently with openssl: messageDigest = SM3 of its ByteRange,
# and the SM2 signature over the signed attributes under the certificate in it.
check_cms() {  # PDF "A B C D" TAG
  local pdf=$1 tag=$3 A B C D len attrs off hl l sigline soff shl sl want
  read -r A B C D <<<"$2"
  dd if="$pdf" bs=1 skip=$((B + 1)) count=$((C - B - 2)) 2>/dev/null | xxd -r -p >"$dir/$tag.padded"
  len=$({ openssl asn1parse -inform DER -in "$dir/$tag.padded" 2>/dev/null || true; } | head -1 |
    sed -E 's/.*hl= *([0-9]+) +l= *([0-9]+).*/\1 \2/')
  head -c $(( ${len% *} + ${len#* } )) "$dir/$tag.padded" >"$dir/$tag.p7s"
  # (dd, not tail | head: the first signature's range ends before the file
  # does, and head's early exit would SIGPIPE the pipeline)
  want=$({ head -c "$B" "$pdf"; dd if="$pdf" iflag=skip_bytes,count_bytes skip="$C" count="$D" bs=64K 2>/dev/null; } |
    openssl dgst -sm3 -r | cut -d' ' -f1)
  openssl asn1parse -inform DER -in "$dir/$tag.p7s" >"$dir/$tag.asn1"
  grep -A2 ":messageDigest" "$dir/$tag.asn1" >"$dir/$tag.md" || true
  grep -qi "$want" "$dir/$tag.md" || fail "$tag: messageDigest is not SM3 of its ByteRange"
  attrs=$(awk '/d=5 / && /cont \[ 0 \]/ {print; exit}' "$dir/$tag.asn1")
  off=$(sed -E 's/^ *([0-9]+):.*/\1/' <<<"$attrs"); hl=$(sed -E 's/.*hl= *([0-9]+).*/\1/' <<<"$attrs")
  l=$(sed -E 's/.*l= *([0-9]+) cons.*/\1/' <<<"$attrs")
  { printf '\x31'; dd if="$dir/$tag.p7s" iflag=skip_bytes,count_bytes skip=$((off + 1)) count=$((hl + l - 1)) 2>/dev/null; } >"$dir/$tag.attrs"
  sigline=$(awk '/d=5 / && /cont \[ 1 \]/ {exit} /d=5 / && /OCTET STRING/ {keep=$0} END {print keep}' "$dir/$tag.asn1")
  soff=$(sed -E 's/^ *([0-9]+):.*/\1/' <<<"$sigline"); shl=$(sed -E 's/.*hl= *([0-9]+).*/\1/' <<<"$sigline")
  sl=$(sed -E 's/.*l= *([0-9]+) prim.*/\1/' <<<"$sigline")
  dd if="$dir/$tag.p7s" iflag=skip_bytes,count_bytes skip=$((soff + shl)) count="$sl" 2>/dev/null >"$dir/$tag.sig"
  openssl pkcs7 -inform DER -in "$dir/$tag.p7s" -print_certs 2>/dev/null |
    awk '/BEGIN CERT/{n++} n==1' | openssl x509 -pubkey -noout >"$dir/$tag.pub"
  openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678 -pubin -inkey "$dir/$tag.pub" \
    -in "$dir/$tag.attrs" -sigfile "$dir/$tag.sig" >"$dir/$tag.verify" 2>&1 || true
  grep -q "Signature Verified Successfully" "$dir/$tag.verify" ||
    fail "$tag: openssl does not verify the SM2 signature: $(cat "$dir/$tag.verify")"
}
check_cms "$dir/signed2.pdf" "${ranges[0]}" first
check_cms "$dir/signed2.pdf" "${ranges[1]}" second
cmp -s "$dir/first.pub" "$dir/second.pub" && fail "both signatures are under the same key"
# The check can fail: one byte of the first revision changed breaks its digest.
cp "$dir/signed2.pdf" "$dir/tampered.pdf"
printf 'X' | dd of="$dir/tampered.pdf" bs=1 seek=200 conv=notrunc 2>/dev/null
"$duet" verify --pdf "$dir/tampered.pdf" --server "$url" --ca "$ca" --environment sandbox >/dev/null 2>&1 &&
  fail "a changed byte was not reported"

# P=1: no signer after the certifier.
o3=$("${api[@]}" order create --holder "$zhang" --title "Final contract" --pdf "$dir/contract.pdf" --page 1 \
  --rect 72,72,160,80 --certify --certify-permissions 1 | jq -r .order_id)
sign_order hz "$o3" "$dir/final.pdf"
"$duet" verify --pdf "$dir/final.pdf" --server "$url" --ca "$ca" --environment sandbox --json >"$dir/v3.json" || fail "verify final.pdf"
[ "$(jq -r '.signatures[0].docmdp_permission' "$dir/v3.json")" = 1 ] || fail "P=1: $(cat "$dir/v3.json")"
expect_order_refused conflict "$li" "$dir/final.pdf" --page 2 --rect 72,300,160,80
echo "pdf sequence: handwriting kept sealed and drawn, certification (P=2, P=1), two signers each verified OK"
