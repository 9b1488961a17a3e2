"""recruiting: an index on candidates.duplicate_of_id

The candidate page lists the later records that name a candidate as their earlier one,
and erasing or purging a candidate sets those references to NULL: both looked through
every candidate without it.

Revision ID: recruiting_0002
Revises: incentives_0003
Create Date: 2026-12-05 07:20:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'recruiting_0002'
down_revision = 'incentives_0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_candidates_duplicate_of_id'), ['duplicate_of_id'], unique=False)


def downgrade():
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_candidates_duplicate_of_id'))
