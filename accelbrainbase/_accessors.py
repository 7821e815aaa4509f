"""The contract's ``get_X()`` / ``set_X(value)`` accessor methods, generated once per class.

accel-brain-base 1.1.0 wrote a getter and a setter method for every property
(``batch_size = property(get_batch_size, set_batch_size)``) and a ``set_readonly`` method used as
the setter of read-only properties; old notebooks call those methods directly. Here they are
not written by hand: :class:`ContractAccessors` is a base of the eight interfaces
(``ExtractableData``, ``IteratableData``, ...), and its ``__init_subclass__`` adds the missing
methods to every class derived from them, so ``hasattr(cls, "get_batch_size")`` holds on the
class itself.

For every public name ``X`` found in the class or one of its bases (except MXNet's and
Python's own classes) that is

* a ``property``, or
* a plain class attribute holding data (not a function, class or other descriptor, lower-case
  name), e.g. ``compute_acc_flag = True``,

the class gets, unless it (or a base) already defines them:

* ``get_X()`` → ``self.X``;
* ``set_X(value)`` → ``self.X = value``. A read-only property keeps raising ``TypeError`` (its
  setter says so; a property without a setter raises ``TypeError`` here rather than Python's
  ``AttributeError``, as the reference's ``set_readonly`` setter did).

Every class also gets ``set_readonly(value)``, which always raises ``TypeError``.
"""
from __future__ import annotations

from typing import Any, Callable

#: bases whose members are not the contract's (their properties get no accessors)
_FOREIGN_MODULE_PREFIXES = ("mxnet", "builtins", "abc", "typing")


def _is_foreign(klass: type) -> bool:
    module = getattr(klass, "__module__", "") or ""
    return klass is object or module.split(".")[0] in _FOREIGN_MODULE_PREFIXES


def _is_data_attribute(name: str, value: Any) -> bool:
    """A plain data class attribute (``flag = True``, ``items = None``), not a method or descriptor."""
    if not name.islower() or callable(value) or hasattr(value, "__get__"):
        return False
    return not isinstance(value, (staticmethod, classmethod, type))


def accessor_names(cls: type) -> list:
    """Public property and data-attribute names of ``cls`` that get ``get_``/``set_`` methods."""
    names = []
    for klass in cls.__mro__:
        if _is_foreign(klass):
            continue
        for name, value in vars(klass).items():
            if name.startswith("_") or name in names:
                continue
            if isinstance(value, property) or _is_data_attribute(name, value):
                names.append(name)
    return names


def _find(cls: type, name: str) -> Any:
    for klass in cls.__mro__:
        if name in vars(klass):
            return vars(klass)[name]
    return None


def _make_getter(name: str) -> Callable:
    def getter(self):
        return getattr(self, name)

    getter.__name__ = getter.__qualname__ = "get_" + name
    getter.__doc__ = "Return ``self.%s`` (contract accessor)." % name
    return getter


def _make_setter(name: str) -> Callable:
    def setter(self, value) -> None:
        descriptor = _find(type(self), name)
        if isinstance(descriptor, property) and descriptor.fset is None:
            raise TypeError("%s is read-only." % name)
        setattr(self, name, value)

    setter.__name__ = setter.__qualname__ = "set_" + name
    setter.__doc__ = "Assign ``self.%s = value`` (contract accessor; read-only properties raise TypeError)." % name
    return setter


def install_accessors(cls: type) -> None:
    """Add the missing ``get_X``/``set_X`` methods of :func:`accessor_names` to ``cls``."""
    for name in accessor_names(cls):
        for prefix, factory in (("get_", _make_getter), ("set_", _make_setter)):
            if not hasattr(cls, prefix + name):
                setattr(cls, prefix + name, factory(name))


class ContractAccessors:
    """Base of the interfaces: generates the contract's accessor methods on every subclass."""

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        install_accessors(cls)

    def set_readonly(self, value) -> None:
        """The setter of read-only properties: always raises ``TypeError``."""
        raise TypeError("This property is read-only.")
