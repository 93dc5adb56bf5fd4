"""rate-limit counters shared by all processes; a session version per manager

Revision ID: 0010_limits_sessions
Revises: 0009_repair_text
Create Date: 2026-12-01 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_limits_sessions'
down_revision = '0009_repair_text'
branch_labels = None
depends_on = None


def upgrade():
    # if_not_exists: the rate-limit storage creates its table itself in a database given only to it,
    # and a server started before this upgrade may already have done so in the app's.
    op.create_table('rate_limit_counters',
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.Column('expires_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_counters')),
        if_not_exists=True,
    )
    op.create_index(op.f('ix_rate_limit_counters_expires_at'), 'rate_limit_counters', ['expires_at'],
                    unique=False, if_not_exists=True)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
    op.drop_index(op.f('ix_rate_limit_counters_expires_at'), table_name='rate_limit_counters')
    op.drop_table('rate_limit_counters')
