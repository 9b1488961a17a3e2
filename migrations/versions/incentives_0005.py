"""incentives: a dispute holds one decision (accepted ones say how, declined ones do not)

Rows two supervisors wrote at once are first made to agree with their status.

Revision ID: incentives_0005
Revises: incentives_0003
Create Date: 2026-12-07 16:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'incentives_0005'
down_revision = 'incentives_0003'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "UPDATE ticket_disputes SET resolution = NULL, reassigned_to_id = NULL "
        "WHERE status <> 'accepted'"
    )
    op.execute(
        "UPDATE ticket_disputes SET reassigned_to_id = NULL "
        "WHERE resolution IS NULL OR resolution <> 'reassign'"
    )
    op.execute(
        "UPDATE ticket_disputes SET resolution = 'exclude' "
        "WHERE status = 'accepted' AND resolution IS NULL"
    )
    op.execute(
        "UPDATE ticket_disputes SET decided_at = filed_at "
        "WHERE status <> 'open' AND decided_at IS NULL"
    )
    op.execute(
        "UPDATE ticket_disputes SET decided_at = NULL WHERE status = 'open'"
    )
    with op.batch_alter_table('ticket_disputes', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_ticket_disputes_resolution_only_if_accepted'),
            "(status = 'accepted') = (resolution IS NOT NULL)",
        )
        batch_op.create_check_constraint(
            op.f('ck_ticket_disputes_rep_only_if_reassigned'),
            "reassigned_to_id IS NULL OR resolution = 'reassign'",
        )
        batch_op.create_check_constraint(
            op.f('ck_ticket_disputes_decided_unless_open'), "(status = 'open') = (decided_at IS NULL)"
        )


def downgrade():
    with op.batch_alter_table('ticket_disputes', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_ticket_disputes_decided_unless_open'), type_='check')
        batch_op.drop_constraint(op.f('ck_ticket_disputes_rep_only_if_reassigned'), type_='check')
        batch_op.drop_constraint(op.f('ck_ticket_disputes_resolution_only_if_accepted'), type_='check')
