"""sms sessions keep the survey version their first message asked from

Revision ID: 0006_sms_session_version
Revises: 0004_insights
Create Date: 2026-11-23 13:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_sms_session_version'
down_revision = '0004_insights'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sms_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('survey_version_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_sms_sessions_survey_version_id_survey_versions'),
                                    'survey_versions', ['survey_version_id'], ['id'])


def downgrade():
    with op.batch_alter_table('sms_sessions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_sms_sessions_survey_version_id_survey_versions'), type_='foreignkey')
        batch_op.drop_column('survey_version_id')
