#!/usr/bin/env python3
"""A consistent rewrite of the audit chain, as someone who can write the
database and compute SM3 would do it (docs/audit.md "Hash chain"), written
from the docs alone (an independent implementation of the encoding):

  audit_rewrite.py DB SEQ

First recomputes every stored event's hash and checks it matches (so the
encoding here is the service's), then changes event SEQ's actor_id,
re-hashes it and every later event, moves the recorded head along and
deletes every checkpoint (which the rewrite would contradict). Without a
witness and within the checkpoint age, the result verifies; the test shows
the witness and the age rule catch it.
"""
import hashlib
import sqlite3
import struct
import sys


def framed(text):
    data = text.encode("utf-8")
    return struct.pack(">I", len(data)) + data


def sm3(data):
    return hashlib.new("sm3", data).digest()


COLUMNS = ("seq, at, tenant_id, actor_type, actor_id, action, target, outcome, address, "
           "request_id, details, prev_hash, hash")


def content_digest(row):
    seq, at = row[0], row[1]
    out = struct.pack(">Q", seq) + struct.pack(">q", at)
    for field in row[2:11]:
        out += framed(field)
    return sm3(out)


def link_hash(prev_hash, digest):
    return sm3(framed("duet-audit-v1") + prev_hash + digest)


def main():
    db, target = sys.argv[1], int(sys.argv[2])
    con = sqlite3.connect(db)
    rows = [list(r) for r in con.execute(f"SELECT {COLUMNS} FROM audit_events ORDER BY seq")]
    prev = bytes(32)
    for r in rows:
        if bytes(r[11]) != prev or link_hash(prev, content_digest(r)) != bytes(r[12]):
            sys.exit(f"audit_rewrite: event {r[0]} does not hash as docs/audit.md says")
        prev = bytes(r[12])
    prev = bytes(32)
    with con:
        for r in rows:
            if r[0] == target:
                r[4] = "someone"
            if r[0] >= target:
                r[11] = prev
                r[12] = link_hash(prev, content_digest(r))
                con.execute("UPDATE audit_events SET actor_id = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                            (r[4], r[11], r[12], r[0]))
            prev = bytes(r[12])
        con.execute("UPDATE audit_head SET hash = ? WHERE id = 1", (prev,))
        con.execute("DELETE FROM audit_checkpoints")
    print(f"rewrote events {target}..{rows[-1][0]}, deleted every checkpoint")


if __name__ == "__main__":
    main()
