#!/usr/bin/env python3
#===- train-check.py - Numbers for kiln-train's lit test -----------------===#
#
# FileCheck matches text, not ranges; kiln-train.test asks this script
# whether the numbers a run printed lie where they should, and makes the
# small .npy inputs it feeds kiln-run. Standard library only (no numpy).
#
#   train-check.py within FILE KEY=LO:HI...   the last line's KEY=VALUE pairs
#                                             lie in [LO, HI]; prints them
#   train-check.py npy OUT.npy DIMS V...      writes an f32 .npy, DIMS as 4,1
#   train-check.py print FILE.npy             an f32 .npy's values, one a line
#
# Exits 1 with a message naming the file and the key on a mismatch.
#
#===----------------------------------------------------------------------===#
import ast
import struct
import sys


def fail(message):
    sys.stderr.write("train-check: " + message + "\n")
    sys.exit(1)


def within(path, bounds):
    with open(path) as f:
        lines = [l for l in f.read().splitlines() if l.strip()]
    if not lines:
        fail("%s is empty" % path)
    last = lines[-1]
    values = dict(kv.split("=", 1) for kv in last.split() if "=" in kv)
    for bound in bounds:
        key, span = bound.split("=", 1)
        lo, hi = (float(x) for x in span.split(":"))
        if key not in values:
            fail("%s: the last line has no %s= (%r)" % (path, key, last))
        value = float(values[key])
        if not lo <= value <= hi:
            fail("%s: %s=%s is outside [%g, %g]" % (path, key, values[key],
                                                     lo, hi))
        print("%s=%s in [%g, %g]" % (key, values[key], lo, hi))


def write_npy(path, dims, values):
    shape = tuple(int(d) for d in dims.split(","))
    count = 1
    for d in shape:
        count *= d
    if len(values) != count:
        fail("%s: %d values for shape %s" % (path, len(values), shape))
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }" % (
        repr(shape))
    # Magic, version 1.0, header padded with spaces to a multiple of 64.
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * (pad % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
        f.write(header.encode("latin1"))
        f.write(struct.pack("<%df" % count, *(float(v) for v in values)))


def print_npy(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x93NUMPY":
        fail("%s: not an .npy file" % path)
    size = struct.unpack("<H", data[8:10])[0]
    header = ast.literal_eval(data[10:10 + size].decode("latin1"))
    if header["descr"] != "<f4":
        fail("%s: dtype %s, expected <f4" % (path, header["descr"]))
    body = data[10 + size:]
    for v in struct.unpack("<%df" % (len(body) // 4), body):
        print("%.3f" % v)


def main(argv):
    if len(argv) >= 3 and argv[1] == "within":
        within(argv[2], argv[3:])
    elif len(argv) >= 4 and argv[1] == "npy":
        write_npy(argv[2], argv[3], argv[4:])
    elif len(argv) == 3 and argv[1] == "print":
        print_npy(argv[2])
    else:
        fail("usage: within FILE KEY=LO:HI... | npy OUT DIMS V... | "
             "print FILE")


if __name__ == "__main__":
    main(sys.argv)
