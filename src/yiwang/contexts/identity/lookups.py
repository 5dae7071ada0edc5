"""Linking other data to persons by identity number (through the blind index), for seeding
and aggregation. Not a read of personal data: only ids and names of known numbers."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiwang.contexts.identity import repository as repo
from yiwang.core import crypto


def person_ids_by_id_numbers(session: Session, id_numbers: list[str] | set[str]) -> dict[str, int]:
    return {n: pid for n, (pid, _name) in persons_by_id_numbers(session, id_numbers).items()}


def persons_by_id_numbers(session: Session, id_numbers: list[str] | set[str]) -> dict[str, tuple[int, str]]:
    idx = {crypto.blind_index(n, "ric"): n for n in id_numbers}
    return {idx[i]: row for i, row in repo.persons_by_index(session, list(idx)).items()}


def enterprise_ids_by_codes(session: Session, credit_codes: list[str]) -> dict[str, int]:
    return repo.enterprise_ids_by_codes(session, credit_codes)
