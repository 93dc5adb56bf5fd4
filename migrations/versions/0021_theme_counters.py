"""theme counters: answers carry their survey; stats_themes; theme answers indexed by theme and answer

Revision ID: 0021_theme_counters
Revises: 0020_dashboard_indexes
Create Date: 2026-12-03 14:00:00

The insights page's themes panel and open answers read one survey's texts, or its theme counters,
instead of every survey's answers to a question id. Existing groupings start uncounted: the next
listing of each counts its texts once (themes.store.ensure_counted).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_theme_counters'
down_revision = '0020_dashboard_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('survey_id', sa.Integer(), nullable=True))
    op.execute('UPDATE answers SET survey_id = (SELECT responses.survey_id FROM responses '
               'WHERE responses.id = answers.response_id)')
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.alter_column('survey_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(op.f('fk_answers_survey_id_surveys'), 'surveys', ['survey_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.drop_index('ix_answers_other_texts')
        batch_op.create_index('ix_answers_survey_question_id', ['survey_id', 'question_id', 'id'], unique=False)
        batch_op.create_index('ix_answers_survey_other_texts', ['survey_id', 'id'], unique=False,
                              postgresql_where=sa.text('other_text IS NOT NULL'),
                              sqlite_where=sa.text('other_text IS NOT NULL'))
    op.create_table(
        'stats_themes',
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.String(length=100), nullable=False),
        sa.Column('theme_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_stats_themes_survey_id_surveys'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('survey_id', 'question_id', 'theme_id', 'day', 'channel', 'language',
                                name=op.f('pk_stats_themes')),
    )
    with op.batch_alter_table('theme_models', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counted', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('theme_models', schema=None) as batch_op:
        batch_op.alter_column('counted', existing_type=sa.Boolean(), server_default=None)
    with op.batch_alter_table('theme_answers', schema=None) as batch_op:
        batch_op.drop_index('ix_theme_answers_theme_id')
        batch_op.create_index('ix_theme_answers_theme_answer', ['theme_id', 'answer_id'], unique=False)


def downgrade():
    with op.batch_alter_table('theme_answers', schema=None) as batch_op:
        batch_op.drop_index('ix_theme_answers_theme_answer')
        batch_op.create_index('ix_theme_answers_theme_id', ['theme_id'], unique=False)
    with op.batch_alter_table('theme_models', schema=None) as batch_op:
        batch_op.drop_column('counted')
    op.drop_table('stats_themes')
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_index('ix_answers_survey_other_texts')
        batch_op.drop_index('ix_answers_survey_question_id')
        batch_op.create_index('ix_answers_other_texts', ['question_id', 'response_id'], unique=False,
                              postgresql_where=sa.text('other_text IS NOT NULL'),
                              sqlite_where=sa.text('other_text IS NOT NULL'))
        batch_op.drop_constraint(op.f('fk_answers_survey_id_surveys'), type_='foreignkey')
        batch_op.drop_column('survey_id')
