"""incentives: plans and their versions, closed months with frozen scores, ticket disputes

Revision ID: incentives_0002
Revises: core_jobs_0001
Create Date: 2026-11-23 18:07:05.116531

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'incentives_0002'
down_revision = 'core_jobs_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('incentive_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incentive_plans')),
    sa.UniqueConstraint('name', name=op.f('uq_incentive_plans_name'))
    )
    op.create_table('incentive_plan_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=254), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_incentive_plan_versions_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['plan_id'], ['incentive_plans.id'], name=op.f('fk_incentive_plan_versions_plan_id_incentive_plans'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incentive_plan_versions')),
    sa.UniqueConstraint('plan_id', 'version', name=op.f('uq_incentive_plan_versions_plan_id'))
    )
    op.create_table('incentive_month_closes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('plan_version_id', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=False),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=254), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('ticket_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('ticket_count', sa.Integer(), nullable=False),
    sa.Column('org_csat', sa.Float(), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('open_disputes', sa.Integer(), nullable=False),
    sa.Column('reopened_at', sa.DateTime(), nullable=True),
    sa.Column('reopened_by_id', sa.Integer(), nullable=True),
    sa.Column('reopen_reason', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_incentive_month_closes_closed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['plan_version_id'], ['incentive_plan_versions.id'], name=op.f('fk_incentive_month_closes_plan_version_id_incentive_plan_versions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reopened_by_id'], ['users.id'], name=op.f('fk_incentive_month_closes_reopened_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incentive_month_closes'))
    )
    with op.batch_alter_table('incentive_month_closes', schema=None) as batch_op:
        batch_op.create_index('ix_incentive_month_closes_month', ['month'], unique=False)

    op.create_table('incentive_month_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('close_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('rep_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('rep_name', sa.String(length=120), nullable=False),
    sa.Column('rep_email', sa.String(length=254), nullable=False),
    sa.Column('team_name', sa.String(length=120), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('eligible', sa.Boolean(), nullable=False),
    sa.Column('payout', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['close_id'], ['incentive_month_closes.id'], name=op.f('fk_incentive_month_scores_close_id_incentive_month_closes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rep_id'], ['users.id'], name=op.f('fk_incentive_month_scores_rep_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_incentive_month_scores_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incentive_month_scores')),
    sa.UniqueConstraint('close_id', 'rep_id', name=op.f('uq_incentive_month_scores_close_id'))
    )
    with op.batch_alter_table('incentive_month_scores', schema=None) as batch_op:
        batch_op.create_index('ix_incentive_month_scores_rep_id_month', ['rep_id', 'month'], unique=False)

    op.create_table('ticket_disputes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('rep_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('status', sa.Enum('open', 'accepted', 'declined', name='disputestatus', native_enum=False, length=16), nullable=False),
    sa.Column('filed_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.Enum('exclude', 'reassign', name='resolution', native_enum=False, length=16), nullable=True),
    sa.Column('reassigned_to_id', sa.Integer(), nullable=True),
    sa.Column('decision_note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_ticket_disputes_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reassigned_to_id'], ['users.id'], name=op.f('fk_ticket_disputes_reassigned_to_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rep_id'], ['users.id'], name=op.f('fk_ticket_disputes_rep_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_disputes_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_disputes'))
    )
    with op.batch_alter_table('ticket_disputes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_disputes_rep_id'), ['rep_id'], unique=False)
        batch_op.create_index('ix_ticket_disputes_status_month', ['status', 'month'], unique=False)
        batch_op.create_index('ix_ticket_disputes_ticket_id', ['ticket_id'], unique=False)


def downgrade():
    with op.batch_alter_table('ticket_disputes', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_disputes_ticket_id')
        batch_op.drop_index('ix_ticket_disputes_status_month')
        batch_op.drop_index(batch_op.f('ix_ticket_disputes_rep_id'))

    op.drop_table('ticket_disputes')
    with op.batch_alter_table('incentive_month_scores', schema=None) as batch_op:
        batch_op.drop_index('ix_incentive_month_scores_rep_id_month')

    op.drop_table('incentive_month_scores')
    with op.batch_alter_table('incentive_month_closes', schema=None) as batch_op:
        batch_op.drop_index('ix_incentive_month_closes_month')

    op.drop_table('incentive_month_closes')
    op.drop_table('incentive_plan_versions')
    op.drop_table('incentive_plans')
