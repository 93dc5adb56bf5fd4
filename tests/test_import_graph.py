"""The arrows of the house point one way: no import cycle in surveyhub and channels, schemas never import
the services, the domain's rooms import one way, the pure rules touch neither Flask nor the database,
channels never import the app.

The graph is read from the source with `ast`: every import, at the top of a module or inside a function
(an import hidden in a function to dodge a cycle is still an arrow), resolved to the project's modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("surveyhub", "channels")
# The rooms that hold units of work (what schemas must never import).
SERVICE_ROOMS = ("accounts", "delivery", "responses", "insights", "events", "respondent", "api", "dashboard")
# The domain's rooms, each importing only rooms after it in this list.
DOMAIN_ROOMS = ("insights", "responses", "delivery", "accounts")
# What the pure rules must not reach, directly or through another module of the project.
IMPURE = ("flask", "flask_sqlalchemy", "flask_babel", "sqlalchemy", "surveyhub.models", "surveyhub.extensions")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


def _imports(name: str, path: Path, modules: dict[str, Path]) -> tuple[set[str], set[str]]:
    """Return the project modules and the outside top-level packages that module `name` imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    inner, outer = set(), set()

    def add(target: str) -> None:
        if target in modules:
            inner.add(target)
        elif target.split(".")[0] not in PACKAGES:
            outer.add(target)

    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                add(submodule if submodule in modules else source)
    inner.discard(name)
    return inner, outer


def _graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    modules = _modules()
    inner, outer = {}, {}
    for name, path in modules.items():
        inner[name], outer[name] = _imports(name, path, modules)
    return inner, outer


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return one cycle (as a path that ends where it starts) for each strongly connected group (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_path_within(graph, group) for group in groups]


def _path_within(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """Walk from the group's first module back to itself inside the group (breadth first: a short cycle)."""
    start = min(group)
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & group):
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [start, *reversed(path[:-1]), start] if len(path) > 1 else [start, node, start]
                if target not in came_from:
                    came_from[target] = node
                    following.append(target)
        frontier = following
    return sorted(group)


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for target in graph[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    return seen


def _is_under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def test_the_cycle_finder_finds_a_cycle_and_names_its_modules():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_imports_inside_functions():
    inner, _ = _graph()
    assert "surveyhub.respondent.widget" in inner["surveyhub"]  # create_app registers blueprints inside itself


def test_no_import_cycle():
    inner, _ = _graph()
    cycles = _cycles(inner)
    assert not cycles, "import cycles:\n" + "\n".join(" → ".join(cycle) for cycle in cycles)


def test_schemas_never_import_services():
    inner, _ = _graph()
    rooms = tuple(f"surveyhub.{room}" for room in SERVICE_ROOMS)
    wrong = sorted(f"{module} imports {target}" for module, targets in inner.items()
                   if _is_under(module, ("surveyhub.schemas",)) for target in targets if _is_under(target, rooms))
    assert not wrong, "\n".join(wrong)


def test_rules_touch_neither_flask_nor_the_database():
    inner, outer = _graph()
    wrong = []
    for module in sorted(m for m in inner if _is_under(m, ("surveyhub.rules",))):
        for reached in sorted(_reachable(inner, module)):
            for target in sorted(outer[reached] | inner[reached]):
                if _is_under(target, IMPURE):
                    wrong.append(f"{module} reaches {target}" + (f" through {reached}" if reached != module else ""))
    assert not wrong, "\n".join(wrong)


def test_channels_never_import_the_app_or_flask():
    inner, outer = _graph()
    wrong = sorted(f"{module} imports {target}" for module in inner if _is_under(module, ("channels",))
                   for target in inner[module] | outer[module] if _is_under(target, ("surveyhub", "flask")))
    assert not wrong, "\n".join(wrong)


def test_the_domain_rooms_import_one_way():
    """insights → responses → delivery → accounts: a room never imports one above it."""
    inner, _ = _graph()
    rank = {f"surveyhub.{room}": order for order, room in enumerate(DOMAIN_ROOMS)}

    def room_of(module: str) -> str | None:
        return next((room for room in rank if _is_under(module, (room,))), None)

    wrong = sorted(f"{module} imports {target}" for module, targets in inner.items() if room_of(module)
                   for target in targets if room_of(target) and rank[room_of(target)] < rank[room_of(module)])
    assert not wrong, "\n".join(wrong)
