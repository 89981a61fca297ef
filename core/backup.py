"""Backup and restore of the database and the private files (`manage.py backup_data` / `restore_data`).

A backup is a folder:

- `database.dump` — PostgreSQL: `pg_dump -Fc` (custom format, restored with `pg_restore`);
  or `database.sqlite3` — SQLite: a consistent copy through the online backup API
  (`sqlite3.Connection.backup`), taken while OMS runs;
- `private-files.tar.gz` — everything under `OMS_PRIVATE_MEDIA_ROOT` (print jobs, import files,
  QC photos);
- `manifest.json` — per table its row count and a checksum of its rows, taken in the same
  snapshot as the dump (PostgreSQL: a `REPEATABLE READ` transaction whose snapshot pg_dump shares),
  so a restore can prove it brought back exactly what was saved.

The pg_dump/pg_restore clients must be of the server's major version (or newer): checked first.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connections

from core.errors import ValidationFailed

MANIFEST = "manifest.json"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
FILES = "private-files.tar.gz"


# ---------------------------------------------------------------- table checksums

def quote(name: str) -> str:
    return '"%s"' % name.replace('"', '""')


def table_fingerprints(cursor, vendor: str, tables: list[str]) -> dict[str, dict]:
    """{table: {"rows": n, "checksum": …}} over every row in a fixed order (the same on any copy).

    PostgreSQL: md5 of the rows' text sorted; SQLite: sha256 of the rows ordered by all columns."""
    out = {}
    for table in sorted(tables):
        if vendor == "postgresql":
            # The text of each row, sorted and hashed by the server: no row is shipped to Python.
            cursor.execute(f"SELECT count(*), coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') "
                           f"FROM {quote(table)} AS t")
            rows, digest = cursor.fetchone()
        else:
            cursor.execute(f"SELECT * FROM {quote(table)} LIMIT 0")
            order = ", ".join(str(i) for i in range(1, len(cursor.description) + 1))
            cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY {order}")
            hasher = hashlib.sha256()
            rows = 0
            for row in cursor:
                hasher.update(repr(tuple(row)).encode())
                rows += 1
            digest = hasher.hexdigest()
        out[table] = {"rows": rows, "checksum": digest}
    return out


def _tables(connection) -> list[str]:
    with connection.cursor() as cursor:
        return [t.name for t in connection.introspection.get_table_list(cursor) if t.type == "t"]


# ---------------------------------------------------------------- PostgreSQL clients

