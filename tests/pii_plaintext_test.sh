#!/usr/bin/env bash
# No personal data in clear (issue 5 items 5 and 9): `duet demo --spawn` with a
# distinctive holder (name, ID number, phone) and --keep-data, then the raw
# bytes of duet.db, its -wal/-shm files, duetd's log (stdout + stderr, access
# log included), the SMS sink, every other file of the data directory, the
# demo's own output and its output files are searched for each value in clear
# and in obvious encodings (tests/pii_scan.py). The same while a restarted
# duetd has the database open (live WAL). One exception (issue 12): the holder's
# certificate names the holder, so the name -- and only the name; the tenant's
# certificate identity policy is the default, none -- may appear inside an X.509
# certificate (DER, PEM or base64 of one) and nowhere else. The ID number and
# phone may appear nowhere. Usage: pii_plaintext_test.sh DUET DUETD
set -euo pipefail
duet=$1
duetd=$2
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
pid=""
cleanup() { [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; rm -rf "$dir" || true; }
trap cleanup EXIT

name=张三丰
id_number=110101199003071234
phone=13812345678
values="$name,$id_number,$phone"

# The scanner finds what it should (a test that cannot fail is no test).
printf 'x%sy' "$(printf '%s' "$name" | od -An -tx1 | tr -d ' \n')" > "$dir/control-hex"
printf '"name":"\\u5f20\\u4e09\\u4e30"' > "$dir/control-json"
printf '%s' "$phone" | iconv -f UTF-8 -t UTF-16LE > "$dir/control-utf16"
for f in control-hex control-json control-utf16; do
  if python3 "$here/pii_scan.py" "$values" "$dir/$f" >/dev/null 2>&1; then
    echo "the scanner missed $f" >&2; exit 1
  fi
done

# The certificate exception is that narrow: the name inside a certificate's DER
# is excused, the same certificate followed by the name in clear is not, and
# the ID number inside a certificate is never excused.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$dir/control.key" \
  -subj "/CN=$name/serialNumber=$id_number" -utf8 -days 1 -outform DER -out "$dir/control-cert.der" 2>/dev/null
python3 "$here/pii_scan.py" --allow-in-certificates 0 "$name" "$dir/control-cert.der" 2> "$dir/control.err"
grep -q "excused [1-9]" "$dir/control.err" || { echo "the scanner did not see the certificate" >&2; exit 1; }
if python3 "$here/pii_scan.py" "$name" "$dir/control-cert.der" >/dev/null 2>&1; then
  echo "the scanner missed the name in a certificate without the exception" >&2; exit 1
fi
{ cat "$dir/control-cert.der"; printf ' %s ' "$name"; } > "$dir/control-cert-and-name"
if python3 "$here/pii_scan.py" --allow-in-certificates 0 "$name" "$dir/control-cert-and-name" >/dev/null 2>&1; then
  echo "the scanner excused the name outside the certificate" >&2; exit 1
fi
if python3 "$here/pii_scan.py" --allow-in-certificates 0 "$values" "$dir/control-cert.der" >/dev/null 2>&1; then
  echo "the scanner excused the ID number inside a certificate" >&2; exit 1
fi
rm -f "$dir"/control*

"$duet" demo --spawn --duetd "$duetd" --holder-name "$name" --id-number "$id_number" --phone "$phone" \
  --keep-data "$dir/data" --out "$dir/out" > "$dir/demo.out" 2> "$dir/demo.err"
cat "$dir/demo.out"
grep -q "demo OK" "$dir/demo.out"
# The demo shows the holder masked, as the service answers.
grep -q "张\*, 1101\*\*\*\*\*\*\*\*\*\*1234, 138\*\*\*\*5678" "$dir/demo.out"
# --keep-data left the data directory and the log.
for f in duet.db duetd.log admin.token; do test -s "$dir/data/$f" || { echo "no $f kept" >&2; exit 1; }; done
[[ "$(stat -c %a "$dir/data")" == 700 ]]
grep -q '"path"' "$dir/data/duetd.log" || grep -q 'listening' "$dir/data/duetd.log"

# Value #0 (the name) is excused inside certificates only; the stored holder
# certificate must have been seen (a scan that cannot see it proves nothing).
scan() { python3 "$here/pii_scan.py" --allow-in-certificates 0 "$values" "$@"; }
scan "$dir/data" "$dir/out" "$dir/demo.out" "$dir/demo.err" 2> "$dir/scan.err"
cat "$dir/scan.err" >&2
grep -q "excused [1-9]" "$dir/scan.err" || { echo "no certificate naming the holder was seen" >&2; exit 1; }
openssl x509 -in "$dir/out/holder.pem" -noout -subject -nameopt utf8,sep_comma_plus | grep -q "CN=$name"

# Again with a duetd holding the database open (the live -wal and -shm files).
"$duetd" --dev --data-dir "$dir/data" --listen 127.0.0.1:0 > "$dir/restart.out" 2> "$dir/restart.log" &
pid=$!
for _ in $(seq 1 600); do [[ -s "$dir/data/duetd.port" ]] && break; sleep 0.1; done
[[ -s "$dir/data/duetd.port" ]] || { cat "$dir/restart.log" >&2; exit 1; }
mkdir "$dir/live"
cp "$dir/data"/duet.db* "$dir/live/"
ls "$dir/live" | grep -q -- "-wal" || { echo "no live WAL to scan" >&2; exit 1; }
kill -TERM "$pid"; wait "$pid" || true; pid=""
scan "$dir/live" "$dir/restart.out" "$dir/restart.log"
echo "no personal data in clear in the database, WAL, logs or demo output"
