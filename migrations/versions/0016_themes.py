"""themes of open answers: a question's stored grouping, its themes, and each answer's theme

Revision ID: 0016_themes
Revises: 0013_widget_left_at
Create Date: 2026-12-02 10:45:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0016_themes'
down_revision = '0013_widget_left_at'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade():
    op.create_table('theme_models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.String(length=100), nullable=False),
    sa.Column('model', JSON, nullable=False),
    sa.Column('slots', JSON, nullable=False),
    sa.Column('grouped_count', sa.Integer(), nullable=False),
    sa.Column('grouped_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_theme_models_org_id_orgs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_theme_models_survey_id_surveys'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_theme_models')),
    sa.UniqueConstraint('survey_id', 'question_id', name=op.f('uq_theme_models_survey_id_question_id'))
    )
    with op.batch_alter_table('theme_models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_theme_models_org_id'), ['org_id'], unique=False)
    op.create_table('themes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.String(length=100), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('choice_labels', JSON, nullable=True),
    sa.Column('custom_label', sa.String(length=200), nullable=True),
    sa.Column('addressed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_themes_org_id_orgs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_themes_survey_id_surveys'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_themes')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.create_index('ix_themes_survey_question', ['survey_id', 'question_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_themes_org_id'), ['org_id'], unique=False)
    op.create_table('theme_answers',
    sa.Column('answer_id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['answer_id'], ['answers.id'], name=op.f('fk_theme_answers_answer_id_answers'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], name=op.f('fk_theme_answers_theme_id_themes'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('answer_id', name=op.f('pk_theme_answers'))
    )
    with op.batch_alter_table('theme_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_theme_answers_theme_id'), ['theme_id'], unique=False)


def downgrade():
    op.drop_table('theme_answers')
    op.drop_table('themes')
    op.drop_table('theme_models')
