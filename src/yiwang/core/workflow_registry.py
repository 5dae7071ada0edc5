"""The registry of workflow definitions: the files contexts register at import, their stored
versions (a case finishes on the version it started with), and the policy of every transition."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from yiwang.core import authz, labels
from yiwang.core import workflow_repository as repo
from yiwang.core.actor import Actor
from yiwang.core.authz import ALLOW, Decision, deny
from yiwang.core.db import utcnow
from yiwang.core.errors import NotFound
from yiwang.core.workflow_events import declare
from yiwang.core.workflow_models import WorkflowCase, WorkflowDefinition
from yiwang.core.workflow_spec import Definition, Facts, Transition, allows, load

if TYPE_CHECKING:
    from yiwang.core.workflow_views import CaseView

# the engine's own records: deadline events written by its timers, and what a refusal names
labels.name_actions({"workflow.warning": "临近办理期限预警", "workflow.overdue": "超过办理期限",
                     "workflow.escalation": "超期升级督办"})  # fmt: skip
labels.name_object("transition_target", "案件")

Hook = Callable[[Session, Actor, "CaseView", str, dict[str, Any]], None]


@dataclass
class _Registered:
    spec: Definition
    path: Path
    hook: Hook | None


_DEFS: dict[str, _Registered] = {}
_BY_ID: dict[int, Definition] = {}  # stored definition versions by row id (immutable)


def register(path: Path, hook: Hook | None = None) -> Definition:
    """Load and validate a definition file; declare its events, its transitions' policies and
    their audit labels. The hook runs inside every transition of its cases (the owning
    context's own changes to its object, in the same transaction)."""
    spec = load(path)
    _DEFS[spec.code] = _Registered(spec, path, hook)
    declare(spec)
    for code, t in spec.transitions.items():
        action = spec.action(code)
        if action not in authz.registered_actions():
            authz.policy(action)(_transition_policy)
        labels.name_action(action, f"{spec.subject.label}·{t.label}")
    return spec


def registered(code: str) -> Definition:
    try:
        return _DEFS[code].spec
    except KeyError:
        raise RuntimeError(f"workflow definition {code} is not registered") from None


def registered_codes() -> list[str]:
    return sorted(_DEFS)


def stored_definition(session: Session, code: str) -> WorkflowDefinition:
    """The stored version of the registered file: a new version when its content changed. Two
    processes storing the same new version at once: one inserts it, the other reads it."""
    reg = _DEFS[code]
    checksum = reg.spec.checksum()
    for _ in range(3):
        row = repo.definition_version(session, code, checksum)
        if row is not None:
            return row
        row = WorkflowDefinition(code=code, version=repo.latest_version(session, code) + 1, name=reg.spec.name,
                                 spec=reg.spec.model_dump(mode="json", by_alias=True), checksum=checksum,
                                 created_at=utcnow())  # fmt: skip
        if repo.add_definition(session, row):
            return row
    raise RuntimeError(f"could not store workflow definition {code}")


def definition_of(session: Session, definition_id: int) -> Definition:
    """A case's own definition version (a case finishes on the version it started with)."""
    spec = _BY_ID.get(definition_id)
    if spec is None:
        row = repo.definition(session, definition_id)
        if row is None:
            raise NotFound("流程定义不存在")
        spec = Definition.model_validate(row.spec)
        _BY_ID[definition_id] = spec
    return spec


def hook_of(code: str) -> Hook | None:
    reg = _DEFS.get(code)
    return reg.hook if reg else None


@dataclass(frozen=True)
class TransitionTarget:
    """A case and the transition asked for: what the transition's policy decides on (`case` is
    None when only asking whether the actor could take it). `expected_revision`: the revision
    the form was shown at."""

    case: WorkflowCase | None
    spec: Definition
    code: str
    facts: Facts
    expected_revision: int | None = None

    @property
    def transition(self) -> Transition:
        return self.spec.transitions[self.code]

    @property
    def action(self) -> str:
        return self.spec.action(self.code)

    @property
    def id(self) -> int:  # what a refusal's audit record names
        return self.facts.case_id

    @property
    def region_code(self) -> str:
        return self.facts.region_code


def _transition_policy(actor: Actor, t: TransitionTarget) -> Decision:
    """The policy of every transition: the definition's rules for who may take it."""
    if allows(t.transition.by, actor, t.facts):
        return ALLOW
    return deny(f"您不能对该{t.spec.subject.label}执行「{t.transition.label}」")


@dataclass(frozen=True)
class Version:
    version: int
    created_at: Any
    current: bool  # the registered file is this version


def versions(session: Session, code: str) -> list[Version]:
    """The stored versions of a definition, oldest first."""
    checksum = _DEFS[code].spec.checksum() if code in _DEFS else ""
    return [Version(d.version, d.created_at, d.checksum == checksum) for d in repo.definitions(session, code)]


def version_spec(session: Session, code: str, version: int | None) -> tuple[Definition, int | None]:
    """A stored version's definition (default: the registered file, stored or not yet)."""
    if version is None:
        stored = repo.definition_version(session, code, registered(code).checksum())
        return registered(code), stored.version if stored else None
    row = next((d for d in repo.definitions(session, code) if d.version == version), None)
    if row is None:
        raise NotFound("流程定义的该版本不存在")
    return definition_of(session, row.id), row.version
