"""Architecture rules a reviewer would otherwise have to remember."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import yiwang
from yiwang.core import authz

SRC = Path(yiwang.__file__).parent
ACTION_MODULES = sorted(p for p in (SRC / "contexts").rglob("actions*.py"))


def _public_functions(path: Path) -> list[ast.FunctionDef]:
    tree = ast.parse(path.read_text())
    return [n for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]


def _first_check(fn: ast.FunctionDef) -> str | None:
    """The action name of the first authz.check in the body, if it comes before any other effect."""
    for stmt in fn.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # docstring
        for node in ast.walk(stmt):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "check"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "authz"
            ):
                arg = node.args[1]
                return arg.value if isinstance(arg, ast.Constant) else None
        # only loading the target (assignments) may come before the check
        if not isinstance(stmt, ast.Assign | ast.AnnAssign):
            return None
    return None


def _is_action(fn: ast.FunctionDef) -> bool:
    args = [a.arg for a in fn.args.args]
    return args[:2] == ["session", "actor"]


def test_every_action_checks_authorisation_first_and_has_a_policy() -> None:
    import yiwang.app  # noqa: F401  (imports every context, registering its policies)

    assert ACTION_MODULES, "no action modules found"
    missing = []
    for path in ACTION_MODULES:
        for fn in _public_functions(path):
            if not _is_action(fn):
                continue
            name = _first_check(fn)
            if name is None:
                missing.append(f"{path.name}:{fn.name} does not start with authz.check")
            elif name not in authz.registered_actions():
                missing.append(f"{path.name}:{fn.name} checks {name}, which has no policy")
    assert not missing, "\n".join(missing)


def test_actions_are_named_context_entity_verb() -> None:
    import yiwang.app  # noqa: F401

    for action in authz.registered_actions():
        context, _, rest = action.partition(".")
        if context == "test":
            continue  # the workflow engine's test process registers policies of its own
        assert (SRC / "contexts" / context).is_dir(), action
        assert "_" in rest, action


SQL_BUILDERS = {"select", "update", "delete", "insert", "text", "func", "and_", "or_"}


def test_sql_lives_only_in_repositories() -> None:
    offenders = []
    for path in (SRC / "contexts").rglob("*.py"):
        if path.name in ("repository.py", "models.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
                used = {a.name for a in node.names} & SQL_BUILDERS
                if used:
                    offenders.append(f"{path.relative_to(SRC)} imports {sorted(used)} from {node.module}")
            if isinstance(node, ast.Attribute) and node.attr in ("execute", "exec_driver_sql"):
                offenders.append(f"{path.relative_to(SRC)} calls .{node.attr}()")
    assert not offenders, "\n".join(offenders)


def test_import_contracts_hold() -> None:
    bin_dir = Path(sys.executable).parent
    result = subprocess.run([str(bin_dir / "lint-imports")], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
