"""The PostgreSQL schema of checkpoints: three tables under row-level security, and per-agent
totals kept by a trigger."""

from __future__ import annotations

from typing import Any

from mnemora_server.stores.postgres.database import tenant_policy_sql

_TOTALS_FUNCTION = """
CREATE FUNCTION checkpoint_totals_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    c bigint := 0; b bigint := 0;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF TG_TABLE_NAME = 'checkpoints' THEN
            c := c - 1;
            b := b - octet_length(OLD.checkpoint) - octet_length(OLD.metadata);
        ELSE
            b := b - octet_length(OLD.data);
        END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        IF TG_TABLE_NAME = 'checkpoints' THEN
            c := c + 1;
            b := b + octet_length(NEW.checkpoint) + octet_length(NEW.metadata);
        ELSE
            b := b + octet_length(NEW.data);
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        UPDATE checkpoint_totals SET checkpoints = checkpoints + c, bytes = bytes + b
        WHERE tenant_id = OLD.tenant_id AND agent_id = OLD.agent_id;
    ELSE
        INSERT INTO checkpoint_totals AS t (tenant_id, agent_id, checkpoints, bytes)
        VALUES (NEW.tenant_id, NEW.agent_id, c, b)
        ON CONFLICT (tenant_id, agent_id) DO UPDATE SET
            checkpoints = t.checkpoints + c, bytes = t.bytes + b;
    END IF;
    RETURN NULL;
END $$
"""


def migrations() -> list[list[Any]]:
    """The versioned schema of the checkpoint store; list ``i`` brings it to version ``i + 1``."""
    scope = "tenant_id text NOT NULL, agent_id text NOT NULL, thread_id text NOT NULL,"
    scope += " checkpoint_ns text NOT NULL,"
    return [
        [
            f"CREATE TABLE checkpoints (pk bigserial PRIMARY KEY, {scope}"
            " checkpoint_id text NOT NULL, parent_checkpoint_id text, checkpoint text NOT NULL,"
            " metadata text NOT NULL, created_at double precision NOT NULL,"
            " UNIQUE (tenant_id, agent_id, thread_id, checkpoint_ns, checkpoint_id))",
            "CREATE INDEX checkpoints_newest ON checkpoints (tenant_id, agent_id, checkpoint_id)",
            f"CREATE TABLE checkpoint_blobs ({scope} channel text NOT NULL,"
            " version text NOT NULL, type text NOT NULL, data bytea NOT NULL,"
            " PRIMARY KEY (tenant_id, agent_id, thread_id, checkpoint_ns, channel, version))",
            f"CREATE TABLE checkpoint_writes ({scope} checkpoint_id text NOT NULL,"
            " task_id text NOT NULL, idx int NOT NULL, channel text NOT NULL,"
            " type text NOT NULL, data bytea NOT NULL, task_path text NOT NULL,"
            " PRIMARY KEY (tenant_id, agent_id, thread_id, checkpoint_ns, checkpoint_id,"
            " task_id, idx))",
            "CREATE TABLE checkpoint_totals (tenant_id text NOT NULL, agent_id text NOT NULL,"
            " checkpoints bigint NOT NULL DEFAULT 0, bytes bigint NOT NULL DEFAULT 0,"
            " PRIMARY KEY (tenant_id, agent_id))",
            *tenant_policy_sql("checkpoints"),
            *tenant_policy_sql("checkpoint_blobs"),
            *tenant_policy_sql("checkpoint_writes"),
            *tenant_policy_sql("checkpoint_totals"),
            "GRANT USAGE ON SEQUENCE checkpoints_pk_seq TO mnemora_app",
            _TOTALS_FUNCTION,
            *(
                f"CREATE TRIGGER {table}_totals AFTER INSERT OR UPDATE OR DELETE ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION checkpoint_totals_change()"
                for table in ("checkpoints", "checkpoint_blobs", "checkpoint_writes")
            ),
        ]
    ]
