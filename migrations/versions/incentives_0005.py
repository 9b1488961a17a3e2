"""incentives: a dispute holds one decision; reps acknowledge the plan they are paid on;
plan versions have an effective month and the teams they apply to

Dispute rows two supervisors wrote at once are first made to agree with their status.

Revision ID: incentives_0005
Revises: incentives_0004
Create Date: 2026-12-07 16:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'incentives_0005'
down_revision = 'incentives_0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('incentive_plan_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('effective_from', sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column('team_ids', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    op.create_table('incentive_plan_acknowledgements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_version_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['plan_version_id'], ['incentive_plan_versions.id'], name=op.f('fk_incentive_plan_acknowledgements_plan_version_id_incentive_plan_versions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_incentive_plan_acknowledgements_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incentive_plan_acknowledgements')),
    sa.UniqueConstraint('plan_version_id', 'user_id', 'content_hash', name=op.f('uq_incentive_plan_acknowledgements_plan_version_id'))
    )
    with op.batch_alter_table('incentive_plan_acknowledgements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incentive_plan_acknowledgements_user_id'), ['user_id'], unique=False)

    op.execute(
        "UPDATE ticket_disputes SET resolution = NULL, reassigned_to_id = NULL "
        "WHERE status <> 'accepted'"
    )
    op.execute(
        "UPDATE ticket_disputes SET reassigned_to_id = NULL "
        "WHERE resolution IS NULL OR resolution <> 'reassign'"
    )
    op.execute(
        "UPDATE ticket_disputes SET resolution = 'exclude' "
        "WHERE status = 'accepted' AND resolution IS NULL"
    )
    op.execute(
        "UPDATE ticket_disputes SET decided_at = filed_at "
        "WHERE status <> 'open' AND decided_at IS NULL"
    )
    op.execute(
        "UPDATE ticket_disputes SET decided_at = NULL WHERE status = 'open'"
    )
    with op.batch_alter_table('ticket_disputes', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_ticket_disputes_resolution_only_if_accepted'),
            "(status = 'accepted') = (resolution IS NOT NULL)",
        )
        batch_op.create_check_constraint(
            op.f('ck_ticket_disputes_rep_only_if_reassigned'),
            "reassigned_to_id IS NULL OR resolution = 'reassign'",
        )
        batch_op.create_check_constraint(
            op.f('ck_ticket_disputes_decided_unless_open'), "(status = 'open') = (decided_at IS NULL)"
        )


def downgrade():
    with op.batch_alter_table('incentive_plan_versions', schema=None) as batch_op:
        batch_op.drop_column('team_ids')
        batch_op.drop_column('effective_from')
    with op.batch_alter_table('incentive_plan_acknowledgements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incentive_plan_acknowledgements_user_id'))
    op.drop_table('incentive_plan_acknowledgements')
    with op.batch_alter_table('ticket_disputes', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_ticket_disputes_decided_unless_open'), type_='check')
        batch_op.drop_constraint(op.f('ck_ticket_disputes_rep_only_if_reassigned'), type_='check')
        batch_op.drop_constraint(op.f('ck_ticket_disputes_resolution_only_if_accepted'), type_='check')
