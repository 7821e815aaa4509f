"""The shared argument checks every public constructor uses."""
import pytest

from accelbrainbase._mxnet.checks import check_number


def test_check_number_bounds_inclusive_and_strict():
    assert check_number(1, "rate", minimum=0.0, maximum=1.0) == 1.0
    assert check_number(0.5, "rate", minimum=0.0, maximum=1.0, strict_minimum=True, strict_maximum=True) == 0.5
    with pytest.raises(ValueError, match=r"rate must be < 1"):
        check_number(1.0, "rate", maximum=1.0, strict_maximum=True)
    with pytest.raises(ValueError, match=r"rate must be > 0"):
        check_number(0.0, "rate", minimum=0.0, strict_minimum=True)
    with pytest.raises(ValueError, match=r"rate must be <= 1"):
        check_number(1.5, "rate", maximum=1.0)
    with pytest.raises(ValueError, match="rate must be finite"):
        check_number(float("inf"), "rate")
    with pytest.raises(TypeError, match="rate must be a number"):
        check_number(True, "rate")
