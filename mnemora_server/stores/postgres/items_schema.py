"""The PostgreSQL schema of long-term store items: items, namespace order, field vectors, and
per-agent totals kept by a trigger, all under row-level security."""

from __future__ import annotations

from typing import Any

from mnemora_server.stores.postgres.database import tenant_policy_sql

_TOTALS_FUNCTION = """
CREATE FUNCTION item_totals_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n bigint := 0; b bigint := 0;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        n := n - 1; b := b - octet_length(OLD.value);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        n := n + 1; b := b + octet_length(NEW.value);
    END IF;
    IF TG_OP = 'DELETE' THEN
        UPDATE item_totals SET items = items + n, bytes = bytes + b
        WHERE tenant_id = OLD.tenant_id AND agent_id = OLD.agent_id;
    ELSE
        INSERT INTO item_totals AS t (tenant_id, agent_id, items, bytes)
        VALUES (NEW.tenant_id, NEW.agent_id, n, b)
        ON CONFLICT (tenant_id, agent_id) DO UPDATE SET items = t.items + n, bytes = t.bytes + b;
    END IF;
    RETURN NULL;
END $$
"""


def migrations(dimension: int) -> list[list[Any]]:
    """The versioned schema of the item store; list ``i`` brings it to version ``i + 1``."""
    return [
        [
            "CREATE TABLE items (pk bigserial PRIMARY KEY, tenant_id text NOT NULL,"
            " agent_id text NOT NULL, namespace text NOT NULL, key text NOT NULL,"
            " value text NOT NULL, created_at double precision NOT NULL,"
            " updated_at double precision NOT NULL, expires_at double precision,"
            " ttl_minutes double precision, UNIQUE (tenant_id, agent_id, namespace, key))",
            "CREATE INDEX items_expiry ON items (tenant_id, agent_id, expires_at)"
            " WHERE expires_at IS NOT NULL",
            "CREATE TABLE item_namespaces (tenant_id text NOT NULL, agent_id text NOT NULL,"
            " namespace text NOT NULL, seq bigserial NOT NULL,"
            " PRIMARY KEY (tenant_id, agent_id, namespace))",
            "CREATE TABLE item_vectors (tenant_id text NOT NULL, agent_id text NOT NULL,"
            " namespace text NOT NULL, item_key text NOT NULL, field text NOT NULL,"
            f" embedding vector({int(dimension)}) NOT NULL,"
            " PRIMARY KEY (tenant_id, agent_id, namespace, item_key, field))",
            "CREATE TABLE item_totals (tenant_id text NOT NULL, agent_id text NOT NULL,"
            " items bigint NOT NULL DEFAULT 0, bytes bigint NOT NULL DEFAULT 0,"
            " PRIMARY KEY (tenant_id, agent_id))",
            *tenant_policy_sql("items"),
            *tenant_policy_sql("item_namespaces"),
            *tenant_policy_sql("item_vectors"),
            *tenant_policy_sql("item_totals"),
            "GRANT USAGE ON SEQUENCE items_pk_seq TO mnemora_app",
            "GRANT USAGE ON SEQUENCE item_namespaces_seq_seq TO mnemora_app",
            _TOTALS_FUNCTION,
            "CREATE TRIGGER items_totals AFTER INSERT OR UPDATE OF value OR DELETE ON items"
            " FOR EACH ROW EXECUTE FUNCTION item_totals_change()",
        ]
    ]
