"""Bulk invitations from a CSV file, read as a stream in batches so memory stays flat for any size."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..accounts.surveys import live_version
from ..models import Survey
from ..transaction import unit_of_work
from .cascades import require_plan, start_cascades
from .invitations import InvitationBatch, create_invitations

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

PROFILE_COLUMNS = ("external_id", "email", "phone", "locale", "timezone")


@dataclass
class ImportResult:
    queued: int = 0
    refused: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    # SMS: the segments the queued surveys are estimated to take, and those that go as UCS-2 (and why).
    sms_segments: int = 0
    ucs2: int = 0
    non_gsm_characters: str = ""

    def add_sms_estimate(self, estimate: dict) -> None:
        self.sms_segments += estimate["survey_segments"]
        if estimate["encoding"] == "UCS-2":
            self.ucs2 += 1
            self.non_gsm_characters += "".join(c for c in estimate["non_gsm_characters"]
                                               if c not in self.non_gsm_characters)


class _CountingReader(io.RawIOBase):
    """A binary file that reports how many bytes were read, for a progress bar."""

    def __init__(self, raw: io.BufferedIOBase, on_read: Callable[[int], None]):
        self._raw = raw
        self._on_read = on_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        n = self._raw.readinto(buffer)
        if n:
            self._on_read(n)
        return n


def row_to_recipient(row: dict[str, str]) -> dict:
    """Map a CSV row to a recipient: the profile columns, and every other non-empty column as an attribute."""
    recipient: dict = {key: row[key].strip() for key in PROFILE_COLUMNS if (row.get(key) or "").strip()}
    attributes = {key: value for key, value in row.items()
                  if key and key not in PROFILE_COLUMNS and value not in (None, "")}
    if attributes:
        recipient["attributes"] = attributes
    return recipient


def _batches(rows: Iterator[dict], size: int) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _queue(survey: Survey, channel: str, recipients: list[dict], send_at: datetime | None) -> InvitationBatch:
    if channel == "cascade":
        return start_cascades(survey, recipients, send_at=send_at)
    return create_invitations(survey, channel, recipients, send_at)


def refused_path_for(path: Path) -> Path:
    """Return where the refused rows of `path` are written: beside it, `NAME.refused.csv`."""
    return path.with_name(path.stem + ".refused.csv")


def import_csv(survey: Survey, channel: str, path: Path, *, send_at: datetime | None = None, batch_size: int = 500,
               on_progress: Callable[[int], None] = lambda n: None) -> ImportResult:
    """Queue an invitation (or, on channel "cascade", start a cascade of the survey's plan) per acceptable
    row of a CSV and write the refused rows, with reasons, beside it."""
    # A survey that can't be sent (unpublished, archived, no plan for cascades) fails before anything is written.
    definition = live_version(survey).definition
    if channel == "cascade":
        require_plan(definition)
    result = ImportResult()
    with path.open("rb") as raw, refused_path_for(path).open("w", newline="", encoding="utf-8") as refused_file:
        text = io.TextIOWrapper(io.BufferedReader(_CountingReader(raw, on_progress)), encoding="utf-8-sig",
                                newline="")
        reader = csv.DictReader(text)
        columns = [*(reader.fieldnames or []), "reason"]
        refused_writer = csv.DictWriter(refused_file, fieldnames=columns, extrasaction="ignore")
        refused_writer.writeheader()
        for rows in _batches(reader, batch_size):
            recipients = [row_to_recipient(row) for row in rows]
            # Each batch is a unit of work of its own: a 100,000-row import holds no transaction open.
            with unit_of_work():
                batch = _queue(survey, channel, recipients, send_at)
            result.queued += len(batch.queued)
            for queued in batch.queued:
                if queued.sms:
                    result.add_sms_estimate(queued.sms)
            row_of = {id(r): row for r, row in zip(recipients, rows, strict=True)}
            for refusal in batch.refused:
                result.refused += 1
                result.reasons[refusal.reason] = result.reasons.get(refusal.reason, 0) + 1
                refused_writer.writerow({**row_of[id(refusal.recipient)], "reason": refusal.reason})
    return result
