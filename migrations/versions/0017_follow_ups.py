"""follow-ups: a table of follow-ups with status, owner, notes and due date; backfilled for detractors

Revision ID: 0017_follow_ups
Revises: 0016_themes
Create Date: 2026-12-02 20:40:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0017_follow_ups'
down_revision = '0016_themes'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
DETRACTOR_SCORES = range(0, 7)


def upgrade():
    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('notes', JSON, nullable=False),
    sa.Column('due', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_follow_ups_org_id_orgs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_follow_ups_owner_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_follow_ups_response_id_responses'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_follow_ups_survey_id_surveys'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups')),
    sa.UniqueConstraint('response_id', 'reason', name=op.f('uq_follow_ups_response_id_reason'))
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index('ix_follow_ups_owner_status', ['owner_id', 'status'], unique=False)
        batch_op.create_index('ix_follow_ups_survey_status', ['survey_id', 'status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_ups_org_id'), ['org_id'], unique=False)
    _backfill()
    op.drop_table('follow_ups_done')


def _backfill():
    """Open a follow-up for every detractor answer so far; resolved where it was marked done."""
    bind = op.get_bind()
    versions = sa.table('survey_versions', sa.column('id'), sa.column('definition', JSON))
    responses = sa.table('responses', sa.column('id'), sa.column('org_id'), sa.column('survey_id'),
                         sa.column('survey_version_id'), sa.column('responded_at'), sa.column('started_at'))
    answers = sa.table('answers', sa.column('response_id'), sa.column('question_id'), sa.column('value', JSON))
    done = sa.table('follow_ups_done', sa.column('response_id'), sa.column('done_by_user_id'),
                    sa.column('done_at'))
    follow_ups = sa.table('follow_ups', *(sa.column(name) for name in (
        'org_id', 'survey_id', 'response_id', 'reason', 'status', 'owner_id', 'created_at', 'updated_at')),
        sa.column('notes', JSON))
    for version_id, definition in bind.execute(sa.select(versions.c.id, versions.c.definition)).all():
        nps_ids = [q['id'] for q in (definition or {}).get('questions', []) if q.get('type') == 'nps']
        if not nps_ids:
            continue
        rows = bind.execute(
            sa.select(responses.c.id, responses.c.org_id, responses.c.survey_id, answers.c.value,
                      sa.func.coalesce(responses.c.responded_at, responses.c.started_at),
                      done.c.done_by_user_id, done.c.done_at)
            .join(answers, answers.c.response_id == responses.c.id)
            .outerjoin(done, done.c.response_id == responses.c.id)
            .where(responses.c.survey_version_id == version_id, answers.c.question_id.in_(nps_ids))
            .order_by(responses.c.id)).all()
        seen = set()
        batch = []
        for response_id, org_id, survey_id, value, at, done_by, done_at in rows:
            if response_id in seen or isinstance(value, bool) or value not in DETRACTOR_SCORES:
                continue
            seen.add(response_id)
            batch.append({'org_id': org_id, 'survey_id': survey_id, 'response_id': response_id,
                          'reason': 'detractor', 'status': 'resolved' if done_at is not None else 'open',
                          'owner_id': done_by, 'notes': [], 'created_at': at, 'updated_at': done_at or at})
        if batch:
            bind.execute(follow_ups.insert(), batch)


def downgrade():
    op.create_table('follow_ups_done',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('done_by_user_id', sa.Integer(), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['done_by_user_id'], ['users.id'], name=op.f('fk_follow_ups_done_done_by_user_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_follow_ups_done_response_id_responses'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', name=op.f('pk_follow_ups_done'))
    )
    op.execute("INSERT INTO follow_ups_done (response_id, done_by_user_id, done_at) "
               "SELECT response_id, MIN(owner_id), MAX(updated_at) FROM follow_ups "
               "WHERE status = 'resolved' GROUP BY response_id")
    op.drop_table('follow_ups')
