#!/usr/bin/env python3
"""Searches files for personal data in clear and in obvious encodings.

usage: pii_scan.py [--allow-in-certificates I[,I...]] VALUE[,VALUE...] PATH...
       (directories are walked)

For each value: its UTF-8 bytes, lowercase and uppercase hex of them, base64
(standard and URL-safe, with and without padding), UTF-16LE/BE, and for non-ASCII
values the JSON \\uXXXX escape form (lower and upper case). Prints each hit
(file, value index, encoding, offset) and exits 1 if there is any; 0 otherwise.
The values themselves are never printed.

--allow-in-certificates names values (by index) that X.509 certificates may hold
in clear (issue 12: a holder certificate's CN is the holder's full name; under
the tenant's gmt0015 policy its identity-code extension holds the ID number).
A hit of such a value is excused only when it lies wholly inside a certificate:
a DER Certificate found in the file (SEQUENCE { SEQUENCE { [0] { INTEGER 2 } ...
} ...}, its length fitting the file), a PEM CERTIFICATE block, or a base64 text
run that decodes to bytes in which the value lies inside such a DER
certificate. Every other occurrence, of every value, is still a hit. Excused
occurrences are counted on stderr ("excused N"), so a caller can check that the
certificate was seen at all.
"""
import base64
import os
import re
import sys

B64_RUN = re.compile(rb"[A-Za-z0-9+/_-]+=*")
PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.S)


def encodings(value):
    raw = value.encode("utf-8")
    out = {
        "utf-8": raw,
        "hex": raw.hex().encode(),
        "HEX": raw.hex().upper().encode(),
        "base64": base64.b64encode(raw),
        "base64url": base64.urlsafe_b64encode(raw),
        "utf-16le": value.encode("utf-16-le"),
        "utf-16be": value.encode("utf-16-be"),
    }
    out["base64-nopad"] = out["base64"].rstrip(b"=")
    if any(ord(c) > 127 for c in value):
        esc = "".join("\\u%04x" % ord(c) if ord(c) > 127 else c for c in value)
        out["json-escape"] = esc.encode()
        out["json-escape-upper"] = esc.replace("\\u", "\\U").upper().replace("\\U", "\\u").encode()
    return out


def der_certificates(data):
    """(start, end) of each DER X.509 v3 certificate in data (two-octet lengths)."""
    out = []
    at = data.find(b"\x30\x82")
    while at >= 0:
        head = data[at:at + 13]
        if len(head) == 13 and head[4:6] == b"\x30\x82" and head[8:13] == b"\xa0\x03\x02\x01\x02":
            end = at + 4 + (head[2] << 8 | head[3])
            tbs_end = at + 8 + (head[6] << 8 | head[7])
            if tbs_end < end <= len(data):
                out.append((at, end))
        at = data.find(b"\x30\x82", at + 1)
    return out


def inside(ranges, start, end):
    return any(a <= start and end <= b for a, b in ranges)


def in_decoded_certificate(data, start, end, raw):
    """True if the base64 run around [start, end) decodes to bytes holding raw inside a certificate."""
    for m in B64_RUN.finditer(data, max(0, start - 8192), min(len(data), end + 8192)):
        if not (m.start() <= start and end <= m.end()):
            continue
        run = m.group().rstrip(b"=")
        for alphabet in (None, b"-_"):
            try:
                decoded = base64.b64decode(run + b"=" * (-len(run) % 4), altchars=alphabet, validate=False)
            except ValueError:
                continue
            certs = der_certificates(decoded)
            at = decoded.find(raw)
            while at >= 0:
                if inside(certs, at, at + len(raw)):
                    return True
                at = decoded.find(raw, at + 1)
    return False


def files(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                for n in names:
                    yield os.path.join(root, n)
        elif os.path.exists(p):
            yield p


def main():
    args = sys.argv[1:]
    allowed = set()
    if args and args[0] == "--allow-in-certificates":
        if len(args) < 2:
            print(__doc__, file=sys.stderr)
            return 2
        allowed = {int(i) for i in args[1].split(",") if i}
        args = args[2:]
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    values = [v for v in args[0].split(",") if v]
    scanned = 0
    hits = 0
    excused = 0
    for path in files(args[1:]):
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            print(f"cannot read {path}: {e}", file=sys.stderr)
            return 2
        scanned += 1
        certs = der_certificates(data) + [m.span() for m in PEM_CERT.finditer(data)] if allowed else []
        for i, v in enumerate(values):
            raw = v.encode("utf-8")
            for name, needle in encodings(v).items():
                at = data.find(needle)
                while at >= 0:
                    end = at + len(needle)
                    if i in allowed and (inside(certs, at, end) or
                                         (name.startswith("base64") and in_decoded_certificate(data, at, end, raw))):
                        excused += 1
                        at = data.find(needle, at + 1)
                        continue
                    hits += 1
                    print(f"FOUND value #{i} ({name}) in {path} at offset {at}")
                    break
    print(f"scanned {scanned} files for {len(values)} values: {hits} hits, excused {excused} inside certificates",
          file=sys.stderr)
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main())
