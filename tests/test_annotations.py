"""Every annotation in the package resolves.

With ``from __future__ import annotations`` an annotation is a string that Python never
evaluates on import, so a misspelt or unimported name only fails when a tool asks for it
(``typing.get_type_hints``: documentation generators, IDEs, runtime checkers). This test asks
for all of them, with the names each module imports under ``if TYPE_CHECKING:`` supplied.
"""
import ast
import importlib
import inspect
import pathlib
import typing

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "accelbrainbase"
MODULES = sorted(".".join(p.relative_to(ROOT.parent).with_suffix("").parts) for p in ROOT.rglob("*.py"))


def _type_checking_names(module) -> dict:
    """The names a module imports only for type checkers (``if TYPE_CHECKING:`` blocks)."""
    tree = ast.parse(pathlib.Path(module.__file__).read_text(encoding="utf-8"))
    names: dict = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            exec(compile(ast.Module(body=node.body, type_ignores=[]), module.__file__, "exec"), names)
    names.pop("__builtins__", None)
    return names


def _functions(module):
    for name, obj in vars(module).items():
        if getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(obj):
            yield name, obj
        elif inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if isinstance(member, (staticmethod, classmethod)):
                    member = member.__func__
                elif isinstance(member, property):
                    member = member.fget
                if inspect.isfunction(member):
                    yield "%s.%s" % (name, attr), member


@pytest.mark.parametrize("module_name", MODULES)
def test_every_annotation_of_the_module_resolves(module_name):
    module = importlib.import_module(module_name.replace(".__init__", ""))
    namespace = dict(vars(module))
    namespace.update(_type_checking_names(module))
    unresolved = []
    for name, function in _functions(module):
        try:
            typing.get_type_hints(function, globalns=namespace)
        except Exception as error:  # noqa: BLE001 - report every failure at once
            unresolved.append("%s: %s: %s" % (name, type(error).__name__, error))
    assert unresolved == []


def test_the_check_sees_a_broken_annotation(tmp_path, monkeypatch):
    """The check is live: a module annotated with an unknown name fails it."""
    (tmp_path / "broken_annotations_module.py").write_text(
        "from __future__ import annotations\n\ndef f(x: NoSuchType) -> int:\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("broken_annotations_module")
    with pytest.raises(NameError):
        typing.get_type_hints(module.f, globalns=dict(vars(module)))
