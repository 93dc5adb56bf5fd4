"""cascade advance: a sent step's cascade waits (advance_due) for its next step, made in bulk after the batch

Revision ID: 0023_cascade_advance
Revises: 0022_contact_indexes
Create Date: 2026-12-07 15:25:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023_cascade_advance'
down_revision = '0022_contact_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cascades', schema=None) as batch_op:
        batch_op.add_column(sa.Column('advance_due', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_cascades_advance_due', ['advance_due'], unique=False,
                              postgresql_where=sa.text('advance_due IS NOT NULL'),
                              sqlite_where=sa.text('advance_due IS NOT NULL'))


def downgrade():
    with op.batch_alter_table('cascades', schema=None) as batch_op:
        batch_op.drop_index('ix_cascades_advance_due')
        batch_op.drop_column('advance_due')
