"""Prints invalid UTF-8, terminal escapes and NULs, then fails on a line of the same."""

import sys

out = sys.stdout.buffer
out.write(b"caf\xe9 \x1b[31mred\x1b[0m \x00nul \x07bell\n")
out.write(b"\xff\xfe\xfd binary \x1b]0;title\x07\n")
out.write(b"fatal: caf\xe9 \x1b[2J cleared\n")
out.flush()
sys.exit(3)
