"""recruiting: who saw a blind candidate's details before rating the test

In a blind opening a candidate's identity stays hidden from each reviewer until they
have rated the test result. Someone who needs the details first (to send the test link
by hand, for a data request) may see them; that is recorded here, once per person.

Revision ID: recruiting_0003
Revises: recruiting_0002
Create Date: 2026-12-07 13:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'recruiting_0003'
down_revision = 'recruiting_0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'candidate_reveals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('candidate_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Enum('send_link', 'data_request', 'contact', name='revealreason', native_enum=False, length=20), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_candidate_reveals_candidate_id_candidates'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_candidate_reveals_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_candidate_reveals')),
        sa.UniqueConstraint('candidate_id', 'user_id', name=op.f('uq_candidate_reveals_candidate_id')),
    )
    with op.batch_alter_table('candidate_reveals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_candidate_reveals_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('candidate_reveals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_candidate_reveals_user_id'))
    op.drop_table('candidate_reveals')
