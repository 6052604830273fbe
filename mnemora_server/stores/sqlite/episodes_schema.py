"""The SQLite schema of the hot episode tier: episodes, their FTS5 search rows, the manifest
of cold segments, and per-agent totals kept by triggers over both tiers."""

from __future__ import annotations

MIGRATIONS = (
    """
    CREATE TABLE episodes (
        pk INTEGER PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        type TEXT NOT NULL,
        content TEXT NOT NULL,
        metadata TEXT NOT NULL,
        ts REAL NOT NULL,
        ingested_at REAL NOT NULL,
        UNIQUE (tenant_id, id)
    );
    CREATE INDEX episodes_by_time ON episodes (tenant_id, agent_id, ts, id);
    CREATE INDEX episodes_by_session ON episodes (tenant_id, agent_id, session_id, ts, id);
    CREATE INDEX episodes_by_age ON episodes (ts, tenant_id, agent_id);
    CREATE VIRTUAL TABLE episode_text USING fts5 (
        content, tenant_id UNINDEXED, agent_id UNINDEXED, episode_id UNINDEXED,
        ts UNINDEXED, tokenize = 'unicode61'
    );
    CREATE TABLE cold_segments (
        tenant_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        segment_id TEXT NOT NULL,
        object_key TEXT NOT NULL,
        episodes INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        min_ts REAL NOT NULL,
        max_ts REAL NOT NULL,
        sessions TEXT NOT NULL,
        PRIMARY KEY (tenant_id, agent_id, segment_id)
    ) WITHOUT ROWID;
    CREATE INDEX cold_segments_by_time ON cold_segments (tenant_id, agent_id, max_ts);
    CREATE TABLE episode_totals (
        tenant_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        episodes INTEGER NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant_id, agent_id)
    ) WITHOUT ROWID;
    CREATE TRIGGER episode_totals_on_insert AFTER INSERT ON episodes BEGIN
        INSERT INTO episode_totals (tenant_id, agent_id) VALUES (NEW.tenant_id, NEW.agent_id)
            ON CONFLICT DO NOTHING;
        UPDATE episode_totals SET episodes = episodes + 1,
            bytes = bytes + LENGTH(CAST(NEW.content AS BLOB)) + LENGTH(CAST(NEW.metadata AS BLOB))
        WHERE tenant_id = NEW.tenant_id AND agent_id = NEW.agent_id;
    END;
    CREATE TRIGGER episode_totals_on_delete AFTER DELETE ON episodes BEGIN
        UPDATE episode_totals SET episodes = episodes - 1,
            bytes = bytes - LENGTH(CAST(OLD.content AS BLOB)) - LENGTH(CAST(OLD.metadata AS BLOB))
        WHERE tenant_id = OLD.tenant_id AND agent_id = OLD.agent_id;
    END;
    CREATE TRIGGER episode_totals_on_segment AFTER INSERT ON cold_segments BEGIN
        INSERT INTO episode_totals (tenant_id, agent_id) VALUES (NEW.tenant_id, NEW.agent_id)
            ON CONFLICT DO NOTHING;
        UPDATE episode_totals SET episodes = episodes + NEW.episodes, bytes = bytes + NEW.bytes
        WHERE tenant_id = NEW.tenant_id AND agent_id = NEW.agent_id;
    END;
    CREATE TRIGGER episode_totals_on_segment_delete AFTER DELETE ON cold_segments BEGIN
        UPDATE episode_totals SET episodes = episodes - OLD.episodes, bytes = bytes - OLD.bytes
        WHERE tenant_id = OLD.tenant_id AND agent_id = OLD.agent_id;
    END
    """,
)
