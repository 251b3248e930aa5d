"""The layers hold: who may import whom, and only the application layer changes rows.

portal/domain    pure rules: no web framework, no database, nothing from portal but itself
portal/data      models and read queries (Flask's extensions only through portal.extensions)
portal/common    shared web infrastructure
portal/questions the question catalogue
portal/cases     the application layer: the only code that changes state
portal/public, portal/family, portal/staff
                 the three audiences, each on its own; only create_app() wires them
"""

from __future__ import annotations

import ast
import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.data.engine import WriteOutsideOperation, current_writer, set_write_intent
from portal.extensions import db

ROOT = Path(__file__).resolve().parents[2]
PORTAL = ROOT / "portal"

WEB = ("flask", "flask_*", "werkzeug", "wtforms", "jinja2", "markupsafe", "itsdangerous",
       "babel")
DATABASE = ("sqlalchemy", "alembic", "psycopg")
AUDIENCES = ("portal.public", "portal.family", "portal.staff")
OUTER = (*AUDIENCES, "portal.cli", "portal.demo")


# The import contract ------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    """What the modules of a package may not import.

    `portal_only`: when given, the only parts of portal the package may import (anything
    else from portal breaks the rule). `forbidden`: dotted names, or top-level globs
    such as "flask_*", the package may never import."""

    why: str
    forbidden: tuple[str, ...] = ()
    portal_only: tuple[str, ...] | None = None


def _audience(name: str) -> Rule:
    others = tuple(a for a in AUDIENCES if a != name)
    return Rule(f"{name} is one audience: it never imports another audience's package "
                "(only create_app() in portal/__init__.py puts them together)",
                forbidden=(*others, "portal.cli", "portal.demo"))


# Package (or module) -> its rule. Every module under portal/ falls under the longest
# prefix that matches it; portal/__init__.py (create_app) alone has no rule.
RULES: dict[str, Rule] = {
    "portal.domain": Rule(
        "portal/domain holds pure Python rules: no web framework, no database, and "
        "nothing from portal except portal.domain",
        forbidden=WEB + DATABASE, portal_only=("portal.domain",)),
    "portal.data": Rule(
        "portal/data holds models and read queries: it may use portal.data, portal.domain "
        "and portal.extensions only, and no web framework directly (portal.extensions "
        "wraps Flask's extensions)",
        forbidden=WEB, portal_only=("portal.data", "portal.domain", "portal.extensions")),
    "portal.common": Rule(
        "portal/common is shared web infrastructure: it never imports the question "
        "catalogue, the application layer, an audience, the commands or the demo data",
        forbidden=("portal.cases", "portal.questions", *OUTER)),
    "portal.questions": Rule(
        "portal/questions is the question catalogue: it never imports the application "
        "layer, an audience, the commands or the demo data",
        forbidden=("portal.cases", *OUTER)),
    "portal.devtools": Rule(
        "portal/devtools holds development-only pages: it reads through portal.data and "
        "never imports an audience, the commands or the demo data",
        forbidden=OUTER),
    "portal.cases": Rule(
        "portal/cases is the application layer: it never imports an audience, the "
        "commands or the demo data (they call it, not the other way round)",
        forbidden=OUTER),
    "portal.jobs": Rule(
        "portal/jobs runs background work: it calls the application layer and reads "
        "through portal.data; it never imports an audience, the commands or the demo data",
        portal_only=("portal.jobs", "portal.cases", "portal.data", "portal.domain",
                     "portal.common", "portal.extensions", "portal.config")),
    "portal.health": Rule(
        "portal/health holds health, readiness and metrics for running the service: it "
        "reads through portal.data and never imports the application layer, an audience, "
        "the commands or the demo data",
        forbidden=("portal.cases", *OUTER)),
    "portal.public": _audience("portal.public"),
    "portal.family": _audience("portal.family"),
    "portal.staff": _audience("portal.staff"),
    **{name: Rule(f"{name} is not where the blueprints are wired: only create_app() in "
                  "portal/__init__.py imports the audience packages",
                  forbidden=AUDIENCES)
       for name in ("portal.cli", "portal.commands", "portal.demo", "portal.config",
                    "portal.extensions", "portal.migrations")},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_of(path: Path) -> str:
    name = module_name(path)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def rule_for(path: Path) -> tuple[str, Rule] | None:
    name = module_name(path)
    found = [p for p in RULES if name == p or name.startswith(p + ".")]
    if not found:
        return None
    prefix = max(found, key=len)
    return prefix, RULES[prefix]


def python_files() -> list[Path]:
    return sorted(PORTAL.rglob("*.py"))


def imports(source: str, package: str) -> Iterator[tuple[int, str]]:
    """(line, dotted name) for every import in `source`, a module of `package`, wherever
    it is (in a function, under TYPE_CHECKING...), relative ones resolved. `from a import
    b` gives a.b (b may be a module). importlib.import_module("...") with a literal name
    counts too."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                yield node.lineno, module if alias.name == "*" else f"{module}.{alias.name}"
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and ast.unparse(node.func) in {"importlib.import_module", "import_module",
                                             "__import__"}):
            yield node.lineno, node.args[0].value


