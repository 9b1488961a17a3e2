"""Two leaders approving a month's payouts at the same moment make one approval; the other
hears "already approved". Real, separate connections on a scratch PostgreSQL database (on
SQLite, requests that write take the write lock first, so approvals queue instead)."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import sqlalchemy as sa

from core.access import Role
from core.db import db
from core.errors import Conflict
from core.people import User
from incentives.scoring import operations as scoring_operations
from incentives.scoring import payout_operations, payout_queries
from incentives.scoring import queries as scoring_queries
from incentives.scoring.payout_models import PayoutApproval
from tests.conftest import make_test_app
from tests.factories import make_user
from tests.incentives import scoring_world

MARCH = "2024-03"


def test_two_leaders_approving_at_once_make_one_approval(
    scratch_postgres_url, monkeypatch
) -> None:
    app = make_test_app(scratch_postgres_url)
    try:
        with app.app_context():
            db.create_all()
            world = scoring_world.build()
            other = make_user(Role.LEADERSHIP, name="Second Leader")
            scoring_operations.close_month(MARCH, by=world.admin)
            db.session.commit()
            leaders = [world.leader.id, other.id]
        scoring_queries.forget_cached_scores()
        barrier = threading.Barrier(2)
        original = payout_queries.month_payouts

        def meet(*args: Any, **kwargs: Any) -> Any:
            found = original(*args, **kwargs)
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=5)
            return found

        # Both have checked that nothing is approved yet before either writes.
        monkeypatch.setattr(payout_queries, "month_payouts", meet)
        outcomes: list[str] = []

        def approve(leader_id: int) -> None:
            with app.app_context():
                try:
                    payout_operations.approve_month(
                        MARCH, by=db.session.get(User, leader_id)
                    )
                    db.session.commit()
                    outcomes.append("approved")
                except Conflict as e:
                    db.session.rollback()
                    outcomes.append(f"conflict: {e.message}")
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=approve, args=(i,)) for i in leaders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(outcomes) == [
            "approved",
            "conflict: March 2024's payouts are already approved.",
        ]
        with app.app_context():
            count = db.session.scalar(
                sa.select(sa.func.count()).select_from(PayoutApproval)
            )
            assert count == 1
            db.session.remove()
    finally:
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()
