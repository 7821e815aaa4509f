"""Read a labeled CSV file: one column of labels, every other column an observed feature."""
from __future__ import annotations

from typing import Tuple

import numpy as np

from accelbrainbase._mxnet.checks import check_type
from accelbrainbase.extractable_data import ExtractableData
from accelbrainbase.extractabledata._csv_reader import check_numeric_columns, read_csv_file


class LabeledCSVExtractor(ExtractableData):
    """Split a CSV file (with a header row) into observations and labels.

    Args:
        label_column: name of the column that holds the labels.
    """

    __label_column = "label"

    def __init__(self, label_column: str = "label") -> None:
        self.label_column = label_column

    @property
    def label_column(self) -> str:
        """Name of the label column."""
        return self.__label_column

    @label_column.setter
    def label_column(self, value: str) -> None:
        self.__label_column = check_type(value, str, "label_column")

    def extract(self, path: str) -> Tuple[np.ndarray, np.ndarray]:
        """Read ``path`` with pandas.

        Args:
            path: CSV file with a header row containing ``label_column``.

        Returns:
            ``(observed_arr, label_arr)``: the other columns as a 2-D numpy array
            ``(n_rows, n_features)`` and the label values ``(n_rows,)``.

        Raises:
            ValueError: the file is missing or unreadable, has no ``label_column``, a label
                is missing, or a feature cell is non-numeric, NaN or infinite (the message
                names the file and the column).
        """
        frame = read_csv_file(path, "path")
        if self.label_column not in frame.columns:
            raise ValueError(
                "%r has no label column %r (label_column); its columns are %s."
                % (path, self.label_column, list(frame.columns)[:20])
            )
        labels = frame[self.label_column]
        if labels.isna().any():
            row = int(np.flatnonzero(labels.isna().to_numpy())[0])
            raise ValueError(
                "%r: label column %r has a missing value (first at data row %d)."
                % (path, self.label_column, row)
            )
        feature_columns = [c for c in frame.columns if c != self.label_column]
        if not feature_columns:
            raise ValueError("%r has no feature columns besides %r." % (path, self.label_column))
        check_numeric_columns(frame, feature_columns, path)
        return frame[feature_columns].to_numpy(), labels.to_numpy()
