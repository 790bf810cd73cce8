"""The shape of the journal, kept by a test (issue 12, item 3): one door to the database,
and each table written in one place.

Every table is written (inserted into, updated, deleted from) by exactly one module of
`gateway/journal/`, the journal of the part of the domain it records; a transaction that
writes several tables composes those modules' functions. Outside the store no module of
`gateway/` imports the tables or SQLAlchemy's write statements: the rest of the gateway
goes through `Journal`. Migrations are not scanned: they change the schema, not the journal.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

from sqlalchemy import Table

from gateway.journal import tables

GATEWAY = Path(__file__).resolve().parents[1] / "gateway"
JOURNAL = GATEWAY / "journal"
TABLES_MODULE = "gateway.journal.tables"
TABLES = {name for name, value in vars(tables).items() if isinstance(value, Table)}
WRITES = {"insert", "update", "delete"}

#: Which module writes which table: the journal of each part of the domain.
WRITERS = {
    "messages": "intake_journal", "message_parts": "intake_journal", "cursors": "intake_journal",
    "complaints": "complaint_journal", "local_cases": "complaint_journal",
    "replies": "reply_journal", "parked_receipts": "reply_journal", "hints": "hint_journal",
    "leaderships": "leadership_journal",
    "opt_outs": "citizen_journal", "case_events": "event_journal",
}

# A write in raw SQL, and the table it names (none when an f-string puts it in).
RAW_WRITE = re.compile(r'\s*(?:(?:insert|replace|merge)\s+(?:or\s+\w+\s+)?into|delete\s+from)\s+"?(\w+)?'
                       r'|\s*update\s+"?(\w+)"?\s+set\b', re.IGNORECASE)


class Bindings:
    """What a module's imports bind: names for tables, for the tables module, for
    SQLAlchemy's insert/update/delete, and for anything else of SQLAlchemy's (a module
    like `sa` or a dialect, whose .insert() and the like write)."""

    def __init__(self, tree: ast.Module, package: str):
        self.tables: dict[str, str] = {}     # local name -> table
        self.tables_modules: set[str] = set()
        self.writes: set[str] = set()
        self.sqlalchemy: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self._import(alias)
            elif isinstance(node, ast.ImportFrom):
                module = _absolute(node, package)
                for alias in node.names:
                    self._import_from(module, alias)

    def _import(self, alias: ast.alias) -> None:
        if alias.name == TABLES_MODULE:
            self.tables_modules.add(alias.asname or alias.name)
        elif alias.name.split(".")[0] == "sqlalchemy":
            self.sqlalchemy.add(alias.asname or "sqlalchemy")

    def _import_from(self, module: str, alias: ast.alias) -> None:
        local = alias.asname or alias.name
        if module == TABLES_MODULE:
            self.tables[local] = alias.name
        elif f"{module}.{alias.name}" == TABLES_MODULE:
            self.tables_modules.add(local)
        elif module.split(".")[0] == "sqlalchemy":
            (self.writes if alias.name in WRITES else self.sqlalchemy).add(local)

    def table_of(self, node: ast.expr) -> str | None:
        """The table an expression names (`replies`, `tables.replies`), else None."""
        if isinstance(node, ast.Name):
            return self.tables.get(node.id)
        if isinstance(node, ast.Attribute) and node.attr in TABLES \
                and ast.unparse(node.value) in self.tables_modules:
            return node.attr
        return None

    def is_write_statement(self, func: ast.expr) -> bool:
        """`insert`, `sa.update`, `sqlite.insert`: a function that builds a write of its argument."""
        if isinstance(func, ast.Name):
            return func.id in self.writes
        if not (isinstance(func, ast.Attribute) and func.attr in WRITES):
            return False
        root = func.value
        while isinstance(root, ast.Attribute):
            root = root.value
        return isinstance(root, ast.Name) and root.id in self.sqlalchemy

    def doors_opened(self) -> list[str]:
        """What gives a module outside the journal the means to write a table itself."""
        return ([f"table {t}" for t in sorted(self.tables.values())]
                + [f"tables module as {m}" for m in sorted(self.tables_modules)]
                + [f"sqlalchemy {w}" for w in sorted(self.writes)])


def _absolute(node: ast.ImportFrom, package: str) -> str:
    """The module a `from … import` names, relative ones resolved against `package`."""
    if not node.level:
        return node.module or ""
    anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
    return ".".join(anchor + ([node.module] if node.module else []))


def writes_in(source: str, package: str = "gateway.journal") -> list[tuple[str, int]]:
    """(table, line) for every write in `source`, in line order: `insert(t)`, `update(t)`,
    `delete(t)` (also through a module: `sa.insert(t)`, a dialect's `insert(t)`),
    `t.insert()`, `t.update()`, `t.delete()`, and raw SQL that writes (any string but a
    docstring). A write whose table it cannot tell is reported as `?` and what it saw."""
    tree = ast.parse(source)
    bound = Bindings(tree, package)
    docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and bound.is_write_statement(node.func):
            target = node.args[0] if node.args else next(
                (k.value for k in node.keywords if k.arg == "table"), node.func)
            found.append((bound.table_of(target) or f"? {ast.unparse(target)}", node.lineno))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in WRITES and bound.table_of(node.func.value):
            found.append((bound.table_of(node.func.value), node.lineno))   # not dict.update()
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docstrings and (raw := RAW_WRITE.match(node.value)):
            found.append((raw.group(1) or raw.group(2) or f"? {node.value.strip()}", node.lineno))
    return sorted(found, key=lambda write: write[1])


def store_modules() -> dict[str, str]:
    """{module name: source} for every module of the journal but its migrations."""
    return {".".join(p.relative_to(JOURNAL).with_suffix("").parts): p.read_text(encoding="utf-8")
            for p in sorted(JOURNAL.rglob("*.py")) if "migrations" not in p.relative_to(JOURNAL).parts}


def writers(modules: dict[str, str]) -> dict[str, set[str]]:
    """{table: the modules that write it}."""
    found: dict[str, set[str]] = {}
    for module, source in modules.items():
        for table, _ in writes_in(source):
            found.setdefault(table, set()).add(module)
    return found


def shape_problems(found: dict[str, set[str]]) -> list[str]:
    """What breaks "each table written from exactly one module"."""
    return ([f"{table} is written from {len(mods)} modules: {sorted(mods)}"
             for table, mods in sorted(found.items()) if len(mods) != 1]
            + [f"unknown table or unresolved write: {t} in {sorted(found[t])}"
               for t in sorted(found) if t not in TABLES]
            + [f"{t} is written nowhere" for t in sorted(TABLES - set(found))])


def doors_outside_the_journal() -> dict[str, list[str]]:
    """{module of `gateway/` outside the journal: what lets it write a table itself}."""
    opened = {}
    for path in sorted(GATEWAY.rglob("*.py")):
        if JOURNAL in path.parents:
            continue
        # The package a module's relative imports start from (a package's own, for __init__).
        package = ".".join(path.relative_to(GATEWAY.parent).parts[:-1])
        source = path.read_text(encoding="utf-8")
        doors = Bindings(ast.parse(source), package).doors_opened()
        doors += [f"write of {t} at line {line}" for t, line in writes_in(source, package)]
        if doors:
            opened[str(path.relative_to(GATEWAY.parent))] = doors
    return opened


# -- the shape -------------------------------------------------------------------------------
def test_every_table_is_written_from_exactly_one_module():
    assert shape_problems(writers(store_modules())) == []


def test_each_table_is_written_by_the_journal_of_its_part_of_the_domain():
    found = writers(store_modules())
    assert {table: ", ".join(sorted(mods)) for table, mods in found.items()} == WRITERS


def test_no_module_outside_the_store_can_write_a_table():
    assert doors_outside_the_journal() == {}


#: what the rest of the gateway may import of the journal: the async door (`Journal`,
#: `open_journal`), the admin commands' synchronous door, the schema's migrations and the
#: `[database]` section — never a journal module, the tables or the engine
PUBLIC = {"gateway.journal", "gateway.journal.for_admin", "gateway.journal.migrate",
          "gateway.journal.settings"}


def journal_imports_outside() -> set[str]:
    found = set()
    for path in sorted(GATEWAY.rglob("*.py")):
        if JOURNAL in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("gateway.journal"):
                found |= {node.module} if node.module != "gateway.journal" else {
                    f"gateway.journal.{a.name}" if (JOURNAL / f"{a.name}.py").exists() else node.module
                    for a in node.names}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("gateway.journal")}
    return found


def test_the_rest_of_the_gateway_uses_only_the_journals_public_doors():
    assert journal_imports_outside() - PUBLIC == set()


# -- the scanner itself: it does find writes, so the tests above could fail ------------------
FORMS = '''
import sqlalchemy as sa
from sqlalchemy import delete, insert, text, update as change
from sqlalchemy.dialects import sqlite
from gateway.journal import tables
from gateway.journal.tables import cursors, hints, replies as r

def writes(conn, rows):
    conn.execute(insert(r).returning(r.c.id), rows)
    conn.execute(change(hints).values(value={}))
    conn.execute(delete(tables.cursors))
    conn.execute(sa.insert(tables.messages))
    conn.execute(sqlite.insert(tables.complaints).on_conflict_do_nothing())
    conn.execute(cursors.insert().values(channel="x"))
    conn.execute(tables.local_cases.update())
    conn.execute(text("DELETE FROM parked_receipts WHERE id = 1"))
    conn.exec_driver_sql("update message_parts set part_no = 2")

def not_writes(conn, settings):
    settings.update({"a": 1})              # a dict's update
    conn.execute(sa.select(r))             # a read
    conn.execute(text("SELECT * FROM replies"))
'''


def test_the_scanner_finds_every_form_of_a_write():
    assert [table for table, _ in writes_in(FORMS)] == [
        "replies", "hints", "cursors", "messages", "complaints", "cursors", "local_cases",
        "parked_receipts", "message_parts"]


def test_the_scanner_reports_a_write_whose_table_it_cannot_tell():
    source = "from sqlalchemy import update\n\ndef f(conn, table):\n    conn.execute(update(table))\n"
    assert writes_in(source) == [("? table", 4)]
    assert shape_problems({"? table": {"m"}, **{t: {"m"} for t in TABLES}}) == [
        "unknown table or unresolved write: ? table in ['m']"]


def test_the_shape_check_fails_a_table_written_from_two_modules():
    two = {"a": "from sqlalchemy import insert\nfrom gateway.journal.tables import replies\ninsert(replies)\n",
           "b": "from gateway.journal.tables import replies, hints\nreplies.update()\nhints.delete()\n"}
    problems = shape_problems(writers(two))
    assert "replies is written from 2 modules: ['a', 'b']" in problems
    assert "messages is written nowhere" in problems


def test_the_door_check_finds_a_module_that_could_write_a_table():
    source = ("from sqlalchemy import select, update\nfrom gateway.journal.tables import replies\n"
              "from ..journal import tables as t\nimport gateway.journal.tables as tt\n")
    assert Bindings(ast.parse(source), "gateway.channels").doors_opened() == [
        "table replies", "tables module as t", "tables module as tt", "sqlalchemy update"]
