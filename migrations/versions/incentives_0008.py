"""incentives: who has turned off their scorecard e-mails

A rep's scorecard is e-mailed to them when a month closes unless they turned it off on
their scorecard page; a row here says they did.

Revision ID: incentives_0008
Revises: incentives_0007
Create Date: 2026-12-07 20:05:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'incentives_0008'
down_revision = 'incentives_0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('incentive_scorecard_mail_optouts',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_incentive_scorecard_mail_optouts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_incentive_scorecard_mail_optouts'))
    )


def downgrade():
    op.drop_table('incentive_scorecard_mail_optouts')
