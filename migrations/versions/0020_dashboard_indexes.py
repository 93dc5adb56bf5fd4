"""dashboard indexes: a question's answers, the "other" texts, responses by survey covering date and channel

Revision ID: 0020_dashboard_indexes
Revises: 0019_user_locale
Create Date: 2026-12-03 07:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_dashboard_indexes'
down_revision = '0019_user_locale'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_survey_id_id')
        batch_op.create_index('ix_responses_survey_id_id', ['survey_id', 'id'], unique=False,
                              postgresql_include=['responded_at', 'channel'])
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.create_index('ix_answers_question_response', ['question_id', 'response_id'], unique=False)
        batch_op.create_index('ix_answers_other_texts', ['question_id', 'response_id'], unique=False,
                              postgresql_where=sa.text('other_text IS NOT NULL'),
                              sqlite_where=sa.text('other_text IS NOT NULL'))


def downgrade():
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_index('ix_answers_other_texts')
        batch_op.drop_index('ix_answers_question_response')
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_survey_id_id')
        batch_op.create_index('ix_responses_survey_id_id', ['survey_id', 'id'], unique=False)
