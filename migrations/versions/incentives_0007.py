"""incentives: the plan version a reopened month is scored with, and each rep's version

A closer reopening a month may pick another plan version to score it with; the choice is
kept on the close that was reopened (``NULL``: the month keeps the version it was closed
with). Each rep's kept score says which version scored it (a team's plan beats the
organisation's); scores kept before this say ``NULL``: the close's version.

Revision ID: incentives_0007
Revises: incentives_0006
Create Date: 2026-12-07 17:45:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'incentives_0007'
down_revision = 'incentives_0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('incentive_month_closes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reopen_plan_version_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_incentive_month_closes_reopen_plan_version_id_incentive_plan_versions'),
            'incentive_plan_versions', ['reopen_plan_version_id'], ['id'], ondelete='RESTRICT',
        )
    with op.batch_alter_table('incentive_month_scores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plan_version_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_incentive_month_scores_plan_version_id_incentive_plan_versions'),
            'incentive_plan_versions', ['plan_version_id'], ['id'], ondelete='RESTRICT',
        )


def downgrade():
    with op.batch_alter_table('incentive_month_scores', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_incentive_month_scores_plan_version_id_incentive_plan_versions'),
            type_='foreignkey',
        )
        batch_op.drop_column('plan_version_id')
    with op.batch_alter_table('incentive_month_closes', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_incentive_month_closes_reopen_plan_version_id_incentive_plan_versions'),
            type_='foreignkey',
        )
        batch_op.drop_column('reopen_plan_version_id')
