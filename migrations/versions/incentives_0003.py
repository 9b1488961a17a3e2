"""incentives: the organisation's month metrics kept per version of their inputs

Revision ID: incentives_0003
Revises: core_jobs_0002
Create Date: 2026-12-04 17:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'incentives_0003'
down_revision = 'core_jobs_0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('incentive_month_metrics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('inputs_version', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('compute_ms', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incentive_month_metrics')),
    sa.UniqueConstraint('month', 'inputs_version', name=op.f('uq_incentive_month_metrics_month'))
    )


def downgrade():
    op.drop_table('incentive_month_metrics')
