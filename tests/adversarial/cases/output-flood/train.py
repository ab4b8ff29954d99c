"""Floods stdout and stderr with lines."""

import sys

line = "training epoch " + "=" * 200 + "\n"
while True:
    sys.stdout.write(line)
    sys.stderr.write(line)
