"""Record-level guards, as plain functions."""

from __future__ import annotations

import pytest

from core.access import Role, Viewer, can_see_rep, can_supervise_rep, visible_team_ids

REP_ID, REP_TEAM = 10, 1


def viewer(*roles: Role, user_id: int = 99, teams: tuple[int, ...] = ()) -> Viewer:
    return Viewer(
        user_id=user_id, roles=frozenset(roles), supervised_team_ids=frozenset(teams)
    )


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (viewer(Role.REP, user_id=REP_ID), True),
        (viewer(Role.REP), False),
        (viewer(Role.SUPERVISOR, teams=(REP_TEAM,)), True),
        (viewer(Role.SUPERVISOR, teams=(2,)), False),
        (viewer(Role.SUPERVISOR), False),
        (viewer(Role.HIRING_MANAGER), False),
        (viewer(Role.LEADERSHIP), True),
        (viewer(Role.ADMIN), True),
        (viewer(Role.REP, Role.SUPERVISOR, teams=(REP_TEAM,)), True),
    ],
)
def test_who_sees_a_reps_records(who: Viewer, expected: bool) -> None:
    assert can_see_rep(who, REP_ID, REP_TEAM) is expected


def test_a_supervisor_without_a_team_link_cannot_see_a_rep_with_no_team() -> None:
    assert not can_see_rep(viewer(Role.SUPERVISOR, teams=(1,)), REP_ID, None)


def test_only_the_teams_supervisor_supervises_and_never_themselves() -> None:
    assert can_supervise_rep(
        viewer(Role.SUPERVISOR, teams=(REP_TEAM,)), REP_ID, REP_TEAM
    )
    assert not can_supervise_rep(viewer(Role.ADMIN), REP_ID, REP_TEAM)
    assert not can_supervise_rep(viewer(Role.LEADERSHIP), REP_ID, REP_TEAM)
    me = viewer(Role.SUPERVISOR, Role.REP, user_id=REP_ID, teams=(REP_TEAM,))
    assert not can_supervise_rep(me, REP_ID, REP_TEAM)


def test_visible_teams() -> None:
    assert visible_team_ids(viewer(Role.LEADERSHIP)) is None
    assert visible_team_ids(viewer(Role.SUPERVISOR, teams=(1, 2))) == {1, 2}
    assert visible_team_ids(viewer(Role.REP)) == frozenset()
