"""Spins on the CPU well past the deadline."""

print("spinning", flush=True)
while True:
    pass