def imports_of(path: Path) -> Iterator[tuple[int, str]]:
    return imports(path.read_text(encoding="utf-8"), package_of(path))


def matches(name: str, pattern: str) -> bool:
    if "*" in pattern:
        return fnmatch.fnmatchcase(name.split(".")[0], pattern)
    return name == pattern or name.startswith(pattern + ".")


def breaks(rule: Rule, name: str) -> str | None:
    """The forbidden name this import reaches, if any."""
    for pattern in rule.forbidden:
        if matches(name, pattern):
            return pattern
    if rule.portal_only is not None and matches(name, "portal") and not any(
            matches(name, allowed) for allowed in rule.portal_only):
        return "portal (outside " + ", ".join(rule.portal_only) + ")"
    return None


def test_every_package_under_portal_is_covered_by_a_rule():
    uncovered = sorted({module_name(p) for p in python_files()
                        if rule_for(p) is None and p != PORTAL / "__init__.py"})
    assert uncovered == [], (
        "modules with no import rule (add their package to RULES in this file): "
        + ", ".join(uncovered))


@pytest.mark.parametrize("package", sorted(RULES))
def test_imports_follow_the_layers(package):
    rule = RULES[package]
    violations = []
    for path in python_files():
        found = rule_for(path)
        if found is None or found[0] != package:
            continue
        for line, name in imports_of(path):
            reached = breaks(rule, name)
            if reached:
                violations.append(f"{path.relative_to(ROOT)}:{line} imports {name} "
                                  f"(forbidden: {reached})")
    assert violations == [], (
        f"Rule for {package}: {rule.why}.\nBroken by:\n  " + "\n  ".join(violations))


def test_the_contract_checker_sees_every_kind_of_import():
    """The checker itself: module-level, in a function, relative and dynamic imports."""
    source = ("import flask\n"
              "def f():\n"
              "    from ..common import auth\n"
              "    from . import engine\n"
              "    import importlib\n"
              "    importlib.import_module('portal.staff.queue')\n"
              "from portal import cases\n")
    found = [(line, name, breaks(RULES["portal.data"], name))
             for line, name in imports(source, "portal.data")]
    assert sorted((line, name) for line, name, reached in found if reached) == [
        (1, "flask"), (3, "portal.common.auth"), (6, "portal.staff.queue"),
        (7, "portal.cases")]
    assert (4, "portal.data.engine", None) in found


def test_only_create_app_registers_blueprints():
    offenders = []
    for path in python_files():
        if path == PORTAL / "__init__.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in {"register_blueprint", "add_url_rule"}
                    and not _on_a_blueprint(node.func.value)):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == [], (
        "only create_app() in portal/__init__.py wires blueprints into the app: "
        + ", ".join(offenders))


def _on_a_blueprint(target: ast.expr) -> bool:
    """bp.add_url_rule(...) on a package's own blueprint is a route, not wiring."""
    return isinstance(target, ast.Name) and target.id == "bp"


# Only the application layer writes -------------------------------------------------------

SESSION_WRITES = {"add", "add_all", "delete", "merge", "bulk_save_objects",
                  "bulk_insert_mappings", "bulk_update_mappings"}
STATEMENTS = {"insert", "update", "delete"}
WRITE_SQL = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|TRUNCATE)\b", re.IGNORECASE)
RECORDER = "portal.cases.audit"


# Files that write to a file of their own, never to the records database: the counters of
# the limits per client (a SQLite file every worker shares, not the records).
NOT_THE_RECORDS = (PORTAL / "common" / "limit_store.py",)


def outside_the_application_layer() -> list[Path]:
    return [p for p in python_files()
            if not p.is_relative_to(PORTAL / "cases")
            and not p.is_relative_to(PORTAL / "migrations")
            and p not in NOT_THE_RECORDS]


