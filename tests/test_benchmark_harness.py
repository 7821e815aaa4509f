"""The benchmark harness's measurement rules (benchmarks/_harness.py), without timing anything."""
from benchmarks._harness import Result, _spread, timed_run


def test_a_short_side_runs_back_to_back_until_the_minimum_time_and_sums_its_work():
    calls = []

    def side(repeat):
        calls.append(repeat)
        return Result(0.6, 100, {"run": len(calls)})

    result = timed_run(side, 3, min_seconds=2.0)
    assert calls == [3, 3, 3, 3]  # 0.6 s runs: four of them pass 2 s
    assert abs(result.seconds - 2.4) < 1e-9 and result.work == 400
    assert result.quality == {"run": 1}  # quality figures are the first run's
    assert abs(result.seconds_per_unit - 0.006) < 1e-12


def test_a_long_side_runs_once():
    calls = []

    def side(repeat):
        calls.append(repeat)
        return Result(5.0, 10)

    assert timed_run(side, 0, min_seconds=2.0).seconds == 5.0 and calls == [0]


def test_spread_is_range_over_median():
    assert abs(_spread([0.9, 1.0, 1.2]) - 0.3) < 1e-12
    assert _spread([1.0]) == 0.0
