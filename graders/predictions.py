"""Validate a candidate's predictions against the hidden ids, on the host."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graders.metrics import Metric

MAX_PREDICTIONS_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class PredictionCheck:
    """Aligned predictions, or the precise reason they cannot be scored."""

    ok: bool
    reason: str
    values: np.ndarray[Any, Any] | None = None
    flags: np.ndarray[Any, Any] | None = None
    """The candidate's ``flagged`` column as booleans, when it wrote one."""


def _shown(value: Any) -> str:
    """A value as the candidate wrote it: ``nan``, not NumPy's ``np.float64(nan)``."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)[:80]


def read_regular_file(path: Path, max_bytes: int) -> bytes:
    """Read a file a sandbox wrote, refusing links, non-regular files and oversized files.

    Raises:
        ValueError: with the reason, for anything but a small regular file.
    """
    import os
    import stat

    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise ValueError(f"{path.name} was not written") from None
    except OSError as error:
        raise ValueError(
            f"{path.name} cannot be opened safely ({error.strerror}); links are refused"
        ) from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{path.name} is not a regular file")
        if info.st_nlink != 1:
            raise ValueError(f"{path.name} is a hard link ({info.st_nlink} names); refused")
        if info.st_size > max_bytes:
            raise ValueError(
                f"{path.name} is {info.st_size} bytes, over the {max_bytes} byte limit"
            )
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise ValueError(f"{path.name} is over the {max_bytes} byte limit")
        return data
    finally:
        os.close(descriptor)


def truth_values(metric: Metric, column: pd.Series) -> np.ndarray[Any, Any]:
    """Hidden labels in the form ``metric`` compares predictions with."""
    if metric.prediction == "label":
        values = column.astype(str)
    elif metric.prediction == "ranking":
        values = column.fillna("").astype(str)
    else:
        values = column
    array: np.ndarray[Any, Any] = values.to_numpy()
    return array


def check_predictions(
    path: Path,
    expected_ids: pd.Series,
    id_column: str,
    metric: Metric,
    classes: list[Any] | None = None,
) -> PredictionCheck:
    """Parse and validate ``path`` against ``expected_ids``.

    The file is CSV ``<id>,prediction`` or ``<id>,prediction,flagged``. A numeric prediction
    may be missing only on a row the candidate flagged (a service declining bad input).
    """
    try:
        raw = read_regular_file(path, MAX_PREDICTIONS_BYTES)
    except ValueError as error:
        return PredictionCheck(False, str(error))
    import io

    ranking = metric.prediction == "ranking"
    dtypes: dict[str, type] = {id_column: str, "prediction": str} if ranking else {id_column: str}
    try:
        frame = pd.read_csv(io.BytesIO(raw), dtype=dtypes, keep_default_na=not ranking)
    except Exception as error:
        return PredictionCheck(
            False, f"predictions are not valid CSV: {str(error).splitlines()[0][:200]}"
        )
    if list(frame.columns) not in ([id_column, "prediction"], [id_column, "prediction", "flagged"]):
        return PredictionCheck(
            False,
            f"expected columns [{id_column}, prediction] or [{id_column}, prediction, flagged], "
            f"got {list(frame.columns)[:5]}",
        )
    expected = expected_ids.astype(str)
    if len(frame) != len(expected):
        return PredictionCheck(
            False, f"{len(frame)} predictions for {len(expected)} evaluation rows"
        )
    duplicated = frame[id_column][frame[id_column].duplicated()]
    if len(duplicated):
        return PredictionCheck(
            False, f"{duplicated.nunique()} duplicated ids, e.g. {_shown(duplicated.iloc[0])}"
        )
    missing = set(expected) - set(frame[id_column])
    if missing:
        example = sorted(missing)[0]
        return PredictionCheck(
            False, f"{len(missing)} evaluation ids have no prediction, e.g. {example!r}"
        )
    frame = frame.set_index(id_column).loc[expected.tolist()]
    flags = None
    if "flagged" in frame.columns:
        raw_flags = frame["flagged"]
        lowered = raw_flags.astype(str).str.strip().str.lower()
        known = {"0": False, "1": True, "false": False, "true": True, "0.0": False, "1.0": True}
        bad = raw_flags[~lowered.isin(known.keys())]
        if len(bad):
            return PredictionCheck(
                False,
                f"{len(bad)} values of 'flagged' are not true/false or 1/0, e.g. {_shown(bad.iloc[0])}",
            )
        flags = lowered.map(known).to_numpy(dtype=bool)
    aligned = frame["prediction"]
    if ranking:
        return PredictionCheck(True, "", aligned.fillna("").astype(str).to_numpy(), flags)
    if metric.prediction in ("probability", "value"):
        values = pd.to_numeric(aligned, errors="coerce")
        array = values.to_numpy(dtype=float)
        declined = ~np.isfinite(array) & (flags if flags is not None else False)
        bad = aligned[values.isna() & ~declined]
        if len(bad):
            return PredictionCheck(
                False,
                f"{len(bad)} predictions are missing or not numeric, e.g. {_shown(bad.iloc[0])}"
                + ("" if flags is None else " (only flagged rows may go without a prediction)"),
            )
        if not np.all(np.isfinite(array) | declined):
            return PredictionCheck(
                False,
                f"{int((~np.isfinite(array) & ~declined).sum())} predictions are infinite",
            )
        present = array[np.isfinite(array)]
        if (
            metric.prediction == "probability"
            and len(present)
            and (present.min() < 0 or present.max() > 1)
        ):
            return PredictionCheck(
                False,
                f"probabilities must lie in [0, 1]; got values from {present.min():.4g} to {present.max():.4g}",
            )
        return PredictionCheck(True, "", array, flags)
    if aligned.isna().any():
        return PredictionCheck(False, f"{int(aligned.isna().sum())} predicted labels are missing")
    labels = aligned.astype(str).to_numpy()
    if classes is not None:
        known_classes = {str(value) for value in classes}
        unknown = sorted(set(labels) - known_classes)
        if unknown:
            shown = ", ".join(repr(value) for value in unknown[:3])
            return PredictionCheck(False, f"{len(unknown)} unknown labels predicted: {shown}")
    return PredictionCheck(True, "", labels, flags)
