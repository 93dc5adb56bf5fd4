"""delivery hardening: paused channels, and a count of each queued row's errors

Revision ID: 0008_delivery_hardening
Revises: 0007_trial_counts
Create Date: 2026-12-01 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_delivery_hardening'
down_revision = '0007_trial_counts'
branch_labels = None
depends_on = None

QUEUES = ('invitations', 'sms_messages', 'webhook_deliveries')


def upgrade():
    op.create_table(
        'delivery_pauses',
        sa.Column('channel', sa.String(length=300), nullable=False),
        sa.Column('paused_until', sa.DateTime(timezone=True), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('probe_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.Column('since', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('channel', name=op.f('pk_delivery_pauses')),
    )
    for table in QUEUES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('errors', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    for table in QUEUES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('errors')
    op.drop_table('delivery_pauses')
