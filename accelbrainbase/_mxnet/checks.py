"""Argument checks shared by every public entry point.

Each check raises before any work starts, with a message that names the argument and says
what was expected, so a user never has to read an MXNet stack trace to find a typo.
"""
from __future__ import annotations

import numbers
from typing import Any, Iterable, Optional, Sequence, Tuple, Type, Union

import numpy as np

TypeSpec = Union[Type, Tuple[Type, ...]]


def _type_names(expected: TypeSpec) -> str:
    types = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(t.__name__ for t in types)


def check_type(value: Any, expected: TypeSpec, name: str, allow_none: bool = False) -> Any:
    """Raise ``TypeError`` unless ``value`` is an instance of ``expected``."""
    if value is None and allow_none:
        return value
    if not isinstance(value, expected):
        raise TypeError(
            "%s must be %s%s, not %s."
            % (name, _type_names(expected), " or None" if allow_none else "", type(value).__name__)
        )
    return value


def check_list_of(values: Any, expected: TypeSpec, name: str) -> list:
    """Raise ``TypeError`` unless ``values`` is a list/tuple whose items are all ``expected``."""
    if not isinstance(values, (list, tuple)):
        raise TypeError("%s must be a list, not %s." % (name, type(values).__name__))
    for i, value in enumerate(values):
        if not isinstance(value, expected):
            raise TypeError(
                "%s[%d] must be %s, not %s." % (name, i, _type_names(expected), type(value).__name__)
            )
    return list(values)


def check_int(value: Any, name: str, minimum: Optional[int] = None, maximum: Optional[int] = None) -> int:
    """Raise unless ``value`` is an integer within ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError("%s must be an int, not %s." % (name, type(value).__name__))
    if minimum is not None and value < minimum:
        raise ValueError("%s must be >= %d, got %d." % (name, minimum, value))
    if maximum is not None and value > maximum:
        raise ValueError("%s must be <= %d, got %d." % (name, maximum, value))
    return int(value)


def check_number(value: Any, name: str, minimum: Optional[float] = None, maximum: Optional[float] = None,
                 strict_minimum: bool = False, strict_maximum: bool = False) -> float:
    """Raise unless ``value`` is a finite real number within the given bounds (``strict_*``: the
    bound itself is excluded)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError("%s must be a number, not %s." % (name, type(value).__name__))
    if not np.isfinite(value):
        raise ValueError("%s must be finite, got %r." % (name, value))
    if minimum is not None:
        if strict_minimum and value <= minimum:
            raise ValueError("%s must be > %g, got %g." % (name, minimum, value))
        if not strict_minimum and value < minimum:
            raise ValueError("%s must be >= %g, got %g." % (name, minimum, value))
    if maximum is not None:
        if strict_maximum and value >= maximum:
            raise ValueError("%s must be < %g, got %g." % (name, maximum, value))
        if not strict_maximum and value > maximum:
            raise ValueError("%s must be <= %g, got %g." % (name, maximum, value))
    return float(value)


def check_rates(values: Any, name: str) -> list:
    """Each item of ``values`` must be a dropout-style rate in ``[0, 1)``."""
    values = check_list_of(values, numbers.Real, name)
    for i, value in enumerate(values):
        check_number(value, "%s[%d]" % (name, i), minimum=0.0)
        if value >= 1.0:
            raise ValueError("%s[%d] must be < 1 (a rate of 1 drops everything), got %g." % (name, i, value))
    return values


def check_units(values: Any, name: str) -> list:
    """Each item of ``values`` must be an int >= 1 (a layer's output units)."""
    values = check_list_of(values, numbers.Integral, name)
    for i, value in enumerate(values):
        check_int(value, "%s[%d]" % (name, i), minimum=1)
    return values


def check_same_length(name_to_list: dict) -> None:
    """Raise ``ValueError`` unless every list in ``{name: list}`` has the same length."""
    lengths = {name: len(values) for name, values in name_to_list.items()}
    if len(set(lengths.values())) > 1:
        described = ", ".join("len(%s)=%d" % item for item in lengths.items())
        raise ValueError("These lists must have the same length: %s." % described)


def check_finite_array(arr: np.ndarray, name: str) -> np.ndarray:
    """Raise ``ValueError`` when a numeric array holds NaN or infinity."""
    arr = np.asarray(arr)
    if arr.dtype.kind not in "biuf":
        raise ValueError("%s must hold numbers, found dtype %s." % (name, arr.dtype))
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr)
        if bad.any():
            where = tuple(int(i[0]) for i in np.nonzero(bad))
            raise ValueError("%s contains NaN or infinity (first at index %s)." % (name, where))
    return arr


#: the largest magnitude a float32 holds; larger values become infinity on the device
FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_float32_range(arr: np.ndarray, name: str) -> np.ndarray:
    """Raise ``ValueError`` naming ``name`` when a finite value is too large for float32 (the data
    is kept as float32 on the device, where it would become infinity)."""
    arr = np.asarray(arr)
    if arr.dtype.kind == "f" and arr.dtype.itemsize > 4:  # integers never exceed it
        too_large = np.isfinite(arr) & (np.abs(arr) > FLOAT32_MAX)
        if too_large.any():
            where = tuple(int(i[0]) for i in np.nonzero(too_large))
            raise ValueError("%s holds %r at index %s, beyond the float32 range (|x| <= %.4g) the data is "
                             "kept in; rescale it." % (name, arr[where].item(), where, FLOAT32_MAX))
    return arr


def check_rank(shape: Sequence[int], rank: Union[int, Iterable[int]], name: str, layout: str = "") -> None:
    """Raise ``ValueError`` unless an array of ``shape`` has one of the allowed ranks."""
    ranks = (rank,) if isinstance(rank, int) else tuple(rank)
    if len(shape) not in ranks:
        raise ValueError(
            "%s must have rank %s%s, got shape %s."
            % (name, " or ".join(map(str, ranks)), " (%s)" % layout if layout else "", tuple(shape))
        )


def warn_unknown_kwargs(owner: str, kwargs: dict, known: Iterable[str]) -> None:
    """Warn (not fail: the reference silently ignored them) about keyword arguments nobody reads."""
    import warnings

    unknown = sorted(set(kwargs) - set(known))
    if unknown:
        warnings.warn("%s ignores unknown keyword argument(s): %s" % (owner, ", ".join(unknown)), stacklevel=3)
