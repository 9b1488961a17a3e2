"""incentives: a month's close keeps the month's whole figures

Every page, export, API answer and PDF of a closed month reads the figures its close
stored (organisation, teams, groups and every rep, accepted disputes applied), never the
tickets as they are today. Closes made before this keep ``NULL`` and are read from their
scores and summary.

Revision ID: incentives_0006
Revises: incentives_0005
Create Date: 2026-12-07 16:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'incentives_0006'
down_revision = 'incentives_0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('incentive_month_closes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('figures', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('incentive_month_closes', schema=None) as batch_op:
        batch_op.drop_column('figures')
