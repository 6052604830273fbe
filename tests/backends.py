"""The two configurations every API test runs on, and a look at what each one has stored.

``embedded``: SQLite databases and local files under the data directory (the default).
``production``: DynamoDB (accounts, working memory, hot episodes) and S3 (cold episodes) from
moto over HTTP, PostgreSQL + pgvector (semantic and procedural memory, checkpoints) as the
application role.

``Backend.stored()`` reads the storage itself, bypassing Mnemora: every row of every table,
every DynamoDB item, every S3 object version and every file, as text. Tests use it to check
that a purge or a tenant deletion left nothing behind and that no secret is stored in clear.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mnemora_server.settings import Settings

BACKENDS = ("embedded", "production")


@dataclass
class Backend:
    """One configuration of stores and the means to inspect them."""

    name: str
    settings: Settings
    moto_url: str | None = None
    table: str | None = None
    bucket: str | None = None
    postgres_admin_url: str | None = None

    @property
    def embedded(self) -> bool:
        return self.name == "embedded"

    def env(self) -> dict[str, str]:
        """The ``MNEMORA_*`` variables that select these stores in a server process."""
        names = (
            "accounts_url",
            "state_url",
            "vector_url",
            "episodes_url",
            "procedures_url",
            "cold_url",
            "checkpoints_url",
            "items_url",
            "postgres_admin_url",
        )
        env = {"MNEMORA_DATA_DIR": str(self.settings.data_dir)}
        for name in names:
            value = getattr(self.settings, name)
            if value:
                env[f"MNEMORA_{name.upper()}"] = value
        return env

    def stored(self) -> list[str]:
        """Everything the stores hold, one text per row, item, object version or file."""
        texts = _files(self.settings.data_dir)
        if not self.embedded:
            texts += self._dynamodb() + self._postgres() + self._s3()
        return texts

    def cold_objects(self) -> list[str]:
        """Keys of every cold-tier object (every version, on S3), below the tier's root:
        ``<tenant>/<agent>/<day>/<segment>.ndjson.gz``."""
        if self.embedded:
            root = self.settings.data_dir / "cold"
            files = root.rglob("*") if root.exists() else []
            return sorted(str(p.relative_to(root)) for p in files if p.is_file())
        keys: list[str] = []
        pages = (
            self._client("s3").get_paginator("list_object_versions").paginate(Bucket=self.bucket)
        )
        for page in pages:
            for entry in page.get("Versions", []) + page.get("DeleteMarkers", []):
                keys.append(entry["Key"].removeprefix("episodes/"))
        return sorted(keys)

    def _client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.moto_url, region_name="us-east-1")

    def _dynamodb(self) -> list[str]:
        items: list[str] = []
        pages = self._client("dynamodb").get_paginator("scan").paginate(TableName=self.table)
        for page in pages:
            items += [json.dumps(item, sort_keys=True) for item in page["Items"]]
        return items

    def _postgres(self) -> list[str]:
        import psycopg

        rows: list[str] = []
        assert self.postgres_admin_url is not None
        with psycopg.connect(self.postgres_admin_url) as conn:
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    " AND tablename != 'schema_migrations'"
                )
            ]
            for table in tables:
                rows += [f"{table}: {row!r}" for row in conn.execute(f'SELECT * FROM "{table}"')]
        return rows

    def _s3(self) -> list[str]:
        s3 = self._client("s3")
        objects: list[str] = []
        pages = s3.get_paginator("list_object_versions").paginate(Bucket=self.bucket)
        for page in pages:
            for marker in page.get("DeleteMarkers", []):
                objects.append(f"delete marker {marker['Key']}")
            for version in page.get("Versions", []):
                body = s3.get_object(
                    Bucket=self.bucket, Key=version["Key"], VersionId=version["VersionId"]
                )["Body"].read()
                objects.append(f"{version['Key']}: {_text(body)}")
        return objects


def embedded(data_dir: Path) -> Backend:
    return Backend("embedded", Settings(data_dir=data_dir, admin_token=_admin_token()))


def production(data_dir: Path, moto_url: str, app_url: str, admin_url: str) -> Backend:
    suffix = uuid.uuid4().hex[:10]
    table, bucket = f"mnemora-{suffix}", f"mnemora-cold-{suffix}"
    dynamodb = f"dynamodb://{table}?endpoint_url={moto_url}"
    settings = Settings(
        data_dir=data_dir,
        admin_token=_admin_token(),
        accounts_url=dynamodb,
        state_url=dynamodb,
        episodes_url=dynamodb,
        cold_url=f"s3://{bucket}/episodes?endpoint_url={moto_url}",
        vector_url=app_url,
        procedures_url=app_url,
        checkpoints_url=app_url,
        items_url=app_url,
        postgres_admin_url=admin_url,
    )
    return Backend("production", settings, moto_url, table, bucket, admin_url)


def _admin_token() -> str:
    from tests.conftest import ADMIN_TOKEN

    return ADMIN_TOKEN


def _files(root: Path) -> list[str]:
    """Rows of every SQLite database (their live content, read through SQLite), and the
    bytes of every other file, under ``root``."""
    texts: list[str] = []
    if not root.exists():
        return texts
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.suffix == ".db":
            texts += _sqlite_rows(path)
        elif not path.name.endswith((".db-wal", ".db-shm", "server.log")):
            texts.append(f"{path.relative_to(root)}: {_text(path.read_bytes())}")
    return texts


def _sqlite_rows(path: Path) -> list[str]:
    rows: list[str] = []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name != 'schema_migrations'"
            )
        ]
        for table in tables:
            rows += [
                f"{path.name}/{table}: {row!r}" for row in conn.execute(f'SELECT * FROM "{table}"')
            ]
    conn.close()
    return rows


def _text(data: bytes) -> str:
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("latin-1")
