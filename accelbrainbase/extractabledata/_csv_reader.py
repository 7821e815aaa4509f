"""Read a CSV file with pandas and check its header and that the requested columns are clean numbers.

Shared by the labeled and unlabeled CSV extractors so both report bad files the same way:
a ``ValueError`` that names the file and, for bad cells, the column and the first bad row.

Header mistakes are refused rather than guessed at:

* a column without a header (pandas names it ``Unnamed: k``), typically the index that
  ``df.to_csv(path)`` writes in front of the data: it would silently become a feature
  (0, 1, 2, ... per row). The message says to write the file with ``index=False``;
* a first row made only of numbers, at least one with a decimal point or exponent: the file has
  no header row, so pandas took the first sample for the column names (and dropped it).
  Integer names (``0, 1, 2`` as ``pd.DataFrame(arr).to_csv(index=False)`` writes them, or years)
  are accepted.
"""
from __future__ import annotations

import os
import re
from typing import Iterable

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from accelbrainbase._mxnet.checks import FLOAT32_MAX, check_type

_UNNAMED = re.compile(r"^Unnamed: \d+(_level_\d+)?$")


def read_csv_file(path: str, arg_name: str = "path") -> pd.DataFrame:
    """Return ``pandas.read_csv(path)``; raise ``ValueError`` naming ``path`` when it fails.

    Args:
        path: path of a CSV file with a header row.
        arg_name: the caller's argument name, used in messages.
    """
    check_type(path, (str, os.PathLike), arg_name)
    if not os.path.isfile(path):
        raise ValueError("%s=%r is not an existing file." % (arg_name, path))
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise ValueError("%s=%r could not be read as CSV: %s" % (arg_name, path, exc)) from exc
    if len(frame) == 0 or len(frame.columns) == 0:
        raise ValueError("%s=%r holds no data rows." % (arg_name, path))
    check_header(frame, path)
    return frame


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_header(frame: pd.DataFrame, path: str) -> None:
    """Raise ``ValueError`` naming ``path`` for a column without a header (e.g. a ``df.to_csv()``
    index) or a first row that is data rather than column names."""
    names = [str(name) for name in frame.columns]
    for position, name in enumerate(names):
        if not _UNNAMED.match(name):
            continue
        values = frame.iloc[:, position]
        if position == 0 and len(values) and (values.to_numpy() == np.arange(len(values))).all():
            raise ValueError(
                "%r: the first column has no header and holds 0, 1, ..., %d: it is the index that "
                "pandas writes with df.to_csv(path), not a feature. Write the file with "
                "df.to_csv(path, index=False) or delete that column." % (path, len(values) - 1))
        raise ValueError(
            "%r: column %d has no header (pandas calls it %r); every column needs a name (if it is a "
            "saved DataFrame index, write the file with df.to_csv(path, index=False))." % (path, position, name))
    if names and all(_is_number(name) for name in names) and any(
            ch in name for name in names for ch in ".eE"):
        raise ValueError(
            "%r: the first row (%s) looks like data, not a header; the CSV needs a header row naming "
            "the columns (e.g. df.to_csv(path, index=False) writes one)." % (path, ", ".join(names[:5])
                                                                            + (", ..." if len(names) > 5 else "")))


def check_numeric_columns(frame: pd.DataFrame, columns: Iterable, path: str) -> None:
    """Raise ``ValueError`` naming ``path`` and the column if a cell is non-numeric, NaN, infinite or
    too large for float32."""
    for column in columns:
        series = frame[column]
        if is_bool_dtype(series) or not is_numeric_dtype(series):
            coerced = pd.to_numeric(series, errors="coerce")
            bad_rows = np.flatnonzero(coerced.isna().to_numpy() & series.notna().to_numpy())
            row = int(bad_rows[0]) if len(bad_rows) else 0
            raise ValueError(
                "%r: column %r holds non-numeric values (first at data row %d: %r)."
                % (path, column, row, series.iloc[row])
            )
        values = series.to_numpy(dtype=np.float64)
        bad_rows = np.flatnonzero(~np.isfinite(values))
        if len(bad_rows):
            raise ValueError(
                "%r: column %r holds NaN, an empty cell or infinity (first at data row %d)."
                % (path, column, int(bad_rows[0]))
            )
        huge_rows = np.flatnonzero(np.abs(values) > FLOAT32_MAX)
        if len(huge_rows):
            row = int(huge_rows[0])
            raise ValueError(
                "%r: column %r holds %r at data row %d, beyond the float32 range (|x| <= %.4g) the data "
                "is kept in; rescale that column." % (path, column, values[row], row, FLOAT32_MAX)
            )
