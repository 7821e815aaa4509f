"""Read a CSV file with pandas and check that the requested columns are clean numbers.

Shared by the labeled and unlabeled CSV extractors so both report bad files the same way:
a ``ValueError`` that names the file and, for bad cells, the column and the first bad row.
"""
from __future__ import annotations

import os
from typing import Iterable

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from accelbrainbase._mxnet.checks import check_type


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
    return frame


def check_numeric_columns(frame: pd.DataFrame, columns: Iterable, path: str) -> None:
    """Raise ``ValueError`` naming ``path`` and the column if a cell is non-numeric, NaN or inf."""
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
