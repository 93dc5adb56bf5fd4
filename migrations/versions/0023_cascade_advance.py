"""cascade advances: a sent step waits in cascade_advances for its cascade's next step, made in bulk after the batch

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
    op.create_table(
        'cascade_advances',
        sa.Column('cascade_id', sa.Integer(), nullable=False),
        sa.Column('step', sa.Integer(), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['cascade_id'], ['cascades.id'], name=op.f('fk_cascade_advances_cascade_id_cascades'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('cascade_id', name=op.f('pk_cascade_advances')),
    )


def downgrade():
    op.drop_table('cascade_advances')
