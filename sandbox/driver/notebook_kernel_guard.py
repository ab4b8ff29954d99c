"""Runs once inside the notebook's kernel at start-up (``IPKernelApp.exec_files``), before
any cell: caps the output the kernel sends, so a cell printing hundreds of megabytes is
stopped in the kernel instead of filling the driver's memory with one huge message.

Past ``HARNESS_NOTEBOOK_MAX_OUTPUT`` characters of stream text or display data, the kernel
writes the file ``HARNESS_NOTEBOOK_LIMIT_MARKER`` and exits at once (status 87); the driver
then reports ``output_limit`` for the running cell. Candidate code runs in the same process
and could undo this; the driver's own count and the container's memory limit still apply.

IPython executes this file in the notebook's namespace, so everything lives in one function
that deletes itself. It patches the classes, not ``sys.stdout``: IPython swaps the stream's
``write`` around each cell and restores it afterwards, which would undo an instance patch
made while a cell (or ``exec_lines``) runs.
"""


def _harness_install_output_guard() -> None:
    import os
    from typing import Any

    from ipykernel.iostream import OutStream  # type: ignore[import-not-found]
    from jupyter_client.session import Session

    variable = os.environ.get("HARNESS_NOTEBOOK_MAX_OUTPUT", "")
    if not variable.isdigit():
        return
    limit = int(variable)
    marker = os.environ.get("HARNESS_NOTEBOOK_LIMIT_MARKER", "/tmp/.harness-output-limit")
    display_messages = frozenset({"display_data", "execute_result", "update_display_data"})
    counted = [0]

    def count(size: int) -> None:
        counted[0] += size
        if counted[0] > limit:
            try:
                with open(marker, "w", encoding="utf-8") as handle:
                    handle.write(str(counted[0]))
                os.write(2, f"[harness] notebook output passed {limit} characters\n".encode())
            finally:
                os._exit(87)

    original_write = OutStream.write

    def write(self: Any, string: Any) -> Any:
        if isinstance(string, str):
            count(len(string))
        return original_write(self, string)

    original_send = Session.send

    def send(
        self: Any, stream: Any, msg_or_type: Any, content: Any = None, *args: Any, **kwargs: Any
    ) -> Any:
        if isinstance(msg_or_type, str):
            message_type, body = msg_or_type, content
        else:
            message_type = msg_or_type.get("msg_type")
            body = content if content is not None else msg_or_type.get("content")
        if message_type in display_messages and isinstance(body, dict):
            data = body.get("data")
            if isinstance(data, dict):
                count(sum(len(str(value)) for value in data.values()))
        return original_send(self, stream, msg_or_type, content, *args, **kwargs)

    OutStream.write = write
    Session.send = send  # type: ignore[method-assign]


_harness_install_output_guard()
del _harness_install_output_guard
