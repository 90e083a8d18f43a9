"""The package's import graph is one-way: no cycles between modules, and no import from a lower layer to a higher
one (DESIGN.md: data -> models -> train -> surfaces -> bench -> cli). Imports are read from the source, including
those inside functions; imports under ``if TYPE_CHECKING:`` count for the layers but not for cycles (they never
run)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import genaug

PACKAGE_DIR = Path(genaug.__file__).parent

# Lowest first. A module may import from its own layer or a lower one, never from a higher one.
LAYERS: list[set[str]] = [
    {"errors", "version", "atomic", "checks", "optional", "directory_lock"},  # small shared utilities
    {"data"},
    {"models"},  # each family's networks, objective, sampling; model I/O
    {"train", "metrics", "baselines", "filters"},
    {"augment", "synthetic", "sklearn", "viz", "transforms", "albumentations"},  # the surfaces
    {"bench"},
    {"cli"},
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE_DIR.rglob("*.py")}


def top_part(module: str) -> str:
    """The first name below ``genaug`` (``genaug.models.gan`` -> ``models``); the package itself is ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def layer_of(module: str) -> int:
    part = top_part(module)
    if part == "":
        return len(LAYERS)  # genaug/__init__.py: the public API re-exports from everywhere
    for rank, names in enumerate(LAYERS):
        if part in names:
            return rank
    raise AssertionError(f"genaug.{part} is in no layer of tests/test_architecture.py; add it where it belongs")


def _type_checking_nodes(tree: ast.AST) -> set[ast.AST]:
    inside: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                inside.update(ast.walk(child))
    return inside


def imports_of(module: str) -> list[tuple[str, bool]]:
    """(imported genaug module, whether only under TYPE_CHECKING) for every import in ``module``'s source."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    return imports_in(path.read_text(encoding="utf-8"), package)


def imports_in(source: str, package: str) -> list[tuple[str, bool]]:
    """The genaug imports of ``source``, a module in ``package`` (for relative imports)."""
    tree = ast.parse(source)
    type_only = _type_checking_nodes(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from genaug.models import gan`` imports the module genaug.models.gan
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        found += [(t, node in type_only) for t in targets if t == "genaug" or t.startswith("genaug.")]
    return found


def test_every_module_is_in_a_layer():
    for module in MODULES:
        layer_of(module)


def test_no_import_points_to_a_higher_layer():
    upward = [
        f"{module} imports {target}"
        for module in sorted(MODULES)
        for target, _ in imports_of(module)
        if layer_of(target) > layer_of(module)
    ]
    assert not upward, "imports from a lower layer to a higher one:\n" + "\n".join(upward)


def test_no_import_cycles():
    graph = {m: sorted({t for t, type_only in imports_of(m) if not type_only and t != m}) for m in MODULES}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles: list[str] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from genaug.train.trainer import Trainer", [("genaug.train.trainer", False)]),
        ("from genaug.models import gan, GenerativeModel", [("genaug.models.gan", False), ("genaug.models", False)]),
        ("from genaug import data", [("genaug.data", False)]),
        ("def f():\n    import genaug.bench.run", [("genaug.bench.run", False)]),
        ("from .io import load", [("genaug.models.io", False)]),
        ("if TYPE_CHECKING:\n    from genaug.cli import bench", [("genaug.cli.bench", True)]),
        ("import torch", []),
    ],
)
def test_the_checker_reads_every_kind_of_import(source, expected):
    """The checker itself, so the tests above cannot pass by reading nothing."""
    assert imports_in(source, "genaug.models") == expected
    assert [layer_of(t) > layer_of("genaug.models.io") for t, _ in expected] == [
        top_part(t) in {"train", "bench", "cli"} for t, _ in expected
    ]
