"""The shape of the code, kept by a test: no two modules of `gateway/` import each other,
directly or round a circle — function-level and type-checking imports included, since a
circle there is still two rooms that each need the other."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "gateway"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The modules of `gateway` that `path` imports (a `from a import b` names a.b if b is one)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from pkg import module` needs the module, not the package's own contents.
            named = [f"{base}.{alias.name}" for alias in node.names]
            targets = [n for n in named if n in modules] or [base]
            if any(n not in modules for n in named):
                targets.append(base)
        else:
            continue
        found |= {t for t in targets if t in modules and t != name}
    return found


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    return {module_name(p): imports_of(p, modules) for p in paths}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_of_the_gateway_imports_round_a_circle():
    assert circles(import_graph()) == []


def test_the_circle_finder_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_bundled_smsc_is_not_part_of_the_gateway():
    graph = import_graph()
    users = sorted(m for m, deps in graph.items()
                   if any(d.startswith("gateway.smsc_sim") for d in deps)
                   and not m.startswith("gateway.smsc_sim"))
    assert users == ["gateway.demo_fakes.sms"]   # the demo runs it (the CLI loads its command by name)


#: The floors of the house, lowest first: a module imports from its own floor or below,
#: never from above. Records, logging and instruments at the bottom; the rooms (store,
#: parsers, channels, forwarder, replies' parts); what joins rooms (config reads every
#: room's settings, pipeline, outbox, metrics, the ops server); the service that
#: assembles them; the process and the admin commands; the command line on top.
FLOORS = (
    ("gateway.model", "gateway.logging", "gateway.instruments", "gateway.backoff", "gateway.pending",
     "gateway.web", "gateway.config_schema", "gateway.notify", "gateway.state_lock",
     "gateway.http_settings", "gateway.throughput", "gateway.intake_first",
     "gateway.data", "gateway.lease_keeper", "gateway.leadership", "gateway.case_status", "gateway.gsm7"),
    ("gateway.journal", "gateway.parsers", "gateway.channels", "gateway.forwarder", "gateway.reply_text",
     "gateway.reply_lanes", "gateway.pauses", "gateway.smsc_sim", "gateway.demo_fakes",
     "gateway.reply_settings", "gateway.update_text", "gateway.command_texts"),
    ("gateway.config", "gateway.pipeline", "gateway.outbox", "gateway.metrics", "gateway.http_server",
     "gateway.updates", "gateway.citizen_desk"),
    ("gateway.service",),
    ("gateway.daemon", "gateway.demo", "gateway.demo_loop", "gateway.admin", "gateway.admin_replies",
     "gateway.admin_status"),
    ("gateway.cli", "gateway.__main__"),
)


def floor_of(module: str) -> int | None:
    """The floor whose longest prefix names `module` (None for the package itself)."""
    matches = [(len(prefix), floor) for floor, prefixes in enumerate(FLOORS) for prefix in prefixes
               if module == prefix or module.startswith(prefix + ".")]
    return max(matches)[1] if matches else None


def test_every_module_has_a_floor():
    assert [m for m in import_graph() if m != "gateway" and floor_of(m) is None] == []


def test_no_module_imports_from_a_higher_floor():
    upward = [f"{module} -> {imported}" for module, deps in sorted(import_graph().items())
              for imported in sorted(deps)
              if floor_of(module) is not None and floor_of(imported) is not None
              and floor_of(imported) > floor_of(module)]
    assert upward == []
