#!/usr/bin/env bash
# Runs duet_ct_test under valgrind memcheck (ct_test.cc explains the method).
# Usage: run_ct.sh DUET_CT_TEST SUPPRESSIONS HAVE_VALGRIND_HEADERS
#
#  1. the canary: a deliberate secret-dependent branch must be reported, or the
#     harness is blind (client requests compiled out, valgrind not tracking);
#  2. every case with OpenSSL's CPU capabilities as detected;
#  3. again with OPENSSL_ia32cap=0:0 (every extension masked), so each path
#     OpenSSL could choose by CPU feature is exercised.
# Any memcheck error fails: "Conditional jump or move depends on uninitialised
# value(s)", "Use of uninitialised value", a secret passed to a syscall.
# Exit 77 (skip) only when valgrind is not installed.
set -uo pipefail
bin=$1
supp=$2
have_headers=${3:-}

if ! command -v valgrind >/dev/null 2>&1; then
  echo "SKIP: valgrind is not installed (scripts/packages.txt lists it)"
  exit 77
fi
if [[ -z "$have_headers" || "$have_headers" == 0 || "$have_headers" == *NOTFOUND* ]]; then
  echo "FAIL: valgrind is installed but duet was configured without <valgrind/memcheck.h>: reconfigure"
  exit 1
fi

logdir=$(mktemp -d /tmp/duet-ct.XXXXXX)
trap 'rm -rf "$logdir"' EXIT
vg=(valgrind --tool=memcheck --error-exitcode=42 --track-origins=yes --num-callers=40
    --suppressions="$supp" --gen-suppressions=all)

# A memcheck error report in a log file.
has_errors() { grep -Eq 'uninitialised|Invalid (read|write)|ERROR SUMMARY: [1-9]' "$1"; }

"${vg[@]}" --log-file="$logdir/canary.log" "$bin" --canary >/dev/null
rc=$?
if [[ $rc -ne 42 ]] || ! grep -q 'Conditional jump or move depends on uninitialised value' "$logdir/canary.log"; then
  echo "FAIL: the canary's secret-dependent branch was not reported (exit $rc): the harness cannot see leaks"
  cat "$logdir/canary.log"
  exit 1
fi
echo "ok: canary leak detected"

status=0
run() {
  local name=$1
  shift
  local start=$SECONDS
  env "$@" "${vg[@]}" --log-file="$logdir/$name.log" "$bin"
  local rc=$?
  if [[ $rc -ne 0 ]] || has_errors "$logdir/$name.log"; then
    echo "FAIL: $name (exit $rc): memcheck log follows"
    cat "$logdir/$name.log"
    status=1
  else
    echo "ok: $name ($((SECONDS - start)) s): $(grep -o 'ERROR SUMMARY.*' "$logdir/$name.log")"
  fi
}
run cpu-detected
run cpu-generic OPENSSL_ia32cap=0:0
exit $status