def _pg_env(db: dict) -> dict:
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _pg_args(db: dict) -> list[str]:
    args = ["-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432)]
    if db.get("USER"):
        args += ["-U", db["USER"]]
    return args


def check_client_versions(connection) -> str:
    """pg_dump/pg_restore of at least the server's major version; returns the client version."""
    versions = []
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            raise ValidationFailed(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
        text = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True).stdout
        versions.append(int(re.search(r"(\d+)\.", text).group(1)))
    server = connection.pg_version // 10000
    if min(versions) < server:
        raise ValidationFailed(f"pg_dump/pg_restore {min(versions)} are older than the server ({server}); install "
                               f"the PostgreSQL {server} client tools")
    return text.strip()


# ---------------------------------------------------------------- backup

@dataclass
class BackupResult:
    folder: Path
    tables: int
    rows: int
    files: int


def backup(*, folder: Path, using: str = "default") -> BackupResult:
    """Write a backup of the database `using` and the private files into `folder` (created; must be new)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=False)
    connection = connections[using]
    connection.ensure_connection()
    tables = _tables(connection)
    if connection.vendor == "postgresql":
        fingerprints = _pg_dump(connection, folder / PG_DUMP, tables)
    elif connection.vendor == "sqlite":
        fingerprints = _sqlite_copy(connection, folder / SQLITE_COPY, tables)
    else:
        raise ValidationFailed(f"backups of {connection.vendor} databases are not supported")
    files = _tar_private_files(folder / FILES)
    manifest = {"vendor": connection.vendor, "tables": fingerprints, "files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return BackupResult(folder, len(fingerprints), sum(t["rows"] for t in fingerprints.values()), files)


def _pg_dump(connection, target: Path, tables: list[str]) -> dict:
    check_client_versions(connection)
    db = connection.settings_dict
    # One snapshot for the manifest and the dump: export it from a REPEATABLE READ transaction and
    # hand it to pg_dump, so rows written meanwhile are in neither.
    raw = connection.get_new_connection(connection.get_connection_params())
    try:
        raw.autocommit = False
        with raw.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            fingerprints = table_fingerprints(cursor, "postgresql", tables)
            subprocess.run(["pg_dump", *_pg_args(db), "-Fc", "--no-owner", "--no-privileges",
                            f"--snapshot={snapshot}", "-f", str(target), db["NAME"]],
                           env=_pg_env(db), check=True, capture_output=True)
        raw.rollback()
    finally:
        raw.close()
    return fingerprints


def _sqlite_copy(connection, target: Path, tables: list[str]) -> dict:
    copy = sqlite3.connect(target)
    try:
        with copy:
            # The online backup API through Django's own connection: a consistent copy while others write.
            connection.connection.backup(copy)
        return table_fingerprints(copy.cursor(), "sqlite", tables)
    finally:
        copy.close()


def _tar_private_files(target: Path) -> int:
    root = Path(settings.OMS_PRIVATE_MEDIA_ROOT)
    count = 0
    with tarfile.open(target, "w:gz") as archive:
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    archive.add(path, arcname=str(path.relative_to(root)))
                    count += 1
    return count


# ---------------------------------------------------------------- restore

@dataclass
class RestoreResult:
    target: str
    tables: int
    rows: int
    files: int
    mismatches: list[str]


def restore(*, folder: Path, target: str, private_root: Path | None = None, using: str = "default") -> RestoreResult:
    """Restore a backup into `target` and check every table against the manifest.

    PostgreSQL: `target` is the name of an empty database on the same server as `using` (create it
    first with `createdb`); SQLite: `target` is the path of a new database file. The private files
    go to `private_root` (default: `OMS_PRIVATE_MEDIA_ROOT`), which must not hold files yet.
    """
    folder = Path(folder)
    manifest = json.loads((folder / MANIFEST).read_text())
    connection = connections[using]
    if manifest["vendor"] != connection.vendor:
        raise ValidationFailed(f"this backup is of a {manifest['vendor']} database, not {connection.vendor}")
    if connection.vendor == "postgresql":
        found = _pg_restore(connection, folder / PG_DUMP, target, list(manifest["tables"]))
    else:
        found = _sqlite_restore(folder / SQLITE_COPY, Path(target), list(manifest["tables"]))
    files = _untar_private_files(folder / FILES, Path(private_root or settings.OMS_PRIVATE_MEDIA_ROOT))
    mismatches = [f"{table}: saved {saved}, restored {found.get(table)}"
                  for table, saved in manifest["tables"].items() if found.get(table) != saved]
    mismatches += [f"{table}: not in the backup" for table in found if table not in manifest["tables"]]
    if files != manifest["files"]:
        mismatches.append(f"private files: saved {manifest['files']}, restored {files}")
    return RestoreResult(target, len(found), sum(t["rows"] for t in found.values()), files, mismatches)


def _pg_restore(connection, dump: Path, target: str, tables: list[str]) -> dict:
    check_client_versions(connection)
    db = dict(connection.settings_dict, NAME=target)
    subprocess.run(["pg_restore", *_pg_args(db), "--no-owner", "--no-privileges", "--exit-on-error",
                    "-d", target, str(dump)], env=_pg_env(db), check=True, capture_output=True)
    params = dict(connection.get_connection_params(), dbname=target)
    raw = connection.get_new_connection(params)
    try:
        with raw.cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            restored = [name for (name,) in cursor.fetchall()]
            return table_fingerprints(cursor, "postgresql", restored)
    finally:
        raw.close()


def _sqlite_restore(copy: Path, target: Path, tables: list[str]) -> dict:
    if target.exists():
        raise ValidationFailed(f"{target} exists; restore into a new file")
    source = sqlite3.connect(copy)
    destination = sqlite3.connect(target)
    try:
        with destination:
            source.backup(destination)
        cursor = destination.cursor()
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        restored = [name for (name,) in cursor.fetchall()]
        return table_fingerprints(cursor, "sqlite", restored)
    finally:
        source.close()
        destination.close()


def _untar_private_files(archive_path: Path, root: Path) -> int:
    if root.is_dir() and any(p.is_file() for p in root.rglob("*")):
        raise ValidationFailed(f"{root} holds files already; restore the private files into an empty folder")
    root.mkdir(parents=True, exist_ok=True)
    count = 0
    with tarfile.open(archive_path, "r:gz") as archive:
        members = [m for m in archive.getmembers() if m.isfile()]
        archive.extractall(root, members=members, filter="data")  # no absolute paths, no ../, no links
        count = len(members)
    return count
