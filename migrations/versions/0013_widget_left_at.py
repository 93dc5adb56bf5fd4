"""widget visits that ended unfinished: responses.left_at, and the abandon sweep's index

Visits already open when this runs count as left (at their last write): turning after_widget on
must not start cascades for visits abandoned before it was built.

Revision ID: 0013_widget_left_at
Revises: 0012_cascades
Create Date: 2026-12-02 04:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_widget_left_at'
down_revision = '0012_cascades'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('left_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_responses_open_visits', ['channel', 'status', 'left_at', 'updated_at'],
                              unique=False)
    op.execute("UPDATE responses SET left_at = updated_at WHERE channel = 'widget' AND status = 'partial'")


def downgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_open_visits')
        batch_op.drop_column('left_at')
