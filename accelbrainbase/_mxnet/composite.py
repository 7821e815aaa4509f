"""Models made of named parts: auto-encoders (encoder/decoder), GANs (generator/discriminator), ...

:class:`Composite` does, once, what every such model needs (contract P3–P5):

* deferred construction — the parent class is built with ``init_deferred_flag`` set, so it
  initializes nothing, then the parts are attached (:meth:`Composite.construct_parent`);
* the parameter union of the parts, in their order, as ``collect_params`` (P4);
* initialization of that union, its trainer and hybridization, unless deferred
  (:meth:`Composite.finish_construction`);
* one parameter file per part (P5: ``model.params`` → ``model_encoder.params``, ...), for every
  part, optional ones included;
* weight tying, as the :meth:`Composite.tie_weights` hook that ``regularize`` (run by the
  engine after every optimiser step) calls before the regularizers.

A composite lists its parts in ``PART_ROLES``; a role whose attribute is ``None`` (an optional
``output_nn``) is left out of the union and of the files.
"""
from __future__ import annotations

from typing import Callable, Dict, Optional, Tuple

from mxnet import gluon

from accelbrainbase._mxnet.context import ContextLike
from accelbrainbase._mxnet.split_files import load_parts, save_parts


class Composite:
    """Mixin for a ``Learner`` HybridBlock built from the parts named in ``PART_ROLES``."""

    #: attribute names of the parts, in parameter-union and file order
    PART_ROLES: Tuple[str, ...] = ()
    #: hybridize options used by :meth:`finish_construction`
    HYBRIDIZE_OPTIONS: Dict[str, bool] = {"static_alloc": True, "static_shape": True}

    def parts(self) -> Dict[str, gluon.Block]:
        """``{role: part}`` for every part that is set, in ``PART_ROLES`` order."""
        found = {}
        for role in self.PART_ROLES:
            part = getattr(self, role, None)
            if part is not None:
                found[role] = part
        return found

    def construct_parent(self, parent_init: Callable[..., None], **arguments) -> bool:
        """Run ``parent_init(**arguments)`` with ``init_deferred_flag`` set (so the parent builds no
        trainer) and restore the flag; returns whether this composite itself is deferred."""
        deferred = self.init_deferred_flag
        self.init_deferred_flag = True
        try:
            parent_init(**arguments)
        finally:
            self.init_deferred_flag = deferred
        return deferred

    def finish_construction(self, deferred: bool, hybridize_flag: bool, wd: Optional[float] = None) -> None:
        """Unless ``deferred``: initialize the union, build ``self.trainer`` over it and hybridize
        the composite as one graph (when ``hybridize_flag``)."""
        if deferred:
            return
        self.trainer = self.build_trainer(self.collect_params(), wd=wd)
        if hybridize_flag:
            self.hybridize(**self.HYBRIDIZE_OPTIONS)

    def collect_params(self, select: Optional[str] = None) -> gluon.ParameterDict:
        """The union of the parts' parameters, in ``PART_ROLES`` order (contract P4)."""
        params = None
        for part in self.parts().values():
            part_params = part.collect_params(select)
            if params is None:
                params = part_params
            else:
                params.update(part_params)
        return params if params is not None else gluon.ParameterDict()

    def tie_weights(self) -> None:
        """Copy tied weights between parts (nothing by default)."""

    def regularize(self) -> None:
        """Tie weights, then apply the regularizers (the engine runs this after every step)."""
        self.tie_weights()
        super().regularize()

    def save_parameters(self, filename: str, deduplicate: bool = False) -> None:
        """One file per part: ``<name>_<role>.<ext>`` (for example ``model_encoder.params``)."""
        save_parts(filename, self.parts())

    def load_parameters(self, filename: str, ctx: ContextLike = None, allow_missing: bool = False,
                        ignore_extra: bool = False) -> None:
        """Read the files :meth:`save_parameters` wrote (every part's file must exist)."""
        load_parts(filename, self.parts(), ctx=ctx, allow_missing=allow_missing, ignore_extra=ignore_extra)