def _sqlalchemy_names(tree: ast.AST) -> tuple[set[str], set[str]]:
    """Names this module binds to sqlalchemy: modules and other names imported from it
    (`sa`, `Table`...), and its insert, update and delete functions."""
    modules, functions = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if matches(alias.name, "sqlalchemy"):
                    modules.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and matches(node.module or "", "sqlalchemy"):
            for alias in node.names:
                if alias.name in STATEMENTS:
                    functions.add(alias.asname or alias.name)
                else:
                    modules.add(alias.asname or alias.name)
    return modules, functions


def writes_in(source: str, package: str) -> Iterator[str]:
    """Where `source` (a module of `package`) writes rows or calls the audit recorder."""
    tree = ast.parse(source)
    modules, functions = _sqlalchemy_names(tree)
    for line, name in imports(source, package):
        if matches(name, RECORDER):
            yield f"{line}: imports the audit recorder ({name})"
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        text = ast.unparse(func)
        if isinstance(func, ast.Attribute):
            target = ast.unparse(func.value).removesuffix("()")
            if func.attr in SESSION_WRITES and target.endswith("session"):
                yield f"{node.lineno}: {text}(...) changes rows through the session"
            elif func.attr in STATEMENTS and (
                    target.split(".")[0] in modules or "__table__" in target
                    or re.search(r"\bquery\b", target)):
                yield f"{node.lineno}: {text}(...) is an SQL {func.attr.upper()}"
            elif func.attr == "record" and target.endswith("cases.audit"):
                yield f"{node.lineno}: {text}(...) calls the audit recorder"
        elif isinstance(func, ast.Name):
            if func.id in functions:
                yield f"{node.lineno}: {func.id}(...) from sqlalchemy is an SQL write"
            if func.id == "AuditEvent":
                yield f"{node.lineno}: builds an audit event by hand"
        for arg in node.args:
            if (isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                    and WRITE_SQL.match(arg.value)):
                yield f"{node.lineno}: {text}(...) sends a write as raw SQL"


def test_outside_the_application_layer_no_code_writes_rows_or_records_audit_events():
    offenders = [f"{path.relative_to(ROOT)}:{where}"
                 for path in outside_the_application_layer()
                 for where in writes_in(path.read_text(encoding="utf-8"), package_of(path))]
    assert offenders == [], (
        "Only the application layer (portal/cases) adds, changes or deletes rows and calls "
        "the audit recorder; views, commands, queries and the demo loader call an "
        "operation instead:\n  " + "\n  ".join(offenders))


def test_the_write_checker_catches_each_kind_of_write():
    source = ("import sqlalchemy as sa\n"
              "from sqlalchemy import delete as remove\n"
              "from portal.cases import audit\n"
              "from portal.extensions import db\n"
              "def f(row):\n"
              "    db.session.add(row)\n"
              "    db.session().merge(row)\n"
              "    db.session.execute(sa.update(Row).values(a=1))\n"
              "    db.session.execute(remove(Row))\n"
              "    db.session.execute(sa.text('DELETE FROM rows'))\n"
              "    Row.__table__.insert()\n"
              "    Row.query.filter_by(a=1).delete()\n"
              "    {}.update(a=1)\n"  # a dict, not a write
              "    session.get('x')\n"  # reading the cookie session
              "    import portal.cases.audit\n"
              "    portal.cases.audit.record(None, 'x', 'y', 1)\n"
              "    from ..cases.audit import record\n")
    lines = sorted({int(where.split(":")[0]) for where in writes_in(source, "portal.staff")})
    assert lines == [3, 6, 7, 8, 9, 10, 11, 12, 15, 16, 17]


GUARD = ("writes_allowed", "_writer")
MAY_LIFT_THE_GUARD = {PORTAL / "data" / "engine.py",  # where it is defined
                      PORTAL / "cases" / "operation.py",  # every operation
                      PORTAL / "data" / "migrate.py"}  # schema migrations


def test_only_operations_and_migrations_lift_the_write_guard():
    offenders = []
    for path in python_files():
        if path in MAY_LIFT_THE_GUARD:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            name = (node.id if isinstance(node, ast.Name)
                    else node.attr if isinstance(node, ast.Attribute)
                    else None)
            if name in GUARD:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} uses {name}")
            if isinstance(node, ast.ImportFrom | ast.Import):
                offenders += [f"{path.relative_to(ROOT)}:{node.lineno} imports {a.name}"
                              for a in node.names if a.name in GUARD]
    assert offenders == [], (
        "portal.data.engine.writes_allowed lifts the write guard: inside portal/ only "
        "portal/cases/operation.py and portal/data/migrate.py may use it:\n  "
        + "\n  ".join(offenders))


