#!/usr/bin/env bash
# The final signatures of docs/protocol.md §9, checked by the openssl command
# line alone from the frozen vectors (src/cosign/testdata/protocol_vectors.txt):
# the public key's SubjectPublicKeyInfo is assembled here from the SEC1 hex
# (no duet code, no OpenSSL library call of ours), Part A's DER signatures are
# taken as printed, Part B's are encoded here from r and s. Each must verify
# with the ID 1234567812345678, and must not for a changed message or under
# OpenSSL 3.0's empty default ID.
set -euo pipefail
vectors=${1:-"$(dirname "${BASH_SOURCE[0]}")/../src/cosign/testdata/protocol_vectors.txt"}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

value() {  # the value of vector $1 (exactly one line)
  local v
  v=$(sed -n "s/^$1 = //p" "$vectors")
  [ -n "$v" ] && [ "$(printf '%s\n' "$v" | wc -l)" = 1 ] || { echo "no single vector $1 in $vectors" >&2; exit 1; }
  printf '%s' "$v"
}
unhex() { xxd -r -p > "$1"; }

# DER INTEGER of a 32-byte big-endian hex value: minimal, positive.
der_integer() {
  local h=$1
  while [ ${#h} -gt 2 ] && [ "${h:0:2}" = 00 ] && [ $((16#${h:2:2})) -lt 128 ]; do h=${h:2}; done
  [ $((16#${h:0:2})) -ge 128 ] && h=00$h
  printf '02%02x%s' $((${#h} / 2)) "$h"
}
der_signature() {
  local body
  body=$(der_integer "$1")$(der_integer "$2")
  printf '30%02x%s' $((${#body} / 2)) "$body"
}

# SPKI of an SM2 point: SEQUENCE { SEQUENCE { id-ecPublicKey, SM2 }, BIT STRING 00 ‖ point }.
public_key_pem() {
  local point=$1 out=$2
  [ ${#point} = 130 ] && [ "${point:0:2}" = 04 ] || { echo "not an uncompressed point: $point" >&2; exit 1; }
  printf '3059301306072a8648ce3d020106082a811ccf5501822d034200%s' "$point" | unhex "$dir/pub.der"
  openssl pkey -pubin -inform DER -in "$dir/pub.der" -out "$out"
  openssl pkey -pubin -in "$out" -noout -text | grep -q "ASN1 OID: SM2"
}

verify() {  # pem sig.der message-file distid
  openssl dgst -sm3 -verify "$1" -sigopt "distid:$4" -signature "$2" "$3" 2>&1 | grep -qx "Verified OK"
}

check() {  # label pem signature-hex message
  local label=$1 pem=$2
  printf '%s' "$3" | unhex "$dir/sig.der"
  printf '%s' "$4" > "$dir/msg"
  printf '%s.' "$4" > "$dir/other"
  verify "$pem" "$dir/sig.der" "$dir/msg" 1234567812345678 || { echo "$label does not verify" >&2; exit 1; }
  if verify "$pem" "$dir/sig.der" "$dir/other" 1234567812345678; then
    echo "$label verifies for a changed message" >&2; exit 1
  fi
  if verify "$pem" "$dir/sig.der" "$dir/msg" ""; then
    echo "$label verifies under the empty default ID" >&2; exit 1
  fi
  echo "$label: Verified OK"
}

public_key_pem "$(value A.P)" "$dir/a.pem"
public_key_pem "$(value B.P)" "$dir/b.pem"
for n in 1 2; do
  msg=$(value "A.message_${n}_ascii")
  sig=$(value "A.signature_der_$n")
  # The printed DER is exactly SEQUENCE { r, s } of the printed r and s.
  [ "$sig" = "$(der_signature "$(value "A.r_$n")" "$(value "A.s_$n")")" ] || {
    echo "A.signature_der_$n is not the DER of A.r_$n and A.s_$n" >&2; exit 1; }
  check "A.signature_der_$n" "$dir/a.pem" "$sig" "$msg"
  check "B signature $n" "$dir/b.pem" "$(der_signature "$(value "B.r_$n")" "$(value "B.s_$n")")" "$msg"
done
# The checker can fail: Part A's signature under Part B's key does not verify.
printf '%s' "$(value A.signature_der_2)" | unhex "$dir/sig.der"
printf '%s' "$(value A.message_2_ascii)" > "$dir/msg"
if verify "$dir/b.pem" "$dir/sig.der" "$dir/msg" 1234567812345678; then
  echo "a signature verified under another key" >&2; exit 1
fi
echo "protocol vectors: final signatures verified by the openssl command"
