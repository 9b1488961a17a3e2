"""training: notices a person is told about their training, and which kinds they want by
e-mail

Revision ID: training_0003
Revises: quality_api_0001
Create Date: 2026-12-08 02:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "training_0003"
down_revision = "quality_api_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "training_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("text", sa.String(length=700), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.Column("mailed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_training_notices_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_notices")),
        sa.UniqueConstraint(
            "user_id", "key", name=op.f("uq_training_notices_user_id")
        ),
    )
    with op.batch_alter_table("training_notices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_notices_user_id"), ["user_id"], unique=False
        )
    op.create_table(
        "training_notice_settings",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("muted", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_training_notice_settings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_training_notice_settings")),
    )


def downgrade():
    op.drop_table("training_notice_settings")
    with op.batch_alter_table("training_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_notices_user_id"))
    op.drop_table("training_notices")
