"""trial counts: recount the invited funnel; finish widget responses saved by an accepted offer

Invitations used to insert their 'invited' events without counting them, so the stats' `invited` was 0;
this recounts it from the events. Widget responses whose flow ended with an accepted save offer used to
stay partial; they are completed now (CONTRACT §10), with a 'completed' event, its counters and
`metadata.offer`. The widget's offer state moves from `metadata.widget.offer` to `metadata.offer`.
Data only, no schema change; self-contained (it reads and writes the tables as they are at 0006).

Revision ID: 0007_trial_counts
Revises: 0006_sms_session_version
Create Date: 2026-12-01 22:00:00

"""
from collections import Counter
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite


# revision identifiers, used by Alembic.
revision = '0007_trial_counts'
down_revision = '0006_sms_session_version'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
TIME = sa.DateTime(timezone=True)
MAX_ATTRIBUTE_VALUE = 200  # as surveyhub/counters.py: longer values have no counters

events = sa.table('events', sa.column('id', sa.Integer), sa.column('org_id', sa.Integer),
                  sa.column('survey_id', sa.Integer), sa.column('channel', sa.String), sa.column('type', sa.String),
                  sa.column('response_id', sa.Integer), sa.column('invitation_id', sa.Integer),
                  sa.column('occurred_at', TIME), sa.column('data', JSON))
invitations = sa.table('invitations', sa.column('id', sa.Integer), sa.column('respondent_id', sa.Integer))
respondents = sa.table('respondents', sa.column('id', sa.Integer), sa.column('attributes', JSON))
responses = sa.table('responses', sa.column('id', sa.Integer), sa.column('org_id', sa.Integer),
                     sa.column('survey_id', sa.Integer), sa.column('respondent_id', sa.Integer),
                     sa.column('channel', sa.String), sa.column('status', sa.String),
                     sa.column('completed_at', TIME), sa.column('updated_at', TIME), sa.column('metadata', JSON))
funnel = sa.table('stats_funnel', sa.column('survey_id', sa.Integer), sa.column('segment', sa.String),
                  sa.column('day', sa.Date), sa.column('channel', sa.String), sa.column('metric', sa.String),
                  sa.column('shard', sa.SmallInteger), sa.column('count', sa.BigInteger))
FUNNEL_KEY = ['survey_id', 'segment', 'day', 'channel', 'metric', 'shard']


def upgrade():
    conn = op.get_bind()
    keys = list(current_app.config.get('STATS_ATTRIBUTES', ['plan']))
    _recount_invited(conn, keys)
    _move_offer_metadata(conn)
    _finish_saved_responses(conn, keys)


def downgrade():
    # Data repairs only: the counts and statuses they fixed were wrong, so there is nothing to restore.
    pass


def _segments(attributes, keys):
    """The counter segments a person's attributes put them in: "" (everyone) and KEY=VALUE per indexed key."""
    out = ['']
    for key in keys:
        value = (attributes or {}).get(key)
        if isinstance(value, bool):
            text = 'true' if value else 'false'
        elif isinstance(value, int | str):
            text = str(value)
        else:
            continue
        if len(text) <= MAX_ATTRIBUTE_VALUE:
            out.append(f'{key}={text}')
    return out


def _utc_day(moment):
    """The UTC day of a stored time (SQLite gives it back naive, in UTC)."""
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)).date()


def _now(conn):
    now = datetime.now(UTC)
    return now.replace(tzinfo=None) if conn.dialect.name == 'sqlite' else now


def _recount_invited(conn, keys):
    """Replace the `invited` counters with a count of the `invited` events, for everyone and each segment."""
    conn.execute(sa.delete(funnel).where(funnel.c.metric == 'invited'))
    counts = Counter()
    rows = conn.execute(
        sa.select(events.c.survey_id, events.c.channel, events.c.occurred_at, respondents.c.attributes)
        .select_from(events)
        .outerjoin(invitations, invitations.c.id == events.c.invitation_id)
        .outerjoin(respondents, respondents.c.id == invitations.c.respondent_id)
        .where(events.c.type == 'invited', events.c.survey_id.is_not(None), events.c.channel.is_not(None))
        .execution_options(yield_per=5000)
    )
    for survey_id, channel, occurred_at, attributes in rows:
        for segment in _segments(attributes, keys):
            counts[(survey_id, segment, _utc_day(occurred_at), channel)] += 1
    batch = [{'survey_id': s, 'segment': g, 'day': d, 'channel': c, 'metric': 'invited', 'shard': 0, 'count': n}
             for (s, g, d, c), n in counts.items()]
    for start in range(0, len(batch), 1000):
        conn.execute(sa.insert(funnel), batch[start:start + 1000])


def _move_offer_metadata(conn):
    """Move the widget's offer state from metadata.widget.offer to metadata.offer."""
    moved = []
    for response_id, meta in conn.execute(
            sa.select(responses.c.id, responses.c.metadata).where(responses.c.channel == 'widget')):
        widget = dict((meta or {}).get('widget') or {})
        if 'offer' in widget:
            offer = widget.pop('offer')
            moved.append((response_id, {**meta, 'widget': widget, 'offer': offer}))
    for response_id, meta in moved:
        conn.execute(sa.update(responses).where(responses.c.id == response_id).values(metadata=meta))


def _finish_saved_responses(conn, keys):
    """Complete partial widget responses whose offer was accepted, as if completed at the acceptance."""
    accepted = conn.execute(
        sa.select(responses.c.id, responses.c.org_id, responses.c.survey_id, responses.c.channel,
                  responses.c.metadata, respondents.c.attributes, events.c.occurred_at, events.c.data)
        .select_from(responses)
        .join(events, sa.and_(events.c.response_id == responses.c.id, events.c.type == 'offer_accepted'))
        .outerjoin(respondents, respondents.c.id == responses.c.respondent_id)
        .where(responses.c.status == 'partial', responses.c.channel == 'widget')
        .order_by(responses.c.id, events.c.occurred_at)
    ).all()
    done = set()
    counts = Counter()
    now = _now(conn)
    for response_id, org_id, survey_id, channel, meta, attributes, accepted_at, data in accepted:
        if response_id in done:
            continue
        done.add(response_id)
        offer = {'id': (data or {}).get('offer') or ((meta or {}).get('offer') or {}).get('id'), 'accepted': True}
        conn.execute(sa.update(responses).where(responses.c.id == response_id, responses.c.status == 'partial')
                     .values(status='completed', completed_at=accepted_at, updated_at=now,
                             metadata={**(meta or {}), 'offer': offer}))
        conn.execute(sa.insert(events).values(org_id=org_id, survey_id=survey_id, channel=channel, type='completed',
                                              response_id=response_id, occurred_at=accepted_at, data={}))
        for segment in _segments(attributes, keys):
            counts[(survey_id, segment, _utc_day(accepted_at), channel)] += 1
    if not counts:
        return
    upsert = (postgresql.insert if conn.dialect.name == 'postgresql' else sqlite.insert)(funnel)
    upsert = upsert.on_conflict_do_update(index_elements=FUNNEL_KEY,
                                          set_={'count': funnel.c.count + upsert.excluded['count']})
    conn.execute(upsert, [{'survey_id': s, 'segment': g, 'day': d, 'channel': c, 'metric': 'completed',
                           'shard': 0, 'count': n} for (s, g, d, c), n in counts.items()])
