"""voice: departments and problem reports

Departments (owner, deputies and members who respond, a contact rota), problem reports
from the front line with the tickets they affected, "+1"s, and each report's status
history (append-only).

Revision ID: voice_0001
Revises: quality_0001
Create Date: 2026-12-07 22:39:09.157271

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'voice_0001'
down_revision = 'quality_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('voice_departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('ack_target_hours', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_voice_departments_owner_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_departments')),
    sa.UniqueConstraint('name', name=op.f('uq_voice_departments_name'))
    )
    op.create_table('voice_department_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('deputy', 'member', name='memberkind', native_enum=False, length=16), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['voice_departments.id'], name=op.f('fk_voice_department_members_department_id_voice_departments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_voice_department_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_department_members')),
    sa.UniqueConstraint('department_id', 'user_id', name=op.f('uq_voice_department_members_department_id'))
    )
    with op.batch_alter_table('voice_department_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voice_department_members_user_id'), ['user_id'], unique=False)

    op.create_table('voice_problem_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('story', sa.Text(), nullable=False),
    sa.Column('category', sa.Enum('product', 'shipping', 'billing', 'policy', 'public_review', 'other', name='category', native_enum=False, length=16), nullable=False),
    sa.Column('severity', sa.Enum('low', 'medium', 'high', 'critical', name='severity', native_enum=False, length=16), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('new', 'acknowledged', 'in_progress', 'fixed', 'wont_fix', 'duplicate', name='problemstatus', native_enum=False, length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('escalation', sa.Integer(), nullable=False),
    sa.Column('escalated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['voice_departments.id'], name=op.f('fk_voice_problem_reports_department_id_voice_departments'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['voice_problem_reports.id'], name=op.f('fk_voice_problem_reports_duplicate_of_id_voice_problem_reports'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_voice_problem_reports_reporter_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_problem_reports'))
    )
    with op.batch_alter_table('voice_problem_reports', schema=None) as batch_op:
        batch_op.create_index('ix_voice_problem_reports_created', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_voice_problem_reports_department_status', ['department_id', 'status', 'created_at', 'acknowledged_at', 'closed_at'], unique=False)
        batch_op.create_index('ix_voice_problem_reports_reporter', ['reporter_id', 'created_at'], unique=False)
        batch_op.create_index('ix_voice_problem_reports_status_created', ['status', 'created_at'], unique=False)

    op.create_table('voice_rota_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('weekdays', sa.String(length=7), nullable=False),
    sa.Column('start_minute', sa.Integer(), nullable=False),
    sa.Column('end_minute', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('contact', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['voice_departments.id'], name=op.f('fk_voice_rota_entries_department_id_voice_departments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_rota_entries'))
    )
    with op.batch_alter_table('voice_rota_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voice_rota_entries_department_id'), ['department_id'], unique=False)

    op.create_table('voice_problem_supports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['voice_problem_reports.id'], name=op.f('fk_voice_problem_supports_report_id_voice_problem_reports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_voice_problem_supports_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_problem_supports')),
    sa.UniqueConstraint('report_id', 'user_id', name=op.f('uq_voice_problem_supports_report_id'))
    )
    with op.batch_alter_table('voice_problem_supports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voice_problem_supports_user_id'), ['user_id'], unique=False)

    op.create_table('voice_problem_tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('known', sa.Boolean(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_voice_problem_tickets_added_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['report_id'], ['voice_problem_reports.id'], name=op.f('fk_voice_problem_tickets_report_id_voice_problem_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_problem_tickets')),
    sa.UniqueConstraint('report_id', 'external_id', name=op.f('uq_voice_problem_tickets_report_id'))
    )
    with op.batch_alter_table('voice_problem_tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voice_problem_tickets_external_id'), ['external_id'], unique=False)

    op.create_table('voice_status_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.Enum('new', 'acknowledged', 'in_progress', 'fixed', 'wont_fix', 'duplicate', name='problemstatus', native_enum=False, length=16), nullable=True),
    sa.Column('to_status', sa.Enum('new', 'acknowledged', 'in_progress', 'fixed', 'wont_fix', 'duplicate', name='problemstatus', native_enum=False, length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_voice_status_changes_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['report_id'], ['voice_problem_reports.id'], name=op.f('fk_voice_status_changes_report_id_voice_problem_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_status_changes'))
    )
    with op.batch_alter_table('voice_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voice_status_changes_report_id'), ['report_id'], unique=False)



def downgrade():
    with op.batch_alter_table('voice_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voice_status_changes_report_id'))

    op.drop_table('voice_status_changes')
    with op.batch_alter_table('voice_problem_tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voice_problem_tickets_external_id'))

    op.drop_table('voice_problem_tickets')
    with op.batch_alter_table('voice_problem_supports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voice_problem_supports_user_id'))

    op.drop_table('voice_problem_supports')
    with op.batch_alter_table('voice_rota_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voice_rota_entries_department_id'))

    op.drop_table('voice_rota_entries')
    with op.batch_alter_table('voice_problem_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_voice_problem_reports_status_created')
        batch_op.drop_index('ix_voice_problem_reports_reporter')
        batch_op.drop_index('ix_voice_problem_reports_department_status')
        batch_op.drop_index('ix_voice_problem_reports_created')

    op.drop_table('voice_problem_reports')
    with op.batch_alter_table('voice_department_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voice_department_members_user_id'))

    op.drop_table('voice_department_members')
    op.drop_table('voice_departments')
