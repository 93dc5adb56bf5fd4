"""contact indexes: people, invitations and cascades found by address within the org; no index on org_id alone

Revision ID: 0022_contact_indexes
Revises: 0021_theme_counters
Create Date: 2026-12-07 14:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0022_contact_indexes'
down_revision = '0021_theme_counters'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('respondents', schema=None) as batch_op:
        batch_op.create_index('ix_respondents_org_email', ['org_id', 'email'], unique=False)
        batch_op.create_index('ix_respondents_org_phone', ['org_id', 'phone'], unique=False)
        batch_op.drop_index('ix_respondents_org_id')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index('ix_invitations_org_address', ['org_id', 'address'], unique=False)
        batch_op.drop_index('ix_invitations_org_id')
    with op.batch_alter_table('cascades', schema=None) as batch_op:
        batch_op.create_index('ix_cascades_org_email', ['org_id', 'email'], unique=False)
        batch_op.create_index('ix_cascades_org_phone', ['org_id', 'phone'], unique=False)
        batch_op.drop_index('ix_cascades_org_id')


def downgrade():
    with op.batch_alter_table('cascades', schema=None) as batch_op:
        batch_op.create_index('ix_cascades_org_id', ['org_id'], unique=False)
        batch_op.drop_index('ix_cascades_org_phone')
        batch_op.drop_index('ix_cascades_org_email')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index('ix_invitations_org_id', ['org_id'], unique=False)
        batch_op.drop_index('ix_invitations_org_address')
    with op.batch_alter_table('respondents', schema=None) as batch_op:
        batch_op.create_index('ix_respondents_org_id', ['org_id'], unique=False)
        batch_op.drop_index('ix_respondents_org_phone')
        batch_op.drop_index('ix_respondents_org_email')
