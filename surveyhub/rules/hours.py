"""Quiet hours: the local times (08:00–21:00) an SMS survey may start in, and the zones they are judged in.

Pure: no database, no Flask; the caller says what time it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phonenumber_zones
from phonenumbers.tzdata import TIMEZONE_DATA

# Quiet hours: surveys start only between these local times.
WINDOW_START = time(8, 0)
WINDOW_END = time(21, 0)


def is_timezone(name: str) -> bool:
    """Tell whether `name` is an IANA timezone (Asia/Kuala_Lumpur) that quiet hours can be judged in."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def quiet_hours_zones(phone: str | None, timezone: str | None, org_timezone: str | None) -> tuple[str, ...]:
    """Return the zones in which an SMS to this person must fall in 08:00–21:00 (CONTRACT §9).

    Their own `timezone`, else the zones of their phone number's country — all of them, since a mobile
    number travels with its owner (Indonesia: Jakarta, Makassar and Jayapura) —, else the org's. A
    calling code that several countries share (+1, +7) names no one country: there the zones
    phonenumbers gives the number itself are used. Zones that share no hour of the window (a North
    American toll-free number spans Guam to Hawaii) say too little: the org's zone rules.
    """
    if timezone:
        return (timezone,)
    zones = _number_zones(phone) if phone else ()
    if zones and _share_window(zones):
        return zones
    return (org_timezone or "UTC",)


@lru_cache(maxsize=4096)
def _number_zones(phone: str) -> tuple[str, ...]:
    try:
        number = phonenumbers.parse(phone)
    except phonenumbers.NumberParseException:
        return ()
    code = number.country_code
    if code is None:
        return ()
    if len(phonenumbers.region_codes_for_country_code(code)) == 1:
        zones: Iterable[str] = _country_zones(code)
    else:
        zones = phonenumber_zones.time_zones_for_number(number)
    return tuple(sorted(z for z in zones if z != phonenumber_zones.UNKNOWN_TIMEZONE and is_timezone(z)))


@lru_cache(maxsize=256)
def _country_zones(country_code: int) -> frozenset[str]:
    """Return every zone phonenumbers knows for the numbers of one calling code."""
    prefix = str(country_code)
    return frozenset(zone for start, zones in TIMEZONE_DATA.items() if start.startswith(prefix) for zone in zones)


# Midwinter and midsummer: a set of zones shares the window if it does on both (daylight saving moves it).
_SEASONS = (datetime(2026, 1, 15, 12, tzinfo=UTC), datetime(2026, 7, 15, 12, tzinfo=UTC))
_WINDOW_HOURS = (WINDOW_END.hour - WINDOW_START.hour)


@lru_cache(maxsize=1024)
def _share_window(zones: tuple[str, ...]) -> bool:
    """Tell whether the window is open in all `zones` at once for at least an hour a day, all year."""
    for moment in _SEASONS:
        # An aware time's offset (None only for naive ones, which these are not).
        offsets = [moment.astimezone(ZoneInfo(zone)).utcoffset() or timedelta(0) for zone in zones]
        if max(offsets) - min(offsets) > timedelta(hours=_WINDOW_HOURS - 1):
            return False
    return True


def in_window(moment: datetime, zones: Sequence[str]) -> bool:
    """Tell whether `moment` is between 08:00 and 21:00 in every one of `zones`."""
    return all(WINDOW_START <= moment.astimezone(ZoneInfo(zone)).time() < WINDOW_END for zone in zones)


def next_window_start(now: datetime, zones: Sequence[str]) -> datetime | None:
    """Return when 08:00–21:00 next holds in all `zones` at once (as aware UTC), or None if it holds now.

    The shared window opens when the last of the zones reaches 08:00, so the answer is one of the next
    few local 08:00s; `zones` must share a window, as quiet_hours_zones() makes sure.
    """
    if in_window(now, zones):
        return None
    openings = sorted(
        datetime.combine(now.astimezone(ZoneInfo(zone)).date() + timedelta(days=days), WINDOW_START,
                         tzinfo=ZoneInfo(zone)).astimezone(UTC)
        for zone in zones for days in range(3))
    return next(start for start in openings if start > now and in_window(start, zones))
