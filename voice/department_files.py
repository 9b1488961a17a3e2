"""PURE: reading a departments file (YAML) for ``departments load FILE``.

::

    departments:
      - name: Logistics
        description: Warehouses, carriers and returns.
        owner: sam.patel@example.com
        deputies: [nadia.rahman@example.com]
        members: []
        ack_target_hours: 8
        active: true
        rota:
          - Mon-Fri 08:00-18:00 | Sam Patel | +44 20 7946 0101
          - Sat, Sun 09:00-17:00 | Weekend desk | +44 20 7946 0100

People are named by their Frontline e-mail. Every problem is reported, by department
number and name, and nothing is read then.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from core import untrusted_yaml
from voice.reach import RotaError, parse_rota

KEYS = frozenset(
    {
        "name",
        "description",
        "owner",
        "deputies",
        "members",
        "ack_target_hours",
        "active",
        "rota",
    }
)


@dataclass(frozen=True)
class DepartmentSpec:
    name: str
    description: str
    owner: str | None
    deputies: tuple[str, ...]
    members: tuple[str, ...]
    ack_target_hours: int
    active: bool
    rota_text: str

    @property
    def emails(self) -> set[str]:
        return {e for e in (self.owner, *self.deputies, *self.members) if e}


class DepartmentFileError(ValueError):
    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors))


def read_departments(text: str) -> list[DepartmentSpec]:
    """The departments a file describes.

    :raises DepartmentFileError: not YAML, not the expected shape, or bad values, each
        named by department number and name.
    """
    try:
        data = untrusted_yaml.load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise DepartmentFileError([f"The file is not valid YAML{where}."]) from e
    items = data.get("departments") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise DepartmentFileError(["The file needs a list under departments:."])
    specs, errors, seen = [], [], set()
    for number, item in enumerate(items, start=1):
        label = f"Department {number}"
        if not isinstance(item, dict):
            errors.append(f"{label}: write name:, owner:, rota: and so on.")
            continue
        name = str(item.get("name") or "").strip()
        label = f"{label} ({name})" if name else label
        problems = _problems(item, name, seen)
        try:
            rota = [str(line) for line in item.get("rota") or []]
            parse_rota("\n".join(rota))
        except RotaError as e:
            problems += [f"rota {m[0].lower()}{m[1:]}" for m in e.errors]
        except TypeError:
            problems.append("rota: give a list of lines.")
            rota = []
        if problems:
            errors += [f"{label}: {p}" for p in problems]
            continue
        seen.add(name.casefold())
        specs.append(
            DepartmentSpec(
                name=name,
                description=str(item.get("description") or "").strip(),
                owner=_email(item.get("owner")),
                deputies=tuple(_emails(item.get("deputies"))),
                members=tuple(_emails(item.get("members"))),
                ack_target_hours=int(item.get("ack_target_hours", 24)),
                active=bool(item.get("active", True)),
                rota_text="\n".join(rota),
            )
        )
    if errors:
        raise DepartmentFileError(errors)
    return specs


def _problems(item: dict[str, Any], name: str, seen: set[str]) -> list[str]:
    problems = []
    unknown = sorted(str(k) for k in item if k not in KEYS)
    if unknown:
        problems.append(
            f"unknown key {', '.join(unknown)} (use {', '.join(sorted(KEYS))})."
        )
    if not name:
        problems.append("give the department a name.")
    elif name.casefold() in seen:
        problems.append("the file names this department twice.")
    hours = item.get("ack_target_hours", 24)
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 720:
        problems.append("ack_target_hours is a whole number of hours from 1 to 720.")
    if not isinstance(item.get("active", True), bool):
        problems.append("active is true or false.")
    for key in ("deputies", "members"):
        if not isinstance(item.get(key) or [], list):
            problems.append(f"{key}: give a list of e-mails.")
    return problems


def _email(value: Any) -> str | None:
    text = str(value or "").strip().lower()
    return text or None


def _emails(values: Any) -> list[str]:
    return [e for e in (_email(v) for v in values or []) if e]
