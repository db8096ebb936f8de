"""The population benchmark, run by ``make bench`` (scripts/bench.sh).

Why one module of this size: a benchmark script whose measurements share one
run's database, server and floors; it is not imported by the portal.

One run on PostgreSQL, in a database of its own (default ``egov_bench``, on the
server of DATABASE_URL), measures the portal against floors measured in the
same run on the same machine:

1. import: ``manage.py import_population`` end to end (rows/s) against a raw
   ``COPY`` of the same CSV into an unindexed table plus building a primary
   key and one name index;
2. lookup: the agency API's person lookup by ID under HTTP load (gunicorn,
   2 workers) against a constant-JSON view in the same server;
3. search: median latency of a name + date-of-birth search against the median
   latency of an exact ID lookup, both through the ORM in this process;
4. queries: SQL queries per lookup request and per person-page view.

Writes var/bench/population.json and prints a table. Nothing here asserts a
time: the numbers are for reading (docs/performance.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
PY = sys.executable
TARGETS = {
    "import_vs_floor": (">=", 0.25),
    "lookup_vs_hello": (">=", 0.25),
    "search_vs_lookup": ("<=", 2.0),
    "queries_per_lookup": ("<=", 3),
    # The statistics pages (bench/stats.py): the worst over the sizes measured.
    "stats_dashboard_vs_hello": (">=", 0.2),
    "stats_public_vs_hello": (">=", 0.2),
    "stats_queries_equal": ("==", True),
}
STATS_TARGETS = {name for name in TARGETS if name.startswith("stats_")}


def say(text: str) -> None:
    print(f"\033[1m==> {text}\033[0m", flush=True)


# --- Database ------------------------------------------------------------------------


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def _pg(url: str, dbname: str | None = None):
    import psycopg2

    parts = urlsplit(url)
    return psycopg2.connect(
        dbname=dbname or parts.path.lstrip("/") or "postgres",
        user=parts.username or "postgres",
        password=parts.password or None,
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
    )


def recreate_database(url: str, name: str) -> None:
    conn = _pg(url, "postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def manage(*args: str, env: dict[str, str]) -> float:
    started = time.monotonic()
    subprocess.run([PY, str(ROOT / "manage.py"), *args], check=True, env=env, cwd=ROOT)
    return time.monotonic() - started


def import_population(csv_path: Path, rejects: Path, env: dict[str, str]) -> tuple[float, dict]:
    """Run the command end to end; its wall time and the seconds of each phase."""
    started = time.monotonic()
    out = subprocess.run(
        [PY, str(ROOT / "manage.py"), "import_population", str(csv_path)]
        + ["--rejects", str(rejects), "-v", "2"],
        check=True,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    seconds = time.monotonic() - started
    print(out, end="", flush=True)
    phases = {}
    for line in out.splitlines():
        if line.startswith("Phases: "):
            for part in line.removeprefix("Phases: ").split(", "):
                name, secs, _unit = part.rsplit(" ", 2)
                phases[name] = float(secs)
    return seconds, phases


def server_facts(url: str) -> dict:
    conn = _pg(url)
    facts = {}
    with conn.cursor() as cur:
        cur.execute("SHOW server_version")
        facts["postgresql"] = cur.fetchone()[0]
        for name in (
            "shared_buffers",
            "work_mem",
            "max_wal_size",
            "synchronous_commit",
            "autovacuum",
            "jit",
        ):
            cur.execute(f"SHOW {name}")
            facts[name] = cur.fetchone()[0]
    conn.close()
    return facts


def checkpoint(url: str) -> None:
    """Start each timed phase with no pending checkpoint work (best effort)."""
    conn = _pg(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("CHECKPOINT")
    except Exception:  # noqa: BLE001 - needs superuser or pg_checkpoint; optional
        pass
    conn.close()


# --- 1. Import against the COPY floor -------------------------------------------------


def copy_raw(cur, url: str, csv_path: Path, table: str, temporary: bool = False) -> float:
    """Create ``table`` with a text column per CSV column and COPY the file into
    it, as it is; returns the seconds of the COPY."""
    with csv_path.open(encoding="utf-8") as handle:
        header = handle.readline().strip().split(",")
    columns = ", ".join(f"{c} text" for c in header)
    cur.execute(f"CREATE {'TEMP ' if temporary else ''}TABLE {table} ({columns})")
    checkpoint(url)
    started = time.monotonic()
    with csv_path.open("rb") as handle:
        cur.copy_expert(
            f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)", handle, size=1 << 20
        )
    return time.monotonic() - started


def copy_floor(url: str, csv_path: Path) -> dict:
    """Raw COPY of the file into an unindexed table, then a primary key and one
    name index: the least any loader of this file has to do."""
    conn = _pg(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_copy_floor")
        copy_s = copy_raw(cur, url, csv_path, "bench_copy_floor")
        copied = time.monotonic()
        cur.execute("ALTER TABLE bench_copy_floor ADD PRIMARY KEY (id_number)")
        keyed = time.monotonic()
        cur.execute("CREATE INDEX bench_copy_floor_name ON bench_copy_floor (full_name)")
        done = time.monotonic()
        cur.execute("SELECT count(*) FROM bench_copy_floor")
        rows = cur.fetchone()[0]
        cur.execute("DROP TABLE bench_copy_floor")
    conn.close()
    return {
        "rows": rows,
        "copy_s": copy_s,
        "primary_key_s": keyed - copied,
        "name_index_s": done - keyed,
        "total_s": copy_s + (done - copied),
    }


def import_lower_bound(url: str, csv_path: Path, persons: int) -> dict:
    """What no loader of this file into this schema can skip, measured on the
    loaded database: COPY of the file into a staging table; writing the rows
    of the four population tables (a copy of each, as loaded); building their
    indexes and unique keys and checking their foreign keys (on the copies,
    from the same definitions, with the import's memory settings). No checks,
    no joins, no ids: ``floor / this`` is the best ``import_vs_floor`` a loader
    doing one thing after another could reach on this machine."""
    from citizens.importer import _Bulk, memory_settings

    tables = list(_Bulk.TABLES)
    conn = _pg(url)
    conn.autocommit = True
    spent = {"copy_s": 0.0, "write_s": 0.0, "indexes_s": 0.0, "foreign_keys_s": 0.0}

    def timed(phase: str, sql: str) -> None:
        started = time.monotonic()
        cur.execute(sql)
        spent[phase] += time.monotonic() - started

    with conn.cursor() as cur:
        for setting in [*memory_settings(persons), "jit = off"]:
            cur.execute(f"SET {setting}")
        spent["copy_s"] = copy_raw(cur, url, csv_path, "bench_stage", temporary=True)
        cur.execute("DROP TABLE bench_stage")
        constraints, indexes = _Bulk.schema(cur, keep_referenced=False)

        def copy_of(sql: str) -> str:
            for table in tables:
                sql = sql.replace(f"public.{table} ", f"bench_{table} ")
                sql = sql.replace(f"REFERENCES {table}(", f"REFERENCES bench_{table}(")
            return sql

        try:
            checkpoint(url)
            for table in tables:
                timed("write_s", f"CREATE TABLE bench_{table} AS SELECT * FROM {table}")
            for table, _name, kind, definition in constraints:
                if kind != "f":
                    timed("indexes_s", f"ALTER TABLE bench_{table} ADD {definition}")
            for number, (_table, _name, definition) in enumerate(indexes):
                on = definition.split(" ON ", 1)[1]
                unique = "UNIQUE " if definition.startswith("CREATE UNIQUE") else ""
                timed("indexes_s", copy_of(f"CREATE {unique}INDEX bench_index_{number} ON {on}"))
            for table, _name, kind, definition in constraints:
                if kind == "f":
                    timed("foreign_keys_s", copy_of(f"ALTER TABLE bench_{table} ADD {definition}"))
        finally:
            for table in tables:
                cur.execute(f"DROP TABLE IF EXISTS bench_{table} CASCADE")
    conn.close()
    spent["total_s"] = sum(spent.values())
    spent["foreign_keys"] = sum(1 for _t, _n, kind, _d in constraints if kind == "f")
    spent["indexes"] = len(indexes) + len(constraints) - spent["foreign_keys"]
    return spent


# --- 2. HTTP lookups against a constant-JSON view --------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict[str, str], port: int, workers: int, threads: int):
    log = (VAR / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [
            str(Path(PY).parent / "gunicorn"),
            "egov.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            "gthread",
            "--keep-alive",
            "30",
            "--error-logfile",
            "-",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/bench/hello"
    for _ in range(100):
        time.sleep(0.2)
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            if process.poll() is not None:
                break
    stop_gunicorn(process)
    raise RuntimeError(f"gunicorn did not start; see {VAR / 'gunicorn.log'}")


def stop_gunicorn(process) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- Helpers run inside Django ------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def sample_people(n: int) -> list[dict]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM citizens_person")
        total = cur.fetchone()[0]
        percent = min(100.0, 100.0 * n * 3 / max(total, 1))
        cur.execute(
            "SELECT p.id, p.id_number, p.full_name, p.search_name, p.birth_date, u.code "
            f"FROM citizens_person p TABLESAMPLE BERNOULLI ({percent}) REPEATABLE (42) "
            "LEFT JOIN citizens_administrativeunit u ON u.id = p.permanent_unit_id "
            "WHERE p.status = 'living' LIMIT %s",
            [n],
        )
        columns = ["id", "id_number", "full_name", "search_name", "birth_date", "unit"]
        return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]


def orm_latencies(people: list[dict]) -> dict:
    """Name + date-of-birth search against exact ID lookup: the same selector, the
    same process and connection, the same people, in alternation."""
    from django.db import connection

    from citizens.agency_api.lookup import person_row
    from citizens.selectors import person_search

    lookup_ms, search_ms, api_row_ms, found = [], [], [], 0
    for person in people[:20]:  # warm up the connection, plans and caches
        list(person_search(id_number=person["id_number"]))
        list(person_search(query=person["search_name"], birth_date=person["birth_date"]))
    for person in people:
        started = time.perf_counter()
        rows = list(person_search(id_number=person["id_number"]))
        lookup_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        results = list(person_search(query=person["search_name"], birth_date=person["birth_date"]))
        search_ms.append((time.perf_counter() - started) * 1000)
        found += any(r.id_number == person["id_number"] for r in results)
        started = time.perf_counter()
        person_row(id_number=person["id_number"], purpose="identity_check")
        api_row_ms.append((time.perf_counter() - started) * 1000)
        assert rows, "the sampled person must be found by ID"
    # The database's share: the same two queries' compiled SQL on a cursor.
    lookup_sql_ms, search_sql_ms = [], []
    with connection.cursor() as cursor:
        for person in people:
            for queryset, sink in (
                (person_search(id_number=person["id_number"]), lookup_sql_ms),
                (
                    person_search(query=person["search_name"], birth_date=person["birth_date"]),
                    search_sql_ms,
                ),
            ):
                sql, params = queryset.query.sql_with_params()
                started = time.perf_counter()
                cursor.execute(sql, params)
                cursor.fetchall()
                sink.append((time.perf_counter() - started) * 1000)
    return {
        "lookup_sql_p50_ms": statistics.median(lookup_sql_ms),
        "search_sql_p50_ms": statistics.median(search_sql_ms),
        "samples": len(people),
        "lookup_p50_ms": statistics.median(lookup_ms),
        "lookup_p95_ms": percentile(lookup_ms, 0.95),
        "search_p50_ms": statistics.median(search_ms),
        "search_p95_ms": percentile(search_ms, 0.95),
        "agency_row_p50_ms": statistics.median(api_row_ms),
        "search_found_share": found / len(people),
    }


def bench_fixtures() -> dict:
    """An agency with API keys, and a clerk of the demo ward for the person page."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    from citizens.agency_api.auth import agency_credential_issue
    from citizens.models import AdministrativeUnit, Agency, Role, User
    from citizens.services import staff_membership_grant

    province = AdministrativeUnit.objects.get(era="2025", level="province", code="01")
    ward = AdministrativeUnit.objects.get(era="2025", level="commune", code="00145")
    police, _ = Agency.objects.get_or_create(
        code="BENCHCA",
        defaults={"name": "Hệ thống đo hiệu năng", "kind": Agency.Kind.POLICE, "unit": province},
    )
    keys = {
        purpose: agency_credential_issue(agency=police, name=f"bench {purpose}", purpose=purpose)[1]
        for purpose in ("identity_check", "residence")
    }
    committee, _ = Agency.objects.get_or_create(
        code="BENCHLB",
        defaults={
            "name": "UBND phường Long Biên (đo hiệu năng)",
            "kind": Agency.Kind.PEOPLES_COMMITTEE,
            "unit": ward,
        },
    )
    clerk, _ = User.objects.get_or_create(email="bench-clerk@example.vn")
    staff_membership_grant(user=clerk, agency=committee, role=Role.CLERK)
    if not Authenticator.objects.filter(user=clerk, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(clerk, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    return {"keys": keys, "clerk": clerk, "committee": committee}


def query_counts(keys: dict, clerk, people: list[dict]) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts: dict = {}
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {keys['identity_check']}"}
    client.get(f"/api/v1/agency/persons/{people[0]['id_number']}/", **auth)  # warm up
    for purpose, key in keys.items():
        per = []
        for person in people[1:6]:
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(
                    f"/api/v1/agency/persons/{person['id_number']}/",
                    HTTP_AUTHORIZATION=f"Api-Key {key}",
                )
            assert response.status_code == 200, response.content[:300]
            per.append(len(ctx.captured_queries))
        counts[f"queries_per_lookup_{purpose}"] = max(per)
    counts["queries_per_lookup"] = counts["queries_per_lookup_identity_check"]

    # The person page, as a clerk of Phường Long Biên who stated a purpose.
    staff = Client()
    staff.force_login(clerk)
    in_ward = [p for p in people if p["unit"] == "00145"] or people
    per_page = []
    note = "GET /back-office/population/persons/<uuid>/ (after the purpose was stated)"
    for person in in_ward[:5]:
        url = f"/back-office/population/persons/{person['id']}/"
        staff.post(url + "purpose/", {"reason": "Đo hiệu năng (benchmark)"})
        staff.get(url)  # the read the purpose step logged
        with CaptureQueriesContext(connection) as ctx:
            response = staff.get(url)
        if response.status_code != 200:
            note = f"person page answered {response.status_code}: not measured"
            per_page = []
            break
        per_page.append(len(ctx.captured_queries))
    counts["queries_per_person_page"] = max(per_page) if per_page else None
    counts["queries_per_person_page_note"] = note
    return counts


# --- The run ------------------------------------------------------------------------------


def machine_facts() -> dict:
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "ram": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=int(os.environ.get("BENCH_PERSONS", 1e6)))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("BENCH_SEED", 1)))
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL")
        or os.environ.get("DATABASE_URL")
        or "postgres://postgres@127.0.0.1:5432/egov",
        help="Server to use (the database name in it is replaced by --db-name).",
    )
    parser.add_argument("--db-name", default=os.environ.get("BENCH_DB", "egov_bench"))
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    )
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", 15)))
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--samples", type=int, default=500, help="Search/lookup samples.")
    parser.add_argument("--loadgen", default=os.environ.get("BENCH_LOADGEN", "auto"))
    parser.add_argument(
        "--output",
        default=None,
        help="Default var/bench/population.json (var/bench/stats.json with --only stats).",
    )
    parser.add_argument(
        "--only",
        choices=["all", "population", "stats"],
        default=os.environ.get("BENCH_ONLY", "all"),
        help="Run one benchmark: the population or the statistics (bench/stats.py).",
    )
    parser.add_argument(
        "--measure-only",
        action="store_true",
        default=os.environ.get("BENCH_MEASURE_ONLY", "") not in ("", "0"),
        help="Keep the loaded database: measure latency, queries and HTTP only "
        "(the import figures of --output, if any, are kept).",
    )
    args = parser.parse_args()

    VAR.mkdir(parents=True, exist_ok=True)
    db_url = _with_db(args.database_url, args.db_name)
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "REDIS_URL": args.redis_url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_HTTPS": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("EGOV_VAR_DIR", None)
    os.environ.update(env)
    if args.only == "stats":
        return main_stats(args, env, db_url)
    output = Path(args.output or VAR / "population.json")
    results: dict = {}
    if args.measure_only and output.exists():
        # The import figures of the run that loaded the database stay, marked as such.
        results = json.loads(output.read_text())
        if results.get("persons") != args.persons:
            results = {}
        elif "import_s" in results:
            results.setdefault("import_measured_at", results.get("started_at"))
            results.setdefault("import_load_average", results.get("load_average_start"))
    results.update(
        {
            "persons": args.persons,
            "seed": args.seed,
            "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": machine_facts(),
            "load_average_start": load_average(),
            "measure_only": args.measure_only,
            "errors": [],
        }
    )

    def save() -> None:
        text = json.dumps(results, indent=2, ensure_ascii=False) + "\n"
        output.write_text(text)
        # One file per size as well, so a 10-million run keeps the 1-million figures.
        output.with_name(f"{output.stem}-{args.persons}{output.suffix}").write_text(text)

    if not args.measure_only:
        say(f"Database {args.db_name} (fresh), migrations, Hà Nội's units")
        recreate_database(args.database_url, args.db_name)
        manage("migrate", "--noinput", "-v", "0", env=env)
    results["server"] = server_facts(db_url)

    import django

    django.setup()
    from django.db import connection

    if not args.measure_only:
        load(args, env, db_url, results, save)
    measure(args, env, results, save)
    connection.close()
    if args.only == "all":
        stats_results = _run_stats(args, env, db_url)
        for name in STATS_TARGETS:
            if name in stats_results:
                results[name] = stats_results[name]
        results["errors"] += stats_results["errors"]
    results["load_average_end"] = load_average()
    results["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    results["targets"] = {
        name: {"target": f"{op} {limit}", "met": _met(results.get(name), op, limit)}
        for name, (op, limit) in TARGETS.items()
        if args.only == "all" or name not in STATS_TARGETS
    }
    save()
    print_table(results)
    print(f"\nWritten to {output}")
    return 1 if results["errors"] else 0


