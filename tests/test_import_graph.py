"""The import graph has no cycle: not between modules, not between sibling packages (issue 12).

import-linter's ``acyclic_siblings`` contract (``make lint``) guards sibling packages; this test
also looks at single modules, with grimp's graph, every import counted (function-level ones too).
"""

from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "contests", "campaign", "demo")


def strongly_connected(nodes, edges):
    """Tarjan's algorithm, iterative: every group of two or more nodes that reach each other."""
    index, low, on_stack, stack, groups = {}, {}, set(), [], []
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(edges.get(root, ())))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(edges.get(target, ()))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
    return groups


@pytest.fixture(scope="module")
def graph():
    import sys

    sys.path.insert(0, str(ROOT))
    try:
        return grimp.build_graph(*PACKAGES, cache_dir=None)
    finally:
        sys.path.remove(str(ROOT))


def _module_cycles(graph, package):
    nodes = sorted(m for m in graph.modules if m == package or m.startswith(package + "."))
    inside = set(nodes)
    edges = {
        m: [i for i in graph.find_modules_directly_imported_by(m) if i in inside] for m in nodes
    }
    return strongly_connected(nodes, edges)


def _sibling_cycles(graph, parent):
    children = sorted(graph.find_children(parent))

    def owner(module):
        return next((c for c in children if module == c or module.startswith(c + ".")), None)

    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        source = owner(module)
        if source is None:
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            target = owner(imported)
            if target is not None and target != source:
                edges.setdefault(source, set()).add(target)
    return strongly_connected(children, edges)


def test_strongly_connected_finds_a_cycle():
    edges = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}
    assert strongly_connected(["a", "b", "c", "d"], edges) == [["a", "b", "c"]]


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_cycle(graph, package):
    assert _module_cycles(graph, package) == []


def test_no_cycle_between_sibling_packages(graph):
    packages = sorted(m for m in graph.modules if graph.find_children(m))
    found = {parent: _sibling_cycles(graph, parent) for parent in packages}
    assert {parent: groups for parent, groups in found.items() if groups} == {}
