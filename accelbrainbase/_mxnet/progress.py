"""Progress reporting for long work (a tqdm bar that stays quiet where nobody watches)."""
from __future__ import annotations

import os
import sys


def progress_enabled() -> bool:
    """Bars are shown on a terminal unless ``ACCELBRAINBASE_PROGRESS=0``;
    ``ACCELBRAINBASE_PROGRESS=1`` forces them on."""
    setting = os.environ.get("ACCELBRAINBASE_PROGRESS", "")
    if setting == "0":
        return False
    if setting == "1":
        return True
    return sys.stderr.isatty()


class _Silent:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, **kwargs) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(total: int, description: str, unit: str = "batch"):
    """A tqdm bar over ``total`` steps, or a silent stand-in when progress is off."""
    if not progress_enabled():
        return _Silent()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=description, unit=unit, leave=False, dynamic_ncols=True)
