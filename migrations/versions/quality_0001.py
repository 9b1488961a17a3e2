"""quality: review rubrics and their versions, reviews of tickets, links to the helpdesk

Rubrics are kept per channel group, versioned like plans; a review belongs to one ticket
(sampling never adds a second) and keeps the rubric version it was judged by.

Revision ID: quality_0001
Revises: tickets_sla_0001
Create Date: 2026-12-07 22:54:53.523056

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "quality_0001"
down_revision = "tickets_sla_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "qa_helpdesk_links",
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("url_pattern", sa.String(length=500), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_qa_helpdesk_links")),
    )
    op.create_table(
        "qa_rubrics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "channel_group",
            sa.Enum(
                "live",
                "written",
                "public",
                name="channelgroup",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_rubrics")),
        sa.UniqueConstraint("channel_group", name=op.f("uq_qa_rubrics_channel_group")),
    )
    op.create_table(
        "qa_rubric_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rubric_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_qa_rubric_versions_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rubric_id"],
            ["qa_rubrics.id"],
            name=op.f("fk_qa_rubric_versions_rubric_id_qa_rubrics"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_rubric_versions")),
        sa.UniqueConstraint(
            "rubric_id", "version", name=op.f("uq_qa_rubric_versions_rubric_id")
        ),
    )
    op.create_table(
        "qa_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("rubric_version_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "draft",
                "submitted",
                "acknowledged",
                "disputed",
                "decided",
                name="reviewstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("ratings", sa.JSON(), nullable=False),
        sa.Column("comments", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("critical_failed", sa.Boolean(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("dispute_reason", sa.Text(), nullable=False),
        sa.Column("disputed_at", sa.DateTime(), nullable=True),
        sa.Column(
            "decision",
            sa.Enum(
                "upheld", "withdrawn", name="decision", native_enum=False, length=16
            ),
            nullable=True,
        ),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_qa_reviews_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rep_id"],
            ["users.id"],
            name=op.f("fk_qa_reviews_rep_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["users.id"],
            name=op.f("fk_qa_reviews_reviewer_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rubric_version_id"],
            ["qa_rubric_versions.id"],
            name=op.f("fk_qa_reviews_rubric_version_id_qa_rubric_versions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_qa_reviews_ticket_id_tickets"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_reviews")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_qa_reviews_ticket_id")),
    )
    with op.batch_alter_table("qa_reviews", schema=None) as batch_op:
        batch_op.create_index(
            "ix_qa_reviews_month_rep_id", ["month", "rep_id"], unique=False
        )
        batch_op.create_index(
            "ix_qa_reviews_reviewer_id_state", ["reviewer_id", "state"], unique=False
        )


def downgrade():
    with op.batch_alter_table("qa_reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_qa_reviews_reviewer_id_state")
        batch_op.drop_index("ix_qa_reviews_month_rep_id")

    op.drop_table("qa_reviews")
    op.drop_table("qa_rubric_versions")
    op.drop_table("qa_rubrics")
    op.drop_table("qa_helpdesk_links")