def _run_stats(args, env: dict, db_url: str, output: Path | None = None) -> dict:
    """The statistics benchmark (bench/stats.py) on the same database and
    server settings; its figures in var/bench/stats.json."""
    from django.db import connection

    from bench import stats

    output = output or VAR / "stats.json"
    results: dict = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine_facts(),
        "server": server_facts(db_url),
        "load_average_start": load_average(),
        "errors": [],
    }

    def save() -> None:
        output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")

    stats.run(args, env, results, save)
    connection.close()
    results["load_average_end"] = load_average()
    results["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    results["targets"] = {
        name: {"target": f"{op} {limit}", "met": _met(results.get(name), op, limit)}
        for name, (op, limit) in TARGETS.items()
        if name in STATS_TARGETS
    }
    save()
    stats.print_table(results)
    print(f"\nStatistics written to {output}")
    return results


def main_stats(args, env: dict, db_url: str) -> int:
    """``--only stats``: the statistics benchmark alone, in the benchmark's
    database (created if missing, migrated; the population in it is kept)."""
    name = urlsplit(db_url).path.lstrip("/")
    conn = _pg(args.database_url, "postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cur.fetchone():
            say(f"Database {name} (new)")
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    manage("migrate", "--noinput", "-v", "0", env=env)
    import django

    django.setup()
    results = _run_stats(args, env, db_url, Path(args.output) if args.output else None)
    return 1 if results["errors"] else 0


def load(args, env: dict, db_url: str, results: dict, save) -> None:
    """Generate the CSV, measure the COPY floor, import it (twice)."""
    from django.db import connection

    from citizens.generator import population_generate
    from citizens.services import administrative_units_load

    administrative_units_load(provinces=["01"])
    connection.close()

    csv_path = VAR / f"population-{args.persons}-seed{args.seed}.csv"
    if csv_path.exists():
        say(f"Population CSV: {csv_path} (kept from an earlier run)")
    else:
        say(f"Generating {args.persons:,} persons into {csv_path}")
        partial = csv_path.with_suffix(".partial")
        generated = population_generate(count=args.persons, seed=args.seed, output=partial)
        partial.replace(csv_path)
        results["generate_rows_per_s"] = round(generated.rows_per_second)
    results["csv_bytes"] = csv_path.stat().st_size
    save()

    say("Floor: COPY into an unindexed table + primary key + name index")
    floor = copy_floor(db_url, csv_path)
    results["copy_floor"] = {k: round(v, 2) for k, v in floor.items()}
    results["copy_floor_rows_per_s"] = round(floor["rows"] / floor["total_s"])
    save()

    say("Import: manage.py import_population, end to end")
    checkpoint(db_url)
    rejects = VAR / "population.rejects.csv"
    rejects.unlink(missing_ok=True)
    seconds, phases = import_population(csv_path, rejects, env)
    results["import_s"] = round(seconds, 1)
    results["import_phases_s"] = phases
    results["import_rows_per_s"] = round(args.persons / seconds)
    results["import_vs_floor"] = round(
        results["import_rows_per_s"] / results["copy_floor_rows_per_s"], 3
    )
    results["import_rejects"] = sum(1 for _ in rejects.open()) - 1 if rejects.exists() else 0
    save()
    say("Re-import of the same file (nothing changes)")
    seconds, phases = import_population(csv_path, rejects, env)
    results["reimport_s"] = round(seconds, 1)
    results["reimport_phases_s"] = phases
    save()
    if os.environ.get("BENCH_LOWER_BOUND", "1") != "0":
        say("Lower bound: COPY, write the tables, build their indexes and keys (no checks)")
        bound = import_lower_bound(db_url, csv_path, args.persons)
        results["import_lower_bound"] = {k: round(v, 2) for k, v in bound.items()}
        results["import_ceiling_vs_floor"] = round(floor["total_s"] / bound["total_s"], 3)
    # Autovacuum may be off (it is on the development server): leave the tables
    # as a maintained database would have them. Not part of the import's time.
    conn = _pg(db_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
        cur.execute("SELECT pg_database_size(current_database())")
        results["database_bytes"] = cur.fetchone()[0]
    conn.close()

    save()


def measure(args, env: dict, results: dict, save) -> None:
    """Latency through the ORM, queries per request, HTTP throughput."""
    from django.db import connection

    people = sample_people(args.samples)
    random.Random(args.seed).shuffle(people)
    say(f"Search and lookup latency through the ORM ({len(people)} people)")
    latencies = orm_latencies(people)
    results.update({k: round(v, 3) for k, v in latencies.items()})
    results["search_vs_lookup"] = round(latencies["search_p50_ms"] / latencies["lookup_p50_ms"], 2)
    save()
    fixtures = bench_fixtures()
    say("SQL queries per request")
    try:
        results.update(query_counts(fixtures["keys"], fixtures["clerk"], people))
    except Exception as exc:  # noqa: BLE001 - record it, measure the rest
        results["errors"].append(f"queries: {exc!r}")
    save()
    connection.close()

    say(f"HTTP: gunicorn (2 workers × 4 threads), {args.connections} connections")
    try:
        results.update(http_load(args, env, people, fixtures["keys"]))
    except Exception as exc:  # noqa: BLE001
        results["errors"].append(f"http: {exc!r}")
    save()


def http_load(args, env: dict, people: list[dict], keys: dict) -> dict:
    from bench.loadgen import run_load

    port = free_port()
    server = start_gunicorn(env, port, workers=2, threads=4)
    try:
        ids = [p["id_number"] for p in people]
        lookup_paths = [f"/api/v1/agency/persons/{i}/" for i in ids]
        key = keys["identity_check"]
        common = {"host": "127.0.0.1", "port": port, "connections": args.connections}
        common["tool"] = args.loadgen
        run_load(paths=["/bench/hello"], seconds=3, **common)  # warm up both workers
        run_load(
            paths=lookup_paths, headers={"Authorization": f"Api-Key {key}"}, seconds=3, **common
        )
        rounds, lean = [], []
        for _ in range(3):  # alternate, so drifting background load hits both alike
            hello = run_load(paths=["/bench/hello"], seconds=args.seconds / 2, **common)
            lookup = run_load(
                paths=lookup_paths,
                headers={"Authorization": f"Api-Key {key}"},
                seconds=args.seconds / 2,
                **common,
            )
            rounds.append((hello, lookup))
            # The constant answer on the agency API's lean path (not the floor: for reading).
            lean.append(
                run_load(paths=["/api/v1/agency/bench-hello"], seconds=args.seconds / 4, **common)
            )
        residence = run_load(
            paths=lookup_paths,
            headers={"Authorization": f"Api-Key {keys['residence']}"},
            seconds=args.seconds / 2,
            **common,
        )
    finally:
        stop_gunicorn(server)
    hello_rps = statistics.mean(h.rps for h, _ in rounds)
    lookup_rps = statistics.mean(lk.rps for _, lk in rounds)
    return {
        "loadgen": rounds[0][0].tool,
        "hello_rps": round(hello_rps),
        "lookup_rps": round(lookup_rps),
        "lookup_vs_hello": round(lookup_rps / hello_rps, 3),
        "hello_http_p50_ms": round(statistics.mean(h.p50_ms for h, _ in rounds), 2),
        "lookup_http_p50_ms": round(statistics.mean(lk.p50_ms for _, lk in rounds), 2),
        "lookup_http_p99_ms": round(max(lk.p99_ms for _, lk in rounds), 2),
        "lookup_residence_rps": round(residence.rps),
        "hello_lean_path_rps": round(statistics.mean(x.rps for x in lean)),
        "lookup_vs_hello_lean_path": round(lookup_rps / statistics.mean(x.rps for x in lean), 3),
        "http_errors": sum(h.errors + lk.errors for h, lk in rounds)
        + residence.errors
        + sum(x.errors for x in lean),
        "http_rounds": [
            {"hello_rps": round(h.rps), "lookup_rps": round(lk.rps)} for h, lk in rounds
        ],
    }


def _met(value, op: str, limit) -> bool | None:
    if value is None:
        return None
    if op == "==":
        return value == limit
    return value >= limit if op == ">=" else value <= limit


def print_table(r: dict) -> None:
    def get(key, unit=""):
        value = r.get(key)
        if value is None:
            return "-"
        return f"{value:,}{unit}" if isinstance(value, int) else f"{value}{unit}"

    floor = r.get("copy_floor", {})
    rows = [
        ("persons", get("persons"), ""),
        ("import (rows/s)", get("import_rows_per_s"), f"{get('import_s')} s end to end"),
        ("COPY floor (rows/s)", get("copy_floor_rows_per_s"), f"{floor.get('total_s', '-')} s"),
        ("import / floor", get("import_vs_floor"), "target ≥ 0.25"),
        (
            "lower bound (s)",
            r.get("import_lower_bound", {}).get("total_s", "-"),
            "COPY + write + indexes + keys, no checks",
        ),
        ("  floor / lower bound", get("import_ceiling_vs_floor"), "best import / floor in series"),
        ("re-import, no change", get("reimport_s", " s"), ""),
        ("lookup (req/s)", get("lookup_rps"), f"p50 {get('lookup_http_p50_ms')} ms over HTTP"),
        ("hello (req/s)", get("hello_rps"), f"p50 {get('hello_http_p50_ms')} ms"),
        ("lookup / hello", get("lookup_vs_hello"), "target ≥ 0.25"),
        ("lookup, residence (req/s)", get("lookup_residence_rps"), "with the household"),
        (
            "hello, agency lean path",
            get("hello_lean_path_rps"),
            f"lookup / this: {get('lookup_vs_hello_lean_path')}",
        ),
        ("ID lookup p50 (ORM)", get("lookup_p50_ms", " ms"), f"p95 {get('lookup_p95_ms')} ms"),
        (
            "name+DOB search p50 (ORM)",
            get("search_p50_ms", " ms"),
            f"p95 {get('search_p95_ms')} ms",
        ),
        ("search / lookup", get("search_vs_lookup"), "target ≤ 2"),
        (
            "  SQL only: lookup / search",
            f"{get('lookup_sql_p50_ms')} / {get('search_sql_p50_ms')} ms",
            "the database's share of the two",
        ),
        ("queries per lookup", get("queries_per_lookup"), "target ≤ 3"),
        ("queries per person page", get("queries_per_person_page"), ""),
    ]
    width = max(len(name) for name, _, _ in rows)
    print()
    for name, value, note in rows:
        print(f"  {name:<{width}}  {value:>14}  {note}")
    print(f"\n  load average: {r.get('load_average_start')} → {r.get('load_average_end')}")
    for error in r.get("errors", []):
        print(f"  error: {error}")


if __name__ == "__main__":
    sys.exit(main())
