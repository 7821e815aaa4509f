"""Raised (by downstream code) when a model's initialization must wait for its composite."""


class InitDeferredError(Exception):
    """``InitDeferredError(value)``; ``str(error)`` is ``repr(value)``."""

    def __init__(self, value=""):
        super().__init__(value)
        self.value = value

    def __str__(self) -> str:
        return repr(self.value)
