"""training: an assignment can be cancelled, with who cancelled it, when and why

A cancelled assignment stays for the record but is no longer due, counted or shown as
work to do.

Revision ID: training_0002
Revises: voice_0002
Create Date: 2026-12-08 01:25:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "training_0002"
down_revision = "voice_0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("training_assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("cancelled_by_id", sa.Integer(), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "cancel_reason", sa.String(length=300), nullable=False, server_default=""
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_training_assignments_cancelled_by_id_users"),
            "users",
            ["cancelled_by_id"],
            ["id"],
        )


def downgrade():
    with op.batch_alter_table("training_assignments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_training_assignments_cancelled_by_id_users"),
            type_="foreignkey",
        )
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("cancelled_by_id")
        batch_op.drop_column("cancelled_at")
