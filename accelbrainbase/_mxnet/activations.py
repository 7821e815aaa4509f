"""Activation names accepted by the models' ``*_activation`` arguments."""
from __future__ import annotations


def apply_activation(F, x, name: str, softmax_axis: int = -1):
    """Apply the activation called ``name`` to ``x`` (works for ``F = mx.nd`` and ``mx.sym``).

    ``"identity"`` leaves ``x`` alone; ``"identity_adjusted"`` divides by the number of
    elements of ``x``; ``"softmax"`` / ``"log_softmax"`` normalise over ``softmax_axis``; any
    other name is passed to ``F.Activation`` (``relu``, ``sigmoid``, ``tanh``, ``softrelu``,
    ``softsign``).
    """
    if name == "identity":
        return x
    if name == "identity_adjusted":
        return F.broadcast_div(x, F.cast(F.size_array(x), dtype="float32"))
    if name == "softmax":
        return F.softmax(x, axis=softmax_axis)
    if name == "log_softmax":
        return F.log_softmax(x, axis=softmax_axis)
    return F.Activation(x, act_type=name)


KNOWN_ACTIVATIONS = ("identity", "identity_adjusted", "softmax", "log_softmax",
                     "relu", "sigmoid", "tanh", "softrelu", "softsign")


def check_activations(names, arg_name: str, allow_softmax: bool = True) -> list:
    """Raise ``ValueError`` naming ``arg_name`` for an unknown activation name."""
    allowed = KNOWN_ACTIVATIONS if allow_softmax else tuple(
        n for n in KNOWN_ACTIVATIONS if "softmax" not in n)
    for i, name in enumerate(names):
        if not isinstance(name, str) or name not in allowed:
            raise ValueError("%s[%d]=%r is not an activation; use one of %s." % (arg_name, i, name, ", ".join(allowed)))
    return list(names)
