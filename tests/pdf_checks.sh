# Sourced by the PDF tests (pdf_order_test.sh, gateway_test.sh): the
# independent checks of one signed PDF, none of them the project's verifier.
# check_signed_pdf ORIGINAL SIGNED WORKDIR: qpdf --check, pdfsig lists the
# signature, the original is a byte-for-byte prefix, the ByteRange starts at 0
# and ends at the end of the file, and openssl over the CMS (messageDigest =
# SM3 of the ByteRange bytes, the RFC 3161 signature timestamp present, the
# SM2 signature over the signed attributes under the certificate's key — and
# not over the same attributes with one byte changed). With a fourth argument
# SUBFILTER: the last signature dictionary's /SubFilter is that, and the
# signed attributes fit it (ETSI.CAdES.detached: signingCertificateV2 and no
# signingTime, PAdES baseline; adbe.pkcs7.detached: signingTime). Needs fail().
check_signed_pdf() {
  local original=$1 signed=$2 work=$3 want_sub_filter=${4:-}
  local A B C D size len want attrs off hl l sigline soff shl sl got_sub_filter
  mkdir -p "$work"
  # Structure and coverage.
  qpdf --check "$signed" >"$work/qpdf.log" 2>&1 || fail "qpdf --check: $(cat "$work/qpdf.log")"
  grep -q "No syntax or stream encoding errors" "$work/qpdf.log" || fail "qpdf: $(cat "$work/qpdf.log")"
  pdfsig "$signed" >"$work/pdfsig.log" 2>&1 || true
  grep -q "Signature #1" "$work/pdfsig.log" || fail "pdfsig lists no signature: $(cat "$work/pdfsig.log")"
  cmp -n "$(stat -c %s "$original")" "$original" "$signed" ||
    fail "the original is not a prefix of the signed PDF"
  read -r A B C D < <(grep -ao '/ByteRange *\[[0-9 ]*\]' "$signed" | head -1 | tr -dc '0-9 \n' | xargs)
  size=$(stat -c %s "$signed")
  [ "$A" = 0 ] && [ $((C + D)) = "$size" ] || fail "ByteRange [$A $B $C $D] does not cover the file ($size bytes)"

  # The CMS, independently: the hex between the offsets, cut to its DER length.
  dd if="$signed" bs=1 skip=$((B + 1)) count=$((C - B - 2)) 2>/dev/null | xxd -r -p >"$work/padded.der"
  # (asn1parse also reads the zero padding after the DER and fails on it: only its first line counts)
  len=$({ openssl asn1parse -inform DER -in "$work/padded.der" 2>/dev/null || true; } | head -1 |
    sed -E 's/.*hl= *([0-9]+) +l= *([0-9]+).*/\1 \2/')
  head -c $(( ${len% *} + ${len#* } )) "$work/padded.der" >"$work/sig.p7s"
  want=$({ head -c "$B" "$signed"; tail -c +$((C + 1)) "$signed" | head -c "$D"; } |
    openssl dgst -sm3 -r | cut -d' ' -f1)
  openssl asn1parse -inform DER -in "$work/sig.p7s" >"$work/asn1.txt"
  grep -A2 ":messageDigest" "$work/asn1.txt" | grep -qi "$want" || fail "messageDigest is not SM3 of the ByteRange bytes"
  grep -q "id-smime-aa-timeStampToken\|1.2.840.113549.1.9.16.2.14" "$work/asn1.txt" ||
    fail "no RFC 3161 signature timestamp (PAdES B-T)"
  # The signed attributes ([0] at depth 5, re-tagged SET) and the signature (the
  # last OCTET STRING at depth 5 before the unsigned attributes), under the key of
  # the certificate in the CMS.
  attrs=$(awk '/d=5 / && /cont \[ 0 \]/ {print; exit}' "$work/asn1.txt")
  off=$(sed -E 's/^ *([0-9]+):.*/\1/' <<<"$attrs")
  hl=$(sed -E 's/.*hl= *([0-9]+).*/\1/' <<<"$attrs")
  l=$(sed -E 's/.*l= *([0-9]+) cons.*/\1/' <<<"$attrs")
  { printf '\x31'; tail -c +$((off + 2)) "$work/sig.p7s" | head -c $((hl + l - 1)); } >"$work/attrs.der"
  sigline=$(awk '/d=5 / && /cont \[ 1 \]/ {exit} /d=5 / && /OCTET STRING/ {keep=$0} END {print keep}' "$work/asn1.txt")
  soff=$(sed -E 's/^ *([0-9]+):.*/\1/' <<<"$sigline")
  shl=$(sed -E 's/.*hl= *([0-9]+).*/\1/' <<<"$sigline")
  sl=$(sed -E 's/.*l= *([0-9]+) prim.*/\1/' <<<"$sigline")
  tail -c +$((soff + shl + 1)) "$work/sig.p7s" | head -c "$sl" >"$work/sm2sig.der"
  openssl pkcs7 -inform DER -in "$work/sig.p7s" -print_certs 2>/dev/null |
    awk '/BEGIN CERT/{n++} n==1' | openssl x509 -pubkey -noout >"$work/pub.pem"
  openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678 -pubin -inkey "$work/pub.pem" \
    -in "$work/attrs.der" -sigfile "$work/sm2sig.der" >"$work/pkeyutl.log" 2>&1 ||
    fail "openssl does not verify the SM2 signature: $(cat "$work/pkeyutl.log")"
  grep -q "Signature Verified Successfully" "$work/pkeyutl.log" || fail "pkeyutl: $(cat "$work/pkeyutl.log")"
  # The check can fail: the same attributes with one byte changed do not verify.
  { head -c 20 "$work/attrs.der"; printf '\x00'; tail -c +22 "$work/attrs.der"; } >"$work/attrs-changed.der"
  cmp -s "$work/attrs.der" "$work/attrs-changed.der" && printf '\x01' | dd of="$work/attrs-changed.der" bs=1 seek=20 conv=notrunc 2>/dev/null
  if openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678 -pubin -inkey "$work/pub.pem" \
      -in "$work/attrs-changed.der" -sigfile "$work/sm2sig.der" >/dev/null 2>&1; then
    fail "openssl verified changed signed attributes"
  fi
  [ -n "$want_sub_filter" ] || return 0
  got_sub_filter=$(grep -ao '/SubFilter */[A-Za-z0-9.]*' "$signed" | tail -1 | sed -E 's|/SubFilter */||')
  [ "$got_sub_filter" = "$want_sub_filter" ] || fail "/SubFilter is '$got_sub_filter', not $want_sub_filter"
  # Only the signer's own attributes (the timestamp token has its own).
  openssl asn1parse -inform DER -in "$work/attrs.der" >"$work/attrs.txt" || fail "the signed attributes do not parse"
  case "$want_sub_filter" in
    ETSI.CAdES.detached)
      if grep -q ":signingTime" "$work/attrs.txt"; then fail "ETSI.CAdES.detached with a signingTime attribute"; fi
      grep -q "id-smime-aa-signingCertificateV2\|:1.2.840.113549.1.9.16.2.47" "$work/attrs.txt" ||
        fail "ETSI.CAdES.detached without signingCertificateV2" ;;
    adbe.pkcs7.detached)
      grep -q ":signingTime" "$work/attrs.txt" || fail "adbe.pkcs7.detached without the signingTime attribute" ;;
  esac
}
