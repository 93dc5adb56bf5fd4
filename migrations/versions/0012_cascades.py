"""cascades: one person asked on several channels in turn; invitations carry their cascade and step

Revision ID: 0012_cascades
Revises: 0011_key_rotation
Create Date: 2026-12-02 02:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0012_cascades'
down_revision = '0011_key_rotation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cascades',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('respondent_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('steps', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('stop_on', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('current_step', sa.Integer(), nullable=False),
    sa.Column('last_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_cascades_org_id_orgs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['respondent_id'], ['respondents.id'], name=op.f('fk_cascades_respondent_id_respondents'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_cascades_survey_id_surveys'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cascades'))
    )
    with op.batch_alter_table('cascades', schema=None) as batch_op:
        batch_op.create_index('ix_cascades_survey_respondent', ['survey_id', 'respondent_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_cascades_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cascades_respondent_id'), ['respondent_id'], unique=False)
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cascade_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('step', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_invitations_cascade_id'), ['cascade_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_invitations_cascade_id_cascades'), 'cascades', ['cascade_id'],
                                    ['id'], ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_invitations_cascade_id_cascades'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_invitations_cascade_id'))
        batch_op.drop_column('step')
        batch_op.drop_column('cascade_id')
    with op.batch_alter_table('cascades', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cascades_respondent_id'))
        batch_op.drop_index(batch_op.f('ix_cascades_org_id'))
        batch_op.drop_index('ix_cascades_survey_respondent')
    op.drop_table('cascades')
