"""Creates tiny files: first in /tmp until it is full, then in $MODEL_DIR without end."""

import os

count = 0
try:
    while count < 200_000:
        with open(f"/tmp/f{count}", "w") as handle:
            handle.write("x")
        count += 1
except OSError as error:
    print(f"/tmp refused file {count}: {error.strerror}", flush=True)

model_dir = os.environ["MODEL_DIR"]
index = 0
while True:
    directory = os.path.join(model_dir, f"d{index // 1000}")
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, f"f{index}"), "w") as handle:
        handle.write("x")
    index += 1
