"""Allocates and touches memory in 32 MB chunks until the kernel says no."""

chunks = []
while True:
    chunk = bytearray(32 * 2**20)
    chunk[::4096] = b"x" * len(chunk[::4096])
    chunks.append(chunk)
    print(f"holding {len(chunks) * 32} MB", flush=True)
