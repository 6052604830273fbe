"""Times on the wire: ISO 8601 in UTC outside, epoch seconds inside."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_time(epoch: float | None) -> str | None:
    """Format epoch seconds as ISO 8601 UTC with a ``Z`` suffix (``None`` stays ``None``)."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def parse_time(value: str) -> float:
    """Parse an ISO 8601 timestamp (naive means UTC) into epoch seconds.

    Raises:
        ValueError: If ``value`` is not an ISO 8601 timestamp.
    """
    moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
