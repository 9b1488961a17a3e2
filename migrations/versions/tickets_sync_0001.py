"""tickets: where the next API sync of each helpdesk starts

``tickets sync --source zendesk|freshdesk`` keeps one cursor per source (Zendesk's
``after_cursor``, Freshdesk's ``updated_since``), moved on in the same transaction as the
import it follows.

Revision ID: tickets_sync_0001
Revises: incentives_0008
Create Date: 2026-12-07 19:45:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'tickets_sync_0001'
down_revision = 'incentives_0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ticket_sync_cursors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('cursor', sa.String(length=1000), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(
        ['import_id'], ['ticket_imports.id'],
        name=op.f('fk_ticket_sync_cursors_import_id_ticket_imports'), ondelete='SET NULL',
    ),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_sync_cursors')),
    sa.UniqueConstraint('source', name=op.f('uq_ticket_sync_cursors_source'))
    )


def downgrade():
    op.drop_table('ticket_sync_cursors')
