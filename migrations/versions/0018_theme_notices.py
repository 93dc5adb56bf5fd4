"""theme campaigns: a manager's message about an addressed theme, and the notices (the send queue)

Revision ID: 0018_theme_notices
Revises: 0017_follow_ups
Create Date: 2026-12-02 20:45:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0018_theme_notices'
down_revision = '0017_follow_ups'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
WHEN = sa.DateTime(timezone=True)


def upgrade():
    op.create_table('theme_campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.Column('message', JSON, nullable=False),
    sa.Column('default_locale', sa.String(length=35), nullable=False),
    sa.Column('link', sa.String(length=2000), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=True),
    sa.Column('created_at', WHEN, nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_theme_campaigns_org_id_orgs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], name=op.f('fk_theme_campaigns_theme_id_themes'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_theme_campaigns')),
    sa.UniqueConstraint('theme_id', name=op.f('uq_theme_campaigns_theme_id'))
    )
    with op.batch_alter_table('theme_campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_theme_campaigns_org_id'), ['org_id'], unique=False)
    op.create_table('theme_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('respondent_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=True),
    sa.Column('address', sa.String(length=320), nullable=True),
    sa.Column('locale', sa.String(length=35), nullable=True),
    sa.Column('reason', sa.String(length=100), nullable=True),
    sa.Column('provider_message_id', sa.String(length=200), nullable=True),
    sa.Column('sent_at', WHEN, nullable=True),
    sa.Column('opened_at', WHEN, nullable=True),
    sa.Column('clicked_at', WHEN, nullable=True),
    sa.Column('created_at', WHEN, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('due_at', WHEN, nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lease_until', WHEN, nullable=True),
    sa.Column('claimed_by', sa.String(length=100), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('errors', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['theme_campaigns.id'],
                            name=op.f('fk_theme_notices_campaign_id_theme_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_theme_notices_org_id_orgs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['respondent_id'], ['respondents.id'],
                            name=op.f('fk_theme_notices_respondent_id_respondents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_theme_notices')),
    sa.UniqueConstraint('campaign_id', 'respondent_id', name=op.f('uq_theme_notices_campaign_id_respondent_id'))
    )
    with op.batch_alter_table('theme_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_theme_notices_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_theme_notices_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_theme_notices_respondent_id'), ['respondent_id'], unique=False)
        batch_op.create_index('ix_theme_notices_queue', ['status', 'due_at'], unique=False)


def downgrade():
    op.drop_table('theme_notices')
    op.drop_table('theme_campaigns')
