"""The hot tier of episodic memory on SQLite, with the manifest of cold segments.

Search rows (FTS5) outlive tiering: they point at episodes wherever they are, so keyword
search spans both tiers. Moving a segment to the cold tier (manifest row in, hot rows out)
is one transaction, so an episode is always in exactly one tier.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from mnemora_server.errors import ConflictError
from mnemora_server.stores.base import (
    BackedStore,
    Episode,
    EpisodeFilter,
    EpisodeTotals,
    Segment,
    StoreOptions,
)
from mnemora_server.stores.base.keywords import searchable_text
from mnemora_server.stores.sqlite.database import SqliteDatabase, sqlite_path_from_url
from mnemora_server.stores.sqlite.episodes_schema import MIGRATIONS
from mnemora_server.stores.sqlite.fulltext import erase_deleted_terms, match_query

_COLUMNS = "id, agent_id, session_id, type, content, metadata, ts, ingested_at"


def _episode(row: Sequence[Any]) -> Episode:
    return Episode(
        id=row[0],
        agent_id=row[1],
        session_id=row[2],
        type=row[3],
        content=json.loads(row[4]),
        metadata=json.loads(row[5]),
        timestamp=row[6],
        ingested_at=row[7],
    )


def _segment(row: Sequence[Any]) -> Segment:
    return Segment(
        segment_id=row[0],
        agent_id=row[1],
        key=row[2],
        count=row[3],
        bytes=row[4],
        min_ts=row[5],
        max_ts=row[6],
        sessions=tuple(json.loads(row[7])),
    )


class SqliteEpisodeStore(BackedStore):
    """:class:`~mnemora_server.stores.base.EpisodeStore` on SQLite."""

    def __init__(self, path: Path, *, busy_timeout: float = 10.0) -> None:
        self.db = SqliteDatabase(path, MIGRATIONS, synchronous="FULL", busy_timeout=busy_timeout)
        super().__init__(self.db)

    @classmethod
    def from_url(cls, url: str, options: StoreOptions) -> SqliteEpisodeStore:
        """The store of a ``sqlite:///path`` URL."""
        return cls(sqlite_path_from_url(url), busy_timeout=options.busy_timeout)

    def append(self, tenant_id: str, episodes: list[Episode], *, restore: bool = False) -> int:
        """Store episodes atomically. An id already present is skipped: with ``restore`` it
        is an imported episode the tenant has; otherwise it is the same request's earlier
        attempt (ids are server-made), which stored it. Returns how many were written."""
        stored = 0
        with self.db.write() as conn:
            for ep in episodes:
                inserted = conn.execute(
                    f"INSERT INTO episodes (tenant_id, {_COLUMNS})"  # noqa: S608
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (tenant_id, id) DO NOTHING",
                    (
                        tenant_id,
                        ep.id,
                        ep.agent_id,
                        ep.session_id,
                        ep.type,
                        json.dumps(ep.content),
                        json.dumps(ep.metadata),
                        ep.timestamp,
                        ep.ingested_at,
                    ),
                ).rowcount
                if not inserted:  # the tenant already holds this id
                    continue
                stored += 1
                conn.execute(
                    "INSERT INTO episode_text (content, tenant_id, agent_id, episode_id, ts)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (
                        searchable_text(ep.content),
                        tenant_id,
                        ep.agent_id,
                        ep.id,
                        ep.timestamp,
                    ),
                )
        return stored

    def list_hot(
        self,
        tenant_id: str,
        query: EpisodeFilter,
        *,
        before: tuple[float, str] | None,
        limit: int,
    ) -> list[Episode]:
        """Hot episodes passing ``query``, newest first, strictly before ``before``."""
        before_ts, before_id = before if before else (float("inf"), "")
        with self.db.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM episodes WHERE tenant_id = ? AND agent_id = ?"  # noqa: S608
                " AND (? IS NULL OR session_id = ?) AND (? IS NULL OR type = ?)"
                " AND (? IS NULL OR ts >= ?) AND (? IS NULL OR ts <= ?)"
                " AND (ts < ? OR (ts = ? AND id < ?))"
                " ORDER BY ts DESC, id DESC LIMIT ?",
                (
                    tenant_id,
                    query.agent_id,
                    query.session_id,
                    query.session_id,
                    query.type,
                    query.type,
                    query.start,
                    query.start,
                    query.end,
                    query.end,
                    before_ts,
                    before_ts,
                    before_id if before else "\uffff",
                    limit,
                ),
            ).fetchall()
        return [_episode(row) for row in rows]

    def session_hot(
        self,
        tenant_id: str,
        agent_id: str,
        session_id: str,
        *,
        after: tuple[float, str] | None,
        limit: int,
    ) -> list[Episode]:
        """Hot episodes of one session, oldest first, strictly after ``after``."""
        after_ts, after_id = after if after else (float("-inf"), "")
        with self.db.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM episodes WHERE tenant_id = ? AND agent_id = ?"  # noqa: S608
                " AND session_id = ? AND (ts > ? OR (ts = ? AND id > ?))"
                " ORDER BY ts, id LIMIT ?",
                (tenant_id, agent_id, session_id, after_ts, after_ts, after_id, limit),
            ).fetchall()
        return [_episode(row) for row in rows]

    def get_hot(self, tenant_id: str, refs: list[tuple[str, str, float]]) -> dict[str, Episode]:
        """Hot episodes by ``(episode_id, agent_id, timestamp)``, keyed by id."""
        ids = [ref[0] for ref in refs]
        found: dict[str, Episode] = {}
        with self.db.read() as conn:
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500]
                rows = conn.execute(
                    f"SELECT {_COLUMNS} FROM episodes WHERE tenant_id = ?"  # noqa: S608
                    f" AND id IN ({','.join('?' * len(part))})",
                    (tenant_id, *part),
                ).fetchall()
                found.update((row[0], _episode(row)) for row in rows)
        return found

    def search_text(
        self, tenant_id: str, text: str, *, agent_id: str | None, limit: int
    ) -> list[tuple[str, str, float, float]]:
        """Episodes in either tier matching the words of ``text``, by BM25."""
        query = match_query(text)
        if query is None:
            return []
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT episode_id, agent_id, ts, bm25(episode_text) FROM episode_text"
                " WHERE episode_text MATCH ? AND tenant_id = ? AND (? IS NULL OR agent_id = ?)"
                " ORDER BY bm25(episode_text) LIMIT ?",
                (query, tenant_id, agent_id, agent_id, limit),
            ).fetchall()
        return [(row[0], row[1], float(row[2]), -float(row[3])) for row in rows]

    def agents(self, tenant_id: str) -> list[str]:
        """Agents of the tenant with episodes in either tier."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT agent_id FROM episode_totals WHERE tenant_id = ? AND episodes > 0"
                " ORDER BY agent_id",
                (tenant_id,),
            ).fetchall()
        return [row[0] for row in rows]

    def tiering_candidates(self, cutoff: float) -> list[tuple[str, str]]:
        """Agents with hot episodes older than ``cutoff``."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT DISTINCT tenant_id, agent_id FROM episodes WHERE ts < ?", (cutoff,)
            ).fetchall()
        return [(row[0], row[1]) for row in rows]

    def old_hot(self, tenant_id: str, agent_id: str, cutoff: float, limit: int) -> list[Episode]:
        """The oldest hot episodes of an agent before ``cutoff``."""
        with self.db.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM episodes WHERE tenant_id = ? AND agent_id = ?"  # noqa: S608
                " AND ts < ? ORDER BY ts, id LIMIT ?",
                (tenant_id, agent_id, cutoff, limit),
            ).fetchall()
        return [_episode(row) for row in rows]

    def commit_segment(self, tenant_id: str, segment: Segment, ids: list[str]) -> None:
        """Record the segment and remove its episodes from the hot tier, in one transaction."""
        with self.db.write() as conn:
            removed = 0
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500]
                removed += conn.execute(
                    f"DELETE FROM episodes WHERE tenant_id = ? AND id IN"  # noqa: S608
                    f" ({','.join('?' * len(part))})",
                    (tenant_id, *part),
                ).rowcount
            if removed != len(ids):
                raise ConflictError("episodes changed while they were being tiered")
            _insert_segment(conn, tenant_id, segment)

    def delete_session(self, tenant_id: str, agent_id: str, session_id: str) -> int:
        """Delete a session's hot episodes and their search rows."""
        with self.db.write() as conn:
            ids = [
                row[0]
                for row in conn.execute(
                    "SELECT id FROM episodes WHERE tenant_id = ? AND agent_id = ?"
                    " AND session_id = ?",
                    (tenant_id, agent_id, session_id),
                )
            ]
            self._unindex(conn, tenant_id, agent_id, ids)
            conn.execute(
                "DELETE FROM episodes WHERE tenant_id = ? AND agent_id = ? AND session_id = ?",
                (tenant_id, agent_id, session_id),
            )
        return len(ids)

    def unindex(self, tenant_id: str, agent_id: str, episodes: list[Episode]) -> None:
        """Remove the search rows of episodes."""
        with self.db.write() as conn:
            self._unindex(conn, tenant_id, agent_id, [ep.id for ep in episodes])

    @staticmethod
    def _unindex(conn: Any, tenant_id: str, agent_id: str, ids: list[str]) -> None:
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            conn.execute(
                "DELETE FROM episode_text WHERE tenant_id = ? AND agent_id = ?"  # noqa: S608
                f" AND episode_id IN ({','.join('?' * len(part))})",
                (tenant_id, agent_id, *part),
            )

    def replace_segment(self, tenant_id: str, old: Segment, new: Segment | None) -> None:
        """Swap a segment's manifest row (triggers keep the totals)."""
        with self.db.write() as conn:
            conn.execute(
                "DELETE FROM cold_segments WHERE tenant_id = ? AND agent_id = ? AND segment_id = ?",
                (tenant_id, old.agent_id, old.segment_id),
            )
            if new is not None:
                _insert_segment(conn, tenant_id, new)

    def segments(
        self,
        tenant_id: str,
        agent_id: str,
        *,
        start: float | None = None,
        end: float | None = None,
        session_id: str | None = None,
    ) -> list[Segment]:
        """Segments overlapping ``[start, end]``, newest first."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT segment_id, agent_id, object_key, episodes, bytes, min_ts, max_ts,"
                " sessions FROM cold_segments WHERE tenant_id = ? AND agent_id = ?"
                " AND (? IS NULL OR max_ts >= ?) AND (? IS NULL OR min_ts <= ?)"
                " ORDER BY max_ts DESC, segment_id DESC",
                (tenant_id, agent_id, start, start, end, end),
            ).fetchall()
        found = [_segment(row) for row in rows]
        if session_id is not None:
            found = [s for s in found if session_id in s.sessions]
        return found

    def segment_keys(self, tenant_id: str, agent_id: str | None) -> list[str]:
        """Every recorded object key of an agent or tenant."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT object_key FROM cold_segments WHERE tenant_id = ?"
                " AND (? IS NULL OR agent_id = ?)",
                (tenant_id, agent_id, agent_id),
            ).fetchall()
        return [row[0] for row in rows]

    def forget_segments(self, tenant_id: str, agent_id: str | None) -> int:
        """Delete manifest rows (after their objects are gone); return episodes they held."""
        with self.db.write() as conn:
            held = conn.execute(
                "SELECT COALESCE(SUM(episodes), 0) FROM cold_segments WHERE tenant_id = ?"
                " AND (? IS NULL OR agent_id = ?)",
                (tenant_id, agent_id, agent_id),
            ).fetchone()[0]
            conn.execute(
                "DELETE FROM cold_segments WHERE tenant_id = ? AND (? IS NULL OR agent_id = ?)",
                (tenant_id, agent_id, agent_id),
            )
        return int(held)

    def totals(self, tenant_id: str) -> EpisodeTotals:
        """Episodes, bytes and agents of the tenant in both tiers (kept by triggers)."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT COALESCE(SUM(episodes), 0), COALESCE(SUM(bytes), 0),"
                " COUNT(*) FILTER (WHERE episodes > 0) FROM episode_totals WHERE tenant_id = ?",
                (tenant_id,),
            ).fetchone()
        return EpisodeTotals(episodes=row[0], bytes=row[1], agents=row[2])

    def agent_counts(self, tenant_id: str, now: float) -> dict[str, int]:
        """Episodes in both tiers (kept by triggers), per agent."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT agent_id, episodes FROM episode_totals WHERE tenant_id = ?",
                (tenant_id,),
            ).fetchall()
        return {agent: int(count) for agent, count in rows if count}

    def export_hot(self, tenant_id: str, agent_id: str | None) -> Iterator[Episode]:
        """Every hot episode, oldest first, in pages."""
        after_pk = 0
        while True:
            with self.db.read() as conn:
                rows = conn.execute(
                    f"SELECT {_COLUMNS}, pk FROM episodes WHERE tenant_id = ?"  # noqa: S608
                    " AND (? IS NULL OR agent_id = ?) AND pk > ? ORDER BY pk LIMIT 1000",
                    (tenant_id, agent_id, agent_id, after_pk),
                ).fetchall()
            if not rows:
                return
            for row in rows:
                yield _episode(row)
            after_pk = rows[-1][-1]

    def _purge(self, tenant_id: str, agent_id: str | None) -> int:
        with self.db.write() as conn:
            removed = conn.execute(
                "DELETE FROM episodes WHERE tenant_id = ? AND (? IS NULL OR agent_id = ?)",
                (tenant_id, agent_id, agent_id),
            ).rowcount
            conn.execute(
                "DELETE FROM episode_text WHERE tenant_id = ? AND (? IS NULL OR agent_id = ?)",
                (tenant_id, agent_id, agent_id),
            )
            erase_deleted_terms(conn, "episode_text")
            if not conn.execute(
                "SELECT 1 FROM cold_segments WHERE tenant_id = ? AND (? IS NULL OR agent_id = ?)"
                " LIMIT 1",
                (tenant_id, agent_id, agent_id),
            ).fetchone():
                conn.execute(
                    "DELETE FROM episode_totals WHERE tenant_id = ?"
                    " AND (? IS NULL OR agent_id = ?)",
                    (tenant_id, agent_id, agent_id),
                )
        return int(removed)

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Delete the agent's hot episodes and search rows."""
        return self._purge(tenant_id, agent_id)

    def purge_tenant(self, tenant_id: str) -> int:
        """Delete the tenant's hot episodes and search rows."""
        return self._purge(tenant_id, None)


def _insert_segment(conn: Any, tenant_id: str, segment: Segment) -> None:
    conn.execute(
        "INSERT INTO cold_segments (tenant_id, agent_id, segment_id, object_key,"
        " episodes, bytes, min_ts, max_ts, sessions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            tenant_id,
            segment.agent_id,
            segment.segment_id,
            segment.key,
            segment.count,
            segment.bytes,
            segment.min_ts,
            segment.max_ts,
            json.dumps(segment.sessions),
        ),
    )
