"""The package's modules import each other without a circle: what a thing is sits low, what
does things sits above. Every import counts, also one inside a function or under
TYPE_CHECKING, since hiding an import there is how a circle usually comes back."""

from __future__ import annotations

import ast
from pathlib import Path

import twin_pipeline

PACKAGE = Path(twin_pipeline.__file__).parent


def modules(root: Path) -> dict[str, Path]:
    """module name -> its file, for every .py file of the package."""
    found = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package's modules this module imports anywhere in it (not the implicit import of
    a module's parent packages)."""

    def owner(target: str) -> str | None:
        while target and target not in known:
            target = target.rpartition(".")[0]
        return target or None

    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        found |= {owner(t) for t in targets if t.split(".")[0] == PACKAGE.name} - {None, name}
    return found


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in graph[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def graph_of(root: Path) -> dict[str, set[str]]:
    known = modules(root)
    return {name: imports(name, path, known) for name, path in known.items()}


def test_the_package_has_no_import_circle():
    graph = graph_of(PACKAGE)
    assert len(graph) > 50 and graph["twin_pipeline.store.fingerprints"] >= {"twin_pipeline.sources.spec"}  # the walk sees imports
    found = circles(graph)
    assert not found, "import circle(s): " + "; ".join(" <-> ".join(group) for group in found)


def test_a_circle_hidden_in_a_function_is_found(tmp_path):
    root = tmp_path / "twin_pipeline"
    (root / "sources").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "settings.py").write_text("def names():\n    from twin_pipeline.sources import SOURCES\n")
    (root / "sources" / "__init__.py").write_text("from ..settings import names\n")
    (root / "core.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from twin_pipeline import settings\n")
    assert circles(graph_of(root)) == [["twin_pipeline.settings", "twin_pipeline.sources"]]


def test_declarations_sit_below_the_machinery():
    graph = graph_of(PACKAGE)
    low = ("twin_pipeline.settings", "twin_pipeline.sources.spec", "twin_pipeline.sources.contract",
           "twin_pipeline.paths", "twin_pipeline.urls")
    above = {"twin_pipeline.database", "twin_pipeline.embedded", "twin_pipeline.migrations",
             "twin_pipeline.sources.reading", "twin_pipeline.sources",
             *(name for name in graph if name.split(".")[:2] == ["twin_pipeline", "store"])}
    assert "twin_pipeline.store.write_path" in above
    for module in low:
        assert not graph[module] & above, f"{module} imports {sorted(graph[module] & above)}"
