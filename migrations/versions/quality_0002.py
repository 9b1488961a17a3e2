"""quality: calibration sessions, their tickets, reviewers and blind ratings

A session keeps the rubric version it was created with; each reviewer's ratings of a
ticket are one row, a draft until submitted. Nothing here counts in a rep's QA score.

Revision ID: quality_0002
Revises: training_0002
Create Date: 2026-12-08 00:45:19.933434

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "quality_0002"
down_revision = "training_0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "qa_calibrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("rubric_version_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "open", "closed", name="sessionstate", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["closed_by_id"],
            ["users.id"],
            name=op.f("fk_qa_calibrations_closed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_qa_calibrations_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rubric_version_id"],
            ["qa_rubric_versions.id"],
            name=op.f("fk_qa_calibrations_rubric_version_id_qa_rubric_versions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_calibrations")),
    )
    op.create_table(
        "qa_calibration_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("calibration_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("ratings", sa.JSON(), nullable=False),
        sa.Column("comments", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["calibration_id"],
            ["qa_calibrations.id"],
            name=op.f("fk_qa_calibration_ratings_calibration_id_qa_calibrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["users.id"],
            name=op.f("fk_qa_calibration_ratings_reviewer_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_qa_calibration_ratings_ticket_id_tickets"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_calibration_ratings")),
        sa.UniqueConstraint(
            "calibration_id",
            "ticket_id",
            "reviewer_id",
            name=op.f("uq_qa_calibration_ratings_calibration_id"),
        ),
    )
    with op.batch_alter_table("qa_calibration_ratings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_qa_calibration_ratings_calibration_id"),
            ["calibration_id"],
            unique=False,
        )

    op.create_table(
        "qa_calibration_reviewers",
        sa.Column("calibration_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["calibration_id"],
            ["qa_calibrations.id"],
            name=op.f("fk_qa_calibration_reviewers_calibration_id_qa_calibrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_qa_calibration_reviewers_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint(
            "calibration_id", "user_id", name=op.f("pk_qa_calibration_reviewers")
        ),
    )
    op.create_table(
        "qa_calibration_tickets",
        sa.Column("calibration_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["calibration_id"],
            ["qa_calibrations.id"],
            name=op.f("fk_qa_calibration_tickets_calibration_id_qa_calibrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_qa_calibration_tickets_ticket_id_tickets"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint(
            "calibration_id", "ticket_id", name=op.f("pk_qa_calibration_tickets")
        ),
    )


def downgrade():
    op.drop_table("qa_calibration_tickets")
    op.drop_table("qa_calibration_reviewers")
    with op.batch_alter_table("qa_calibration_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qa_calibration_ratings_calibration_id"))

    op.drop_table("qa_calibration_ratings")
    op.drop_table("qa_calibrations")
