#!/usr/bin/env bash
# `duet protocol demo` end to end, checked by the openssl command line as an
# independent verifier; a changed message must then fail verification.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/flip_byte.sh"
duet=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
head -c 4096 /dev/urandom > "$dir/message"
"$duet" protocol demo --message "$dir/message" --pin 246810 --out "$dir/out" --kdf-iterations 1000
openssl dgst -sm3 -verify "$dir/out/public.pem" -sigopt distid:1234567812345678 \
  -signature "$dir/out/signature.der" "$dir/message" | grep -qx "Verified OK"
# Independent check of the key: OpenSSL parses it as an SM2 public key.
openssl pkey -pubin -in "$dir/out/public.pem" -noout -text | grep -q "ASN1 OID: SM2"
# Negative: one changed byte, or the empty default ID, must not verify.
flip_byte "$dir/message" 100
if openssl dgst -sm3 -verify "$dir/out/public.pem" -sigopt distid:1234567812345678 \
     -signature "$dir/out/signature.der" "$dir/message" >/dev/null 2>&1; then
  echo "a modified message verified" >&2; exit 1
fi
# Bad input gets a clear error and a non-zero exit.
if "$duet" protocol demo --message "$dir/message" --pin 12 --out "$dir/bad" 2>"$dir/err"; then
  echo "a 2-character PIN was accepted" >&2; exit 1
fi
grep -q invalid_argument "$dir/err"
echo "protocol demo verified by openssl"
