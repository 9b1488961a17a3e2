"""quality: indexes for a rep's reviews and the disputes waiting

The rep's reviews page reads one rep's reviews, the latest submitted first; the disputes
list reads the disputed reviews, the oldest dispute first. Measured with
bench/quality_pages.py (500 reps, 50,000 reviews).

Revision ID: quality_api_0001
Revises: quality_0002
Create Date: 2026-12-08 01:20:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "quality_api_0001"
down_revision = "quality_0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("qa_reviews", schema=None) as batch_op:
        batch_op.create_index(
            "ix_qa_reviews_rep_id_submitted_at",
            ["rep_id", "submitted_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_qa_reviews_state_disputed_at", ["state", "disputed_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("qa_reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_qa_reviews_state_disputed_at")
        batch_op.drop_index("ix_qa_reviews_rep_id_submitted_at")
