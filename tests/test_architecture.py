"""Architecture rules a reviewer would otherwise have to remember."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import yiwang
from yiwang.core import authz

SRC = Path(yiwang.__file__).parent
# use cases live in *actions*.py (hotline_actions.py too), and in the workbench's knowledge_*.py
ACTION_MODULES = sorted(
    {*(SRC / "contexts").rglob("*actions*.py"), *(SRC / "contexts").rglob("knowledge_*.py")}
)


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
        if path.name.endswith(("repository.py", "models.py")):  # an area's <area>_repository.py too
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


AUDIT_CALLS = {"record", "record_read", "record_many", "prepare_many"}


def _audited() -> tuple[set[str], set[str], set[str]]:
    """Action names, action-name prefixes (f-strings) and object types written by audit calls."""
    actions: set[str] = set()
    prefixes: set[str] = set()
    objects: set[str] = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in AUDIT_CALLS and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "audit"):  # fmt: skip
                continue
            at = 1 if node.func.attr == "prepare_many" else 2  # (session, actor, action, type, id)
            if len(node.args) <= at:
                continue
            action = node.args[at]
            if isinstance(action, ast.Constant) and isinstance(action.value, str):
                actions.add(action.value)
            elif isinstance(action, ast.JoinedStr) and isinstance(action.values[0], ast.Constant):
                prefixes.add(str(action.values[0].value))
            kind = node.args[at + 1] if len(node.args) > at + 1 else None
            if isinstance(kind, ast.Constant) and isinstance(kind.value, str):
                objects.add(kind.value)
    return actions, prefixes, objects


def test_every_action_and_audited_object_has_a_chinese_name() -> None:
    import yiwang.app  # noqa: F401
    from yiwang.contexts import catalog
    from yiwang.core import labels

    named = labels.named_actions()
    actions, prefixes, objects = _audited()
    assert actions and prefixes and objects
    missing = sorted((authz.registered_actions() | actions) - named)
    missing += sorted(p for p in prefixes if not any(a.startswith(p) for a in named))
    assert not missing, f"name these actions in their context's labels.py: {missing}"
    tables = {spec.source_table for spec in catalog.RESOURCES}
    unnamed = sorted((objects | tables) - labels.named_objects())
    assert not unnamed, f"name these object types in their context's labels.py: {unnamed}"
    for name in named:
        assert not any(c.isascii() and c.isalpha() for c in labels.action_label(name)), name


def test_every_policy_target_class_has_a_chinese_name() -> None:
    """A refusal is audited with its target's type (`core.labels.object_type_of`)."""
    from yiwang.core import labels

    unnamed = []
    for path in (SRC / "contexts").rglob("*policies.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef) and node.name.endswith(("Target", "Subject")):
                kind = labels.object_type_of(type(node.name, (), {})())
                if kind not in labels.named_objects():
                    unnamed.append(f"{path.parent.name}.{node.name} ({kind})")
    assert not unnamed, unnamed
