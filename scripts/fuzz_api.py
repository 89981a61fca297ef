#!/usr/bin/env python
"""CI fuzzing: schemathesis against the OpenAPI schema that OMS itself serves (issue 17).

Serves OMS with production settings (gunicorn, DJANGO_DEBUG=0, real secrets) on a scratch database
— PostgreSQL when DATABASE_URL points at one (NUL bytes and offsets only fail there), else SQLite —
seeded with demo data and an API token holding every scope, then runs schemathesis with bounded
examples and fails on any 5xx (`not_a_server_error`) or a status the schema does not document
(`status_code_conformance`). Requests longer than gunicorn's request-line limit, which gunicorn
itself answers 414, are not generated (`scripts/fuzz_hooks.py`). A few minutes on 2 cores;
`.ci/run` calls it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/x .venv/bin/python scripts/fuzz_api.py [--max-examples N]
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
sys.path.insert(0, str(ROOT / "scripts"))

from smoke_serve import admin_sql, free_port, manage, request  # noqa: E402
from smoke_serve import fail as smoke_fail  # noqa: E402


def fail(message: str, log: Path | None = None) -> None:
    smoke_fail(message, log, who="fuzz", source="server", lines=80)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=int(os.environ.get("OMS_FUZZ_EXAMPLES", 25)))
    parser.add_argument("--max-time", type=int, default=int(os.environ.get("OMS_FUZZ_SECONDS", 180)))
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()

    base_url = os.environ.get("DATABASE_URL", "")
    pg = base_url.startswith("postgres")
    # A scratch database beside the given one (`<name>_fuzz`), dropped at the end.
    name = f"{(base_url.rsplit('/', 1)[-1].split('?')[0] or 'oms') if pg else 'oms'}_fuzz"
    tmp = Path(tempfile.mkdtemp(prefix="oms-fuzz-"))
    if pg:
        from urllib.parse import urlsplit, urlunsplit

        db_url = urlunsplit(urlsplit(base_url)._replace(path=f"/{name}"))
        admin_sql(base_url, f'DROP DATABASE IF EXISTS "{name}"')
        admin_sql(base_url, f'CREATE DATABASE "{name}"')
    else:
        db_url = f"sqlite:///{tmp / 'fuzz.sqlite3'}"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "OMS_", "REDIS_URL"))}
    env.update({
        "DATABASE_URL": db_url, "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "OMS_WEBHOOK_SECRET": secrets.token_urlsafe(32), "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "OMS_FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "OMS_BLIND_INDEX_KEY": secrets.token_urlsafe(32),
        "DJANGO_SECURE_SSL_REDIRECT": "0", "OMS_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2",
        "OMS_MEDIA_ROOT": str(tmp / "media"), "OMS_PRIVATE_MEDIA_ROOT": str(tmp / "private"),
        "OMS_LOG_LEVEL": "WARNING",
    })
    log = tmp / "server.log"
    server = None
    try:
        manage(env, "migrate", "--noinput", "--verbosity", "0")
        manage({**env, "DJANGO_DEBUG": "1"}, "demo_data", "--orders", "10")  # seeding is a development step
        token = manage(env, "create_api_token", "--name", "fuzz",
                       "--scopes", "orders:read,orders:write,stock:read,pii:read").split()[-1]
        with open(log, "wb") as out:
            server = subprocess.Popen([PY, "-m", "gunicorn", "-c", "oms/gunicorn.conf.py", "oms.wsgi:application"],
                                      cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                      start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while request("GET", f"{url}/healthz")[0] != 200:
            if time.monotonic() > deadline or server.poll() is not None:
                fail("the server did not start", log)
            time.sleep(0.5)
        command = [
            str(Path(PY).with_name("schemathesis")), "run", f"{url}/api/schema/", "--url", url,
            "--checks", "not_a_server_error,status_code_conformance",
            "--max-examples", str(args.max_examples), "--max-time", str(args.max_time), "--seed", str(args.seed),
            # One worker: with two, hypothesis' lambda descriptions raced in the AST parser (a
            # schemathesis "Runtime Error", not a finding). gunicorn still serves with 2 workers.
            "--workers", "1", "--phases", "examples,coverage,fuzzing", "--generation-allow-x00", "true",
            "--request-timeout", "30", "--suppress-health-check", "all", "--no-color",
            "--header", f"Authorization: Bearer {token}", "--generation-database", "none",
            "--report", "junit", "--report-dir", str(tmp / "report"),
        ]
        print(f"fuzz: schemathesis against {url}/api/schema/ ({'PostgreSQL' if pg else 'SQLite'}, "
              f"{args.max_examples} examples per operation, at most {args.max_time} s)", flush=True)
        hooks = str(ROOT / "scripts" / "fuzz_hooks.py")  # no request line over the server's limit (414)
        result = subprocess.run(command, cwd=tmp, env={**env, "SCHEMATHESIS_HOOKS": hooks}, check=False)
        if result.returncode != 0:
            fail(f"schemathesis found problems (exit {result.returncode}); report in {tmp / 'report'}", log)
        print("fuzz: no 5xx and no undocumented status code", flush=True)
        return 0
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        if pg:
            admin_sql(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
