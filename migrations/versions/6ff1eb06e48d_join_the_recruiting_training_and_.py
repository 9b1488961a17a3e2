"""join the recruiting, training and incentives branches

Revision ID: 6ff1eb06e48d
Revises: incentives_0001, recruiting_0001, training_0001
Create Date: 2026-11-23 17:50:07.994711

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6ff1eb06e48d'
down_revision = ('incentives_0001', 'recruiting_0001', 'training_0001')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
