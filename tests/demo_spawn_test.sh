#!/usr/bin/env bash
# `duet demo --spawn`: a fresh duetd, tenant → app → holder → activation →
# enrollment (ending with a co-signed certificate) → order → co-signature over HTTPS, then the signature checked
# again here by the openssl command line as an independent verifier; a changed
# message must fail. Usage: demo_spawn_test.sh DUET DUETD
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/flip_byte.sh"
duet=$1
duetd=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$duet" demo --spawn --duetd "$duetd" --out "$dir/out" --pin 246810 | tee "$dir/log"
grep -q "Verified OK" "$dir/log"
grep -q "stopped duetd" "$dir/log"
# Nothing secret in the output: the PIN is never printed.
if grep -Eq '(^|[^0-9a-fA-F])246810([^0-9a-fA-F]|$)' "$dir/log"; then echo "the PIN was printed" >&2; exit 1; fi

for f in message signature.der signature.p7s public.pem holder.pem ca-chain.pem; do test -s "$dir/out/$f"; done
# The detached CMS SignedData of the message parses, with its signed attributes and signer certificate.
openssl cms -cmsout -print -inform DER -in "$dir/out/signature.p7s" > "$dir/p7s.txt"
grep -q "signingTime" "$dir/p7s.txt"
grep -q "messageDigest" "$dir/p7s.txt"
grep -q "eContent: <ABSENT>" "$dir/p7s.txt"
# ... and verifies locally (duet verify) against the chain; a changed message does not.
"$duet" verify --data "$dir/out/message" --signature "$dir/out/signature.p7s" --chain "$dir/out/ca-chain.pem" \
  | grep -q '"valid": true'
printf 'changed' > "$dir/other"
if "$duet" verify --data "$dir/other" --signature "$dir/out/signature.p7s" --chain "$dir/out/ca-chain.pem" \
     >/dev/null 2>&1; then
  echo "the CMS verified over other data" >&2; exit 1
fi
# Enrollment ended with a certificate of the joint key, verified by openssl (OpenSSL 3.0
# applies -vfyopt distid to the leaf only, hence -partial_chain against the issuing CA).
openssl verify -partial_chain -CAfile "$dir/out/ca-chain.pem" -vfyopt distid:1234567812345678 \
  "$dir/out/holder.pem" | grep -q ": OK"
test "$(openssl x509 -in "$dir/out/holder.pem" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum)" = \
     "$(openssl pkey -pubin -in "$dir/out/public.pem" -outform DER | sha256sum)"
# The subject names the holder in full (issue 12; the demo's holder is 张三), and
# under the default identity policy (none) no ID number is anywhere in the
# certificate: not in the text, not in the DER, no GM/T 0015 extension.
openssl x509 -in "$dir/out/holder.pem" -noout -subject -nameopt utf8,sep_comma_plus | grep -q "CN=张三,"
openssl x509 -in "$dir/out/holder.pem" -outform DER -out "$dir/holder.der"
if openssl x509 -in "$dir/out/holder.pem" -noout -text | grep -q -e 11010519491231002X -e 1.2.156.10260.4.1.1 ||
   grep -q -a 11010519491231002 "$dir/holder.der"; then
  echo "the ID number is in the certificate" >&2; exit 1
fi
openssl dgst -sm3 -verify "$dir/out/public.pem" -sigopt distid:1234567812345678 \
  -signature "$dir/out/signature.der" "$dir/out/message" | grep -qx "Verified OK"
openssl pkey -pubin -in "$dir/out/public.pem" -noout -text | grep -q "ASN1 OID: SM2"
# The signature is DER (output "der"): SEQUENCE { INTEGER r, INTEGER s }.
openssl asn1parse -inform DER -in "$dir/out/signature.der" | grep -c "INTEGER" | grep -qx 2

# Negative: one changed byte must not verify.
flip_byte "$dir/out/message" 3
if openssl dgst -sm3 -verify "$dir/out/public.pem" -sigopt distid:1234567812345678 \
     -signature "$dir/out/signature.der" "$dir/out/message" >/dev/null 2>&1; then
  echo "a modified message verified" >&2; exit 1
fi

# docs/pki.md "Checking a holder's certificate chain": its commands, run as
# written, check each link (root included); a root whose self-signature was
# changed fails the third step although `openssl verify` never looks at it.
doc="$(dirname "$0")/../docs/pki.md"
awk '/^## Checking a holder.s certificate chain/{on=1} on && /^```sh$/{inblock=1; next} inblock && /^```$/{exit} inblock{print}' \
  "$doc" > "$dir/chain-check.sh"
test -s "$dir/chain-check.sh"
mkdir -p "$dir/chain" && cp "$dir/out/ca-chain.pem" "$dir/chain/chain.pem" && cp "$dir/out/holder.pem" "$dir/chain/"
(cd "$dir/chain" && bash -e ../chain-check.sh) > "$dir/chain.log" 2>&1 || { cat "$dir/chain.log" >&2; exit 1; }
test "$(grep -c ': OK$' "$dir/chain.log")" = 2
grep -qx "Signature Verified Successfully" "$dir/chain.log"
mkdir -p "$dir/badroot" && cp "$dir/chain/chain.pem" "$dir/chain/holder.pem" "$dir/badroot/"
(cd "$dir/badroot" && csplit -s -z -f ca chain.pem '/-----BEGIN CERTIFICATE-----/' '{*}' \
  && openssl x509 -in ca01 -outform DER -out root.der \
  && python3 -c 'import sys; b = bytearray(open("root.der", "rb").read()); b[-1] ^= 1; open("root.der", "wb").write(b)' \
  && { cat ca00; openssl x509 -inform DER -in root.der; } > chain.pem && rm ca00 ca01)
if (cd "$dir/badroot" && bash -e ../chain-check.sh) > "$dir/badroot.log" 2>&1; then
  echo "the documented chain check accepted a root with a changed self-signature" >&2; exit 1
fi

# Without a server and without --spawn: a clear error and a non-zero exit.
if "$duet" demo 2>"$dir/err"; then echo "demo without a server succeeded" >&2; exit 1; fi
grep -q -- "--spawn" "$dir/err"
echo "duet demo --spawn verified by openssl"