# The guard at run time --------------------------------------------------------------------

@pytest.fixture
def staff_row(app, app_context):
    """A staff account set up by hand in a transaction that is rolled back afterwards, so
    the database is left exactly as it was (nothing here is ever committed)."""
    from portal.data.staff import Role, StaffUser
    from tests.support import by_hand

    db.session.rollback()
    # Already "a request that writes": an operation then keeps this transaction open
    # instead of committing it before it starts.
    set_write_intent(True)
    email = "write-guard-test@example.org"
    try:
        with by_hand():
            user = StaffUser(email=email, name="Before", role=Role.PARTNER.value,
                             password_hash="not-a-real-hash")
            db.session.add(user)
            db.session.flush()
        yield user
    finally:
        db.session.rollback()
        set_write_intent(False)
    assert current_writer() is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffUser)
                             .where(StaffUser.email == email)) == 0
    db.session.rollback()


def name_in_database(user) -> str | None:
    from portal.data.staff import StaffUser

    with db.session.no_autoflush:
        return db.session.scalar(sa.select(StaffUser.name).where(StaffUser.id == user.id))


def test_the_guard_is_on_in_tests(app):
    assert app.config["WRITE_GUARD"] is True


def test_changing_a_row_outside_an_operation_is_refused(staff_row):
    with pytest.raises(WriteOutsideOperation), db.session.begin_nested():
        staff_row.name = "Changed by a view"
        db.session.flush()
    assert name_in_database(staff_row) == "Before"
    assert staff_row.name == "Before"  # the change is gone


def test_adding_a_row_outside_an_operation_is_refused(staff_row):
    from portal.data.staff import StaffUser

    with pytest.raises(WriteOutsideOperation), db.session.begin_nested():
        db.session.add(StaffUser(email="added-by-a-view@example.org", name="Added",
                                 role="admin", password_hash="x"))
        db.session.flush()


def test_deleting_a_row_outside_an_operation_is_refused(staff_row):
    with pytest.raises(WriteOutsideOperation), db.session.begin_nested():
        db.session.delete(staff_row)
        db.session.flush()
    assert name_in_database(staff_row) == "Before"


@pytest.mark.parametrize("statement", ["update", "delete", "insert"])
def test_sql_writes_outside_an_operation_are_refused(staff_row, statement):
    from portal.data.staff import StaffUser

    sql = {"update": sa.update(StaffUser).where(StaffUser.id == staff_row.id)
                       .values(name="Changed"),
           "delete": sa.delete(StaffUser).where(StaffUser.id == staff_row.id),
           "insert": sa.insert(StaffUser).values(
               email="sneaky@example.org", name="Sneaky", role="admin", password_hash="x",
               session_version=1, version_id=1)}[statement]
    with pytest.raises(WriteOutsideOperation), db.session.begin_nested():
        db.session.execute(sql)
    assert name_in_database(staff_row) == "Before"


def test_the_same_change_is_allowed_inside_writes_allowed(staff_row):
    from portal.data.engine import writes_allowed

    with writes_allowed("test: the guard lets a named writer through"):
        staff_row.name = "Changed inside"
        db.session.flush()
    assert current_writer() is None
    assert name_in_database(staff_row) == "Changed inside"
    # The fixture rolls it back and checks the row is gone.


def test_the_same_change_is_allowed_inside_an_operation(staff_row):
    from portal.cases.operation import operation

    @operation
    def rename(user, name):
        assert current_writer() is not None
        user.name = name

    rename(staff_row, "Changed by an operation")
    assert current_writer() is None  # the permission ends with the operation
    assert name_in_database(staff_row) == "Changed by an operation"


def test_a_change_left_over_from_outside_is_refused_by_the_next_operation(staff_row):
    """The flush at the start of every operation meets the guard before anything else."""
    from portal.cases.operation import operation

    @operation
    def nothing():
        return None

    with pytest.raises(WriteOutsideOperation), db.session.begin_nested():
        staff_row.name = "Changed by a view, then an operation runs"
        nothing()
    assert name_in_database(staff_row) == "Before"
