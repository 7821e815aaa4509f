"""Where the engine's batches come from.

:func:`accelbrainbase._mxnet.engine.fit` consumes a *source*: it yields the training batches,
says how many make an epoch and how many epochs there are, and (optionally) walks the whole
test split for the per-epoch evaluation. Two sources serve every family of the contract:

:class:`IteratorSource`
    an ``IteratableData`` (models: ``learn(iteratable_data)``); an epoch is
    ``int(iter_n / epochs)`` yielded tuples.
:class:`StepSource`
    a fixed number of iterations with no data of its own (controllers whose step draws from
    samplers, ``learn(iter_n, k_step)``, or acts in an environment, ``learn(iter_n)``); the
    batch handed to the step is the iteration number. An epoch is ``steps_per_epoch``
    iterations; a learner ends the run early (an episode that ended) by setting
    ``stop_training``.

A source is any object with ``epochs``, ``steps_per_epoch``, ``batches(start_epoch)`` and
``test_batches()``; these two classes are the ones the library uses.
"""
from __future__ import annotations

import itertools
from typing import Any, Callable, Iterable, Iterator, Optional

from accelbrainbase._mxnet.checks import check_int, check_type
from accelbrainbase.iteratable_data import IteratableData


class Source:
    """The interface :func:`fit` reads (see the module docstring)."""

    epochs: int = 1
    steps_per_epoch: int = 1

    @property
    def total_steps(self) -> int:
        return self.epochs * self.steps_per_epoch

    def batches(self, start_epoch: int = 0) -> Iterator[Any]:
        """The training batches from the start of ``start_epoch`` to the end of the run."""
        raise NotImplementedError

    def test_batches(self) -> Optional[Iterable[Any]]:
        """Every test batch once (for the per-epoch evaluation), or ``None`` when the source
        cannot enumerate its test split (the engine then evaluates the last training tuple's
        test part, or nothing for a :class:`StepSource`)."""
        return None


def steps_per_epoch_of(iteratable_data) -> int:
    """``int(iter_n / epochs)``: the yielded tuples that make one epoch (contract P1)."""
    epochs = check_int(getattr(iteratable_data, "epochs", None), "iteratable_data.epochs", minimum=1)
    iter_n = check_int(getattr(iteratable_data, "iter_n", None), "iteratable_data.iter_n", minimum=1)
    per_epoch = int(iter_n / epochs)
    if per_epoch < 1:
        raise ValueError(
            "iteratable_data yields iter_n=%d batches for epochs=%d; it must yield at least one "
            "batch per epoch." % (iter_n, epochs)
        )
    return per_epoch


class IteratorSource(Source):
    """The tuples of an ``IteratableData``.

    Args:
        iteratable_data: exposes integer ``epochs`` and ``iter_n`` and
            ``generate_learned_samples()``; when it also has ``generate_test_samples()``
            (every iterator of this library does), the per-epoch test loss is the mean over the
            whole test split.
        expected_type: the class (or tuple of classes) ``iteratable_data`` must be.
    """

    def __init__(self, iteratable_data, expected_type=IteratableData) -> None:
        self.iteratable_data = check_type(iteratable_data, expected_type, "iteratable_data")
        self.steps_per_epoch = steps_per_epoch_of(iteratable_data)
        self.epochs = int(iteratable_data.epochs)

    def batches(self, start_epoch: int = 0) -> Iterator[Any]:
        batches = iter(self.iteratable_data.generate_learned_samples())
        if start_epoch:
            # resuming: skip the batches the interrupted run consumed, so a freshly built iterator
            # with the same seed continues exactly where that run stopped (gathers only, no training)
            batches = itertools.islice(batches, start_epoch * self.steps_per_epoch, None)
        return batches

    def test_batches(self) -> Optional[Iterable[Any]]:
        generate = getattr(self.iteratable_data, "generate_test_samples", None)
        return generate() if callable(generate) else None


class StepSource(Source):
    """``iter_n`` iterations, each handed to the learner's step as its iteration number.

    Args:
        iter_n: iterations in all (>= 1).
        steps_per_epoch: iterations per epoch — the unit of the history's rows, learning-rate
            decay, progress and checkpoints (>= 1). When ``iter_n`` is not a multiple, the last
            epoch is shorter.
        test_batches: optional callable returning the batches to evaluate at each epoch's end.
        name: how messages name ``iter_n`` (e.g. ``"iter_n"``).
    """

    def __init__(self, iter_n: int, steps_per_epoch: int = 1,
                 test_batches: Optional[Callable[[], Iterable[Any]]] = None, name: str = "iter_n") -> None:
        self.iter_n = check_int(iter_n, name, minimum=1)
        self.steps_per_epoch = min(check_int(steps_per_epoch, "steps_per_epoch", minimum=1), self.iter_n)
        self.epochs = -(-self.iter_n // self.steps_per_epoch)
        self._test_batches = test_batches

    @property
    def total_steps(self) -> int:
        return self.iter_n

    def batches(self, start_epoch: int = 0) -> Iterator[int]:
        return iter(range(start_epoch * self.steps_per_epoch, self.iter_n))

    def test_batches(self) -> Optional[Iterable[Any]]:
        return self._test_batches() if self._test_batches is not None else None


def as_source(data, expected_type=IteratableData) -> Source:
    """``data`` itself when it is a :class:`Source`, else an :class:`IteratorSource` over it."""
    if isinstance(data, Source):
        return data
    return IteratorSource(data, expected_type)
