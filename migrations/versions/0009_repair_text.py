"""repair stored text no database should hold: NUL bytes dropped, lone surrogates made U+FFFD

Before input was checked at the edge, SQLite kept what PostgreSQL refuses: a NUL byte or a lone UTF-16
surrogate in an open answer, response metadata, respondent attributes or event data. Such a row broke
the insights page (500) and cut CSV/JSON exports short. PostgreSQL never held them: nothing to do there.

Revision ID: 0009_repair_text
Revises: 0008_delivery_hardening
Create Date: 2026-12-01 22:30:00

"""
import json
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_repair_text'
down_revision = '0008_delivery_hardening'
branch_labels = None
depends_on = None

# (table, column, holds JSON)
COLUMNS = [
    ('answers', 'value', True),
    ('answers', 'other_text', False),
    ('responses', 'metadata', True),
    ('respondents', 'attributes', True),
    ('events', 'data', True),
]
LONE_SURROGATE = re.compile('[\ud800-\udfff]')


def _clean(value):
    if isinstance(value, str):
        return LONE_SURROGATE.sub('\ufffd', value.replace('\x00', ''))
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {_clean(key): _clean(item) for key, item in value.items()}
    return value


def upgrade():
    connection = op.get_bind()
    if connection.dialect.name != 'sqlite':
        return
    for table, column, holds_json in COLUMNS:
        rows = connection.execute(sa.text(f'SELECT id, "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL'))
        for row_id, stored in rows.fetchall():
            if holds_json:
                repaired = json.dumps(_clean(json.loads(stored)))
                changed = repaired != json.dumps(json.loads(stored))
            else:
                repaired = _clean(stored)
                changed = repaired != stored
            if changed:
                connection.execute(sa.text(f'UPDATE "{table}" SET "{column}" = :value WHERE id = :id'),
                                   {'value': repaired, 'id': row_id})


def downgrade():
    pass  # the text removed was never meant to be stored
