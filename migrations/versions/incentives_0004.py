"""incentives: working dates, leave, payout adjustments and approvals

Payouts become governable: a rep's start, leaving day and leave prorate their target
bonus; adjustments change a month's payout with a reason (removed ones stay on record);
leadership approves a closed month's payouts, each line kept as approved. An approval
belongs to one close, so reopening or closing anew leaves it on record but not in force.
A month closed anew records each rep's old and new score and payout (the change log).

Revision ID: incentives_0004
Revises: recruiting_0003
Create Date: 2026-12-07 16:21:46.107124

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'incentives_0004'
down_revision = 'recruiting_0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('incentive_payout_adjustments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('rep_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=254), nullable=False),
    sa.Column('removed_at', sa.DateTime(), nullable=True),
    sa.Column('removed_by_id', sa.Integer(), nullable=True),
    sa.Column('remove_reason', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_incentive_payout_adjustments_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['removed_by_id'], ['users.id'], name=op.f('fk_incentive_payout_adjustments_removed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rep_id'], ['users.id'], name=op.f('fk_incentive_payout_adjustments_rep_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incentive_payout_adjustments'))
    )
    with op.batch_alter_table('incentive_payout_adjustments', schema=None) as batch_op:
        batch_op.create_index('ix_incentive_payout_adjustments_month', ['month'], unique=False)

    op.create_table('incentive_rep_leaves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rep_id', sa.Integer(), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_incentive_rep_leaves_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rep_id'], ['users.id'], name=op.f('fk_incentive_rep_leaves_rep_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incentive_rep_leaves'))
    )
    with op.batch_alter_table('incentive_rep_leaves', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incentive_rep_leaves_rep_id'), ['rep_id'], unique=False)

    op.create_table('incentive_rep_work_dates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rep_id', sa.Integer(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['rep_id'], ['users.id'], name=op.f('fk_incentive_rep_work_dates_rep_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_incentive_rep_work_dates_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incentive_rep_work_dates')),
    sa.UniqueConstraint('rep_id', name=op.f('uq_incentive_rep_work_dates_rep_id'))
    )
    op.create_table('incentive_payout_approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('close_id', sa.Integer(), nullable=False),
    sa.Column('approved_at', sa.DateTime(), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=254), nullable=False),
    sa.Column('total', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('rep_count', sa.Integer(), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_incentive_payout_approvals_approved_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['close_id'], ['incentive_month_closes.id'], name=op.f('fk_incentive_payout_approvals_close_id_incentive_month_closes'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incentive_payout_approvals')),
    sa.UniqueConstraint('close_id', name=op.f('uq_incentive_payout_approvals_close_id'))
    )
    with op.batch_alter_table('incentive_payout_approvals', schema=None) as batch_op:
        batch_op.create_index('ix_incentive_payout_approvals_month', ['month'], unique=False)

    op.create_table('incentive_reclose_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('close_id', sa.Integer(), nullable=False),
    sa.Column('previous_close_id', sa.Integer(), nullable=False),
    sa.Column('rep_id', sa.Integer(), nullable=True),
    sa.Column('rep_name', sa.String(length=120), nullable=False),
    sa.Column('rep_email', sa.String(length=254), nullable=False),
    sa.Column('team_name', sa.String(length=120), nullable=False),
    sa.Column('old_score', sa.Float(), nullable=True),
    sa.Column('new_score', sa.Float(), nullable=True),
    sa.Column('old_payout', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('new_payout', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['close_id'], ['incentive_month_closes.id'], name=op.f('fk_incentive_reclose_changes_close_id_incentive_month_closes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['previous_close_id'], ['incentive_month_closes.id'], name=op.f('fk_incentive_reclose_changes_previous_close_id_incentive_month_closes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rep_id'], ['users.id'], name=op.f('fk_incentive_reclose_changes_rep_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incentive_reclose_changes'))
    )
    with op.batch_alter_table('incentive_reclose_changes', schema=None) as batch_op:
        batch_op.create_index('ix_incentive_reclose_changes_month', ['month'], unique=False)
        batch_op.create_index(batch_op.f('ix_incentive_reclose_changes_close_id'), ['close_id'], unique=False)



def downgrade():
    with op.batch_alter_table('incentive_reclose_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incentive_reclose_changes_close_id'))
        batch_op.drop_index('ix_incentive_reclose_changes_month')

    op.drop_table('incentive_reclose_changes')
    with op.batch_alter_table('incentive_payout_approvals', schema=None) as batch_op:
        batch_op.drop_index('ix_incentive_payout_approvals_month')

    op.drop_table('incentive_payout_approvals')
    op.drop_table('incentive_rep_work_dates')
    with op.batch_alter_table('incentive_rep_leaves', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incentive_rep_leaves_rep_id'))

    op.drop_table('incentive_rep_leaves')
    with op.batch_alter_table('incentive_payout_adjustments', schema=None) as batch_op:
        batch_op.drop_index('ix_incentive_payout_adjustments_month')

    op.drop_table('incentive_payout_adjustments')
