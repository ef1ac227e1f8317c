#!/usr/bin/env python3
"""Build helper: writes a C file defining `const char NAME[]` with the bytes of a text file, so the
package schema (one JSON file in the repo) is compiled into the plugin."""
import sys


def main() -> int:
    src, dst, name = sys.argv[1], sys.argv[2], sys.argv[3]
    data = open(src, "rb").read()
    with open(dst, "w") as out:
        out.write("/* Generated from %s by embed.py; do not edit. */\n" % src.rsplit("/", 1)[-1])
        out.write("const char %s[] = {\n" % name)
        for i in range(0, len(data), 16):
            out.write("    " + ", ".join("0x%02x" % b for b in data[i:i + 16]) + ",\n")
        out.write("    0x00\n};\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
