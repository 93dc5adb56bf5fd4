"""insights: stats counters, follow-up marks, webhooks, indexes for attribute filters and erasure

Revision ID: 0004_insights
Revises: 0005_sms
Create Date: 2026-11-23 08:56:13.033445

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0004_insights'
down_revision = '0005_sms'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stats_answers',
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('segment', sa.String(length=255), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('question_id', sa.String(length=100), nullable=False),
    sa.Column('bucket', sa.String(length=120), nullable=False),
    sa.Column('shard', sa.SmallInteger(), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_stats_answers_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('survey_id', 'segment', 'day', 'channel', 'question_id', 'bucket', 'shard', name=op.f('pk_stats_answers'))
    )
    op.create_table('stats_funnel',
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('segment', sa.String(length=255), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('metric', sa.String(length=120), nullable=False),
    sa.Column('shard', sa.SmallInteger(), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_stats_funnel_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('survey_id', 'segment', 'day', 'channel', 'metric', 'shard', name=op.f('pk_stats_funnel'))
    )
    op.create_table('follow_ups_done',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('done_by_user_id', sa.Integer(), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['done_by_user_id'], ['users.id'], name=op.f('fk_follow_ups_done_done_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_follow_ups_done_response_id_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', name=op.f('pk_follow_ups_done'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_invitation_id', ['invitation_id'], unique=False)
        batch_op.create_index('ix_events_response_id', ['response_id'], unique=False)

    # Attribute lookups (jsonb @>) for stats filters without counters: GIN on PostgreSQL; on SQLite
    # a plain index that only keeps the schema equal to the models'.
    with op.batch_alter_table('respondents', schema=None) as batch_op:
        batch_op.create_index('ix_respondents_attributes', ['attributes'], unique=False,
                              postgresql_using='gin', postgresql_ops={'attributes': 'jsonb_path_ops'})

    # Outgoing webhooks: endpoints, and their deliveries (a queue of the delivery engine).
    op.create_table('webhook_endpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('events', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('secret_encrypted', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('failures_in_a_row', sa.Integer(), nullable=False),
    sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('disabled_reason', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_webhook_endpoints_org_id_orgs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoints'))
    )
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_endpoints_org_id'), ['org_id'], unique=False)

    op.create_table('webhook_deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('event_type', sa.String(length=40), nullable=False),
    sa.Column('message_id', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=100), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoints.id'], name=op.f('fk_webhook_deliveries_endpoint_id_webhook_endpoints'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_webhook_deliveries_org_id_orgs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
    sa.UniqueConstraint('message_id', name=op.f('uq_webhook_deliveries_message_id'))
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_deliveries_endpoint', ['endpoint_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_webhook_deliveries_queue', ['status', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_response_id'), ['response_id'], unique=False)


def downgrade():
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_response_id'))
        batch_op.drop_index('ix_webhook_deliveries_queue')
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_org_id'))
        batch_op.drop_index('ix_webhook_deliveries_endpoint')

    op.drop_table('webhook_deliveries')
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_endpoints_org_id'))

    op.drop_table('webhook_endpoints')

    with op.batch_alter_table('respondents', schema=None) as batch_op:
        batch_op.drop_index('ix_respondents_attributes')

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_response_id')
        batch_op.drop_index('ix_events_invitation_id')

    op.drop_table('follow_ups_done')
    op.drop_table('stats_funnel')
    op.drop_table('stats_answers')
