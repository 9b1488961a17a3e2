"""The product shell that modules plug into: navigation entries and dashboard panels.

``app.py`` registers each module's ``NAV`` items and dashboard panel providers here, so the
base layout and the home dashboard show, for each user, what their roles allow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, request

from core.access import Role


@dataclass(frozen=True)
class NavItem:
    """A link in the main navigation, shown to holders of ``roles`` (any user if empty)."""

    label: str
    endpoint: str
    roles: frozenset[Role] = frozenset()
    #: Blueprint-relative prefix that marks the item active, e.g. ``"admin.user"``.
    active_prefix: str = ""

    def visible_to(self, roles: frozenset[Role]) -> bool:
        return not self.roles or not self.roles.isdisjoint(roles)


@dataclass(frozen=True)
class Panel:
    """A card on the home dashboard: a partial template and the ready-made context it shows."""

    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    #: Lower numbers come first.
    order: int = 100
    #: Wide panels span the whole row.
    wide: bool = False


PanelProvider = Callable[[Any], Panel | None]


def _state(app: Flask) -> dict[str, list[Any]]:
    return app.extensions.setdefault("frontline.shell", {"nav": [], "panels": []})


def register_nav(app: Flask, items: Iterable[NavItem]) -> None:
    _state(app)["nav"].extend(items)


def register_panels(app: Flask, providers: Iterable[PanelProvider]) -> None:
    _state(app)["panels"].extend(providers)


def nav_for(user: Any) -> list[tuple[NavItem, bool]]:
    """The navigation items ``user`` may see, each with whether it is the current page."""
    if not user.is_authenticated:
        return []
    endpoint = request.endpoint or ""
    items = [item for item in _state(current_app)["nav"] if item.visible_to(user.roles)]
    return [
        (item, endpoint.startswith(item.active_prefix or item.endpoint))
        for item in items
    ]


def panels_for(user: Any) -> list[Panel]:
    """The dashboard panels for ``user``, in order; providers return ``None`` to stay out."""
    panels = [provider(user) for provider in _state(current_app)["panels"]]
    return sorted((p for p in panels if p is not None), key=lambda p: p.order)
