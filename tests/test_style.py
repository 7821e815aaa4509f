"""Style rules the brief sets for code beyond the 1.1.0 contract, checked on the source.

The contract's own signatures keep the reference's list defaults (``units_list=[...]``,
``regularizatable_data_list=[]``); everything this package adds must not use a mutable
default argument, which Python shares between calls.
"""
import ast
import json
import os
import pathlib


ROOT = pathlib.Path(__file__).resolve().parent.parent / "accelbrainbase"
CONTRACT = json.load(open(os.path.join(os.path.dirname(__file__), "contract", "contract.json")))


def _module_name(path: pathlib.Path) -> str:
    return ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)


def _mutable_defaults(function: ast.FunctionDef) -> list:
    defaults = function.args.defaults + [d for d in function.args.kw_defaults if d is not None]
    return [d for d in defaults if isinstance(d, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp))]


def _offenders() -> list:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                if "%s.%s" % (module, node.name) in CONTRACT:
                    continue  # the contract fixes these signatures
                functions = [(node.name + "." + f.name, f) for f in node.body
                             if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions = [(node.name, node)]
            else:
                continue
            found += ["%s:%d %s" % (module, f.lineno, name) for name, f in functions if _mutable_defaults(f)]
    return found


def test_the_scan_sees_the_contract_classes_list_defaults():
    """The check is live: a contract class known to keep a list default is found when not skipped."""
    path = ROOT / "observabledata" / "_mxnet" / "neural_networks.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "NeuralNetworks")
    init = next(f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "__init__")
    assert _mutable_defaults(init), "NeuralNetworks.__init__ keeps the contract's list defaults"


def test_code_beyond_the_contract_has_no_mutable_default_arguments():
    assert _offenders() == []
