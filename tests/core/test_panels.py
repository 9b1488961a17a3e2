"""Dashboard panels of the shell."""

from __future__ import annotations

from core.access import Role
from tests.factories import make_team, make_user
from tests.helpers import text


def test_a_supervisor_of_many_reps_sees_some_by_name_and_a_count_of_the_rest(
    client, login_as, seed
) -> None:
    with seed():
        team = make_team("Big team")
        supervisor = make_user(Role.SUPERVISOR, name="Sue Visor")
        team.supervisors = [supervisor]
        for n in range(25):
            make_user(
                Role.REP,
                name=f"Rep {n:02d}",
                email=f"rep{n:02d}@example.com",
                team=team,
            )
    page = text(login_as(supervisor).get("/"))
    assert "Your team" in page
    assert "Rep 00" in page
    assert "rep19@example.com" in page
    assert "Rep 20" not in page
    assert "and 5 more reps." in page
