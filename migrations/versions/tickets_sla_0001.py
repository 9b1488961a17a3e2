"""tickets: whether a ticket met its SLA, as the helpdesk recorded it

A helpdesk that works out its own SLA outcome (ServiceNow's ``made_sla``, a mapped
"SLA met" column, Frontline's ``sla_met``) has it kept on the ticket; where it is given it
decides whether the ticket counts as solved within target. Tickets imported before have
none: our targets go on deciding for them.

Revision ID: tickets_sla_0001
Revises: tickets_sync_0001
Create Date: 2026-12-07 22:45:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "tickets_sla_0001"
down_revision = "tickets_sync_0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sla_met", sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("sla_met")
