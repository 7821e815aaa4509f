"""Read an unlabeled CSV file: every column is an observed feature."""
from __future__ import annotations

import numpy as np

from accelbrainbase.extractable_data import ExtractableData
from accelbrainbase.extractabledata._csv_reader import check_numeric_columns, read_csv_file


class UnlabeledCSVExtractor(ExtractableData):
    """Read all columns of a CSV file (with a header row) as one 2-D numpy array."""

    def extract(self, path: str) -> np.ndarray:
        """Read ``path`` with pandas.

        Args:
            path: CSV file with a header row.

        Returns:
            ``pandas.read_csv(path).values``: a 2-D numpy array ``(n_rows, n_columns)``.

        Raises:
            ValueError: the file is missing or unreadable, or a cell is non-numeric, NaN or
                infinite (the message names the file and the column).
        """
        frame = read_csv_file(path, "path")
        check_numeric_columns(frame, frame.columns, path)
        return frame.to_numpy()
