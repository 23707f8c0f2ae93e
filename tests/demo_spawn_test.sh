#!/usr/bin/env bash
# `duet demo --spawn`: a fresh duetd, tenant → app → holder → activation →
# enrollment → order → co-signature over HTTPS, then the signature checked
# again here by the openssl command line as an independent verifier; a changed
# message must fail. Usage: demo_spawn_test.sh DUET DUETD
set -euo pipefail
duet=$1
duetd=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$duet" demo --spawn --duetd "$duetd" --out "$dir/out" --pin 246810 | tee "$dir/log"
grep -q "Verified OK" "$dir/log"
grep -q "stopped duetd" "$dir/log"
# Nothing secret in the output: the PIN is never printed.
if grep -q 246810 "$dir/log"; then echo "the PIN was printed" >&2; exit 1; fi

for f in message signature.der public.pem; do test -s "$dir/out/$f"; done
openssl dgst -sm3 -verify "$dir/out/public.pem" -sigopt distid:1234567812345678 \
  -signature "$dir/out/signature.der" "$dir/out/message" | grep -qx "Verified OK"
openssl pkey -pubin -in "$dir/out/public.pem" -noout -text | grep -q "ASN1 OID: SM2"
# The signature is DER (output "der"): SEQUENCE { INTEGER r, INTEGER s }.
openssl asn1parse -inform DER -in "$dir/out/signature.der" | grep -c "INTEGER" | grep -qx 2

# Negative: one changed byte must not verify.
printf 'X' | dd of="$dir/out/message" bs=1 seek=3 conv=notrunc status=none
if openssl dgst -sm3 -verify "$dir/out/public.pem" -sigopt distid:1234567812345678 \
     -signature "$dir/out/signature.der" "$dir/out/message" >/dev/null 2>&1; then
  echo "a modified message verified" >&2; exit 1
fi

# Without a server and without --spawn: a clear error and a non-zero exit.
if "$duet" demo 2>"$dir/err"; then echo "demo without a server succeeded" >&2; exit 1; fi
grep -q -- "--spawn" "$dir/err"
echo "duet demo --spawn verified by openssl"
