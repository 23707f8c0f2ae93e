#!/usr/bin/env python3
"""Searches files for personal data in clear and in obvious encodings.

usage: pii_scan.py VALUE[,VALUE...] PATH...   (directories are walked)

For each value: its UTF-8 bytes, lowercase and uppercase hex of them, base64
(standard and URL-safe, with and without padding), UTF-16LE/BE, and for non-ASCII
values the JSON \\uXXXX escape form (lower and upper case). Prints each hit
(file, value index, encoding, offset) and exits 1 if there is any; 0 otherwise.
The values themselves are never printed.
"""
import base64
import os
import sys


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


def files(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                for n in names:
                    yield os.path.join(root, n)
        elif os.path.exists(p):
            yield p


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    values = [v for v in sys.argv[1].split(",") if v]
    scanned = 0
    hits = 0
    for path in files(sys.argv[2:]):
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            print(f"cannot read {path}: {e}", file=sys.stderr)
            return 2
        scanned += 1
        for i, v in enumerate(values):
            for name, needle in encodings(v).items():
                at = data.find(needle)
                if at >= 0:
                    hits += 1
                    print(f"FOUND value #{i} ({name}) in {path} at offset {at}")
    print(f"scanned {scanned} files for {len(values)} values: {hits} hits", file=sys.stderr)
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main())
