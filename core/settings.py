"""Organisation settings that admins change in the app (e.g. candidate data retention).

A module declares its settings as :class:`SettingSpec` entries (registered in ``app.py``);
values live in the ``settings`` table, and a setting never stored reads as its default.
Every change is audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core import audit
from core.db import db, utcnow
from core.errors import InvalidInput
from core.people import User


class Setting(db.Model):
    """A stored setting value."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column()
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


@dataclass(frozen=True)
class SettingSpec:
    """A whole-number setting: its key, how it is shown, its default and its range."""

    key: str
    label: str
    help: str
    default: int
    minimum: int = 0
    maximum: int = 10_000
    unit: str = ""

    def check(self, value: Any) -> int:
        """The value as an int within range.

        :raises InvalidInput: not a whole number, or out of range.
        """
        try:
            number = int(value)
        except (TypeError, ValueError) as e:
            raise InvalidInput({self.key: ["Enter a whole number."]}) from e
        if not self.minimum <= number <= self.maximum:
            raise InvalidInput(
                {self.key: [f"Enter a number from {self.minimum} to {self.maximum}."]}
            )
        return number


def register_settings(app: Flask, specs: Iterable[SettingSpec]) -> None:
    registry = app.extensions.setdefault("frontline.settings", {})
    for spec in specs:
        registry[spec.key] = spec


def specs() -> list[SettingSpec]:
    return list(current_app.extensions.get("frontline.settings", {}).values())


def _spec(key: str) -> SettingSpec:
    try:
        return current_app.extensions["frontline.settings"][key]
    except KeyError as e:
        raise KeyError(f"unknown setting {key!r}") from e


def get_setting(key: str) -> int:
    """The setting's stored value, or its default."""
    spec = _spec(key)
    row = db.session.get(Setting, key)
    return spec.default if row is None else int(row.value["value"])


def set_setting(key: str, value: Any, *, by: User | str) -> int:
    """Store a new value for a setting (audited).

    :raises InvalidInput: the value is not acceptable for this setting.
    :return: the stored value.
    """
    spec = _spec(key)
    number = spec.check(value)
    row = db.session.get(Setting, key)
    before = spec.default if row is None else int(row.value["value"])
    if row is None:
        row = Setting(key=key, value={"value": number})
        db.session.add(row)
    else:
        row.value = {"value": number}
    row.updated_at = utcnow()
    row.updated_by_id = by.id if isinstance(by, User) else None
    if before != number:
        audit.record(
            by,
            "setting.update",
            None,
            summary=f"{spec.label}: {before} → {number} {spec.unit}".strip(),
            before={key: before},
            after={key: number},
        )
    db.session.flush()
    return number
