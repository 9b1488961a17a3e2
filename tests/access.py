"""The access matrix's vocabulary: who may call an endpoint, and how to call it.

Each module's tests declare ``MATRIX = {endpoint: Access(...)}`` and a ``populate(world)``
function that adds the records its paths need; ``tests/core/test_access_matrix.py`` joins
them and checks every endpoint against every role.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.access import Role

ALL_ROLES = frozenset(Role)
PUBLIC = "public"  # anyone, logged in or not
ANYONE_LOGGED_IN = ALL_ROLES


@dataclass
class World:
    """Records the matrix's paths point at, made once for all its cases.

    ``users[role]`` holds exactly that role. The rep is in a team the supervisor leads, so
    record checks let a supervisor through to "their" rep; ``other_rep`` is in another team.
    """

    users: dict[Role, Any] = field(default_factory=dict)
    team: Any = None
    other_team: Any = None
    rep: Any = None
    other_rep: Any = None
    target: Any = None  # a user admins act on
    tokens: dict[Role, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


Path = str | Callable[[World], str]


@dataclass(frozen=True)
class Access:
    """Who may use an endpoint.

    :param allowed: roles let in, or :data:`PUBLIC`.
    :param path: the URL, or a function of the world giving it.
    :param method: HTTP method to use.
    :param data: form fields (or JSON for the API) for a POST.
    :param api: a token-authenticated API endpoint (roles are the token's role).
    """

    allowed: frozenset[Role] | str
    path: Path
    method: str = "GET"
    data: dict[str, Any] | Callable[[World], dict[str, Any]] | None = None
    api: bool = False
    #: The endpoint ends the session (logout), so it rightly sends allowed users to login.
    ends_session: bool = False

    def url(self, world: World) -> str:
        return self.path(world) if callable(self.path) else self.path

    def payload(self, world: World) -> dict[str, Any]:
        if callable(self.data):
            return self.data(world)
        return dict(self.data or {})

    def allows(self, role: Role) -> bool:
        return self.allowed == PUBLIC or role in self.allowed


def roles(*names: Role) -> frozenset[Role]:
    return frozenset(names)
