"""The statistics benchmark, run by ``make bench`` (``scripts/bench.sh --only stats``
runs it alone).

For each size (200,000 and 2,000,000 dossiers by default, ``BENCH_STATS_SIZES``):

1. generate: ``DossierFact`` rows inserted by one set-based statement
   (``generate_series``) over ~30 agencies × 20 procedures × 5 channels × the
   365 days ending today, with a mix of outcomes (approved, rejected, refused,
   withdrawn, still open), on-time and late results, apologies, supplements,
   fees, online payments and ratings;
2. roll up: ``stats.rollup.rebuild`` of the year (seconds);
3. queries: SQL queries per request of the staff dashboard (``stats:dashboard``,
   as a statistician) and the public page (``stats:public``), the first request
   after the figures changed (cache empty) and the next one (cached); they
   must be the same at every size;
4. HTTP: requests/s of both pages under load, as a ratio to the constant-JSON
   view in the same server (gunicorn, 2 workers), in alternation.

Nothing here asserts a time: the figures are for reading (docs/performance.md).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time
from typing import Any

SIZES = (200_000, 2_000_000)
AGENCIES = 30
PROCEDURES = 20
CHANNELS = ["online_full", "online_partial", "counter", "post", "linked"]
DAYS = 365
STATISTICIAN = "bench-statistician@example.vn"
PAGES = {"dashboard": "stats:dashboard", "public": "stats:public"}

# One INSERT … SELECT: a row per dossier, its cell and outcome from random()
# (seeded by setseed, so a size gives the same rows every run).
FACTS_SQL = """
WITH base AS (
    SELECT i,
           1 + (i %% %(agencies)s) AS a,
           1 + ((i / %(agencies)s) %% %(procedures)s) AS p,
           %(channels)s::text[] AS channels,
           %(start)s::date + floor(random() * %(days)s)::int AS received_on,
           random() AS fate, random() AS speed, random() AS extra, random() AS pick,
           5 + floor(random() * 11)::int AS allowed
    FROM generate_series(1, %(n)s) AS g(i)
), timed AS (
    SELECT b.*,
           CASE
               WHEN b.speed < 0.90 THEN 1 + floor(b.extra * b.allowed)::int
               ELSE b.allowed + 1 + floor(b.extra * 10)::int
           END AS took,
           b.channels[1 + floor(b.pick * 5)::int] AS channel
    FROM base b
), fated AS (
    SELECT t.*,
           CASE
               WHEN t.fate < 0.03 THEN 'refused'
               WHEN t.fate < 0.05 THEN 'withdrawn'
               WHEN t.received_on + t.took > %(today)s THEN 'open'
               WHEN t.fate < 0.11 THEN 'rejected'
               ELSE 'approved'
           END AS outcome
    FROM timed t
)
INSERT INTO stats_dossierfact (
    dossier_id, code, agency_id, unit_id, procedure_id, field_id, channel, outcome,
    received_on, due_date, resolved_on, closed_on, on_time, apologised, paused,
    processing_days, supplement_dates, fee, paid_online, digitised, reused_data,
    result_digital, rating, rated_on, updated_at
)
SELECT md5('bench-fact-' || f.i)::uuid,
       'BENCH-' || f.i,
       (%(agency_ids)s::uuid[])[f.a],
       (%(unit_ids)s::bigint[])[f.a],
       (%(procedure_ids)s::uuid[])[f.p],
       (%(field_ids)s::bigint[])[f.p],
       f.channel,
       f.outcome,
       CASE WHEN f.outcome = 'refused' THEN NULL ELSE f.received_on END,
       CASE WHEN f.outcome = 'refused' THEN NULL ELSE f.received_on + f.allowed END,
       CASE WHEN f.outcome IN ('approved', 'rejected') THEN f.received_on + f.took END,
       CASE WHEN f.outcome IN ('refused', 'withdrawn')
            THEN least(%(today)s::date, f.received_on + floor(f.extra * 3)::int) END,
       CASE WHEN f.outcome IN ('approved', 'rejected')
            THEN f.took <= f.allowed AND f.speed < 0.87 END,
       f.outcome IN ('approved', 'rejected') AND f.speed >= 0.87 AND f.speed < 0.90,
       f.outcome = 'open' AND f.extra < 0.1,
       CASE WHEN f.outcome IN ('approved', 'rejected') THEN greatest(0, f.took * 5 / 7) END,
       CASE WHEN f.extra < 0.1 AND f.outcome <> 'refused'
            THEN ARRAY[f.received_on + 1] ELSE '{}'::date[] END,
       CASE WHEN f.p %% 3 = 0 THEN 50000 ELSE 0 END,
       f.p %% 3 = 0 AND f.channel LIKE 'online%%' AND f.pick < 0.3,
       f.channel LIKE 'online%%',
       f.fate > 0.5,
       f.outcome = 'approved' AND f.channel LIKE 'online%%',
       CASE WHEN f.outcome = 'approved' AND f.extra > 0.7
            THEN (ARRAY[1, 2, 3, 4, 4, 5, 5, 5, 5, 5])[1 + floor(f.speed * 10)::int] END,
       CASE WHEN f.outcome = 'approved' AND f.extra > 0.7 THEN f.received_on + f.took END,
       now()
FROM fated f
"""


def fixtures() -> dict[str, Any]:
    """30 agencies (wards of Hà Nội), 20 procedures in 4 fields, and a
    statistician with a second factor (idempotent)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    from citizens.models import AdministrativeUnit, Agency, Role, User
    from citizens.services import administrative_units_load, staff_membership_grant
    from procedures.models import Field, Procedure

    if not AdministrativeUnit.objects.filter(code="01", level="province").exists():
        administrative_units_load(provinces=["01"])
    wards = list(
        AdministrativeUnit.objects.filter(
            era=AdministrativeUnit.Era.CURRENT,
            level=AdministrativeUnit.Level.COMMUNE,
            parent__code="01",
        ).order_by("code")[:AGENCIES]
    )
    agencies = []
    for n, ward in enumerate(wards, start=1):
        agency, _ = Agency.objects.get_or_create(
            code=f"BST{n:02d}",
            defaults={
                "name": f"UBND {ward.name} (đo hiệu năng)",
                "kind": Agency.Kind.PEOPLES_COMMITTEE,
                "unit": ward,
            },
        )
        agencies.append(agency)
    fields = [
        Field.objects.get_or_create(
            code=f"bench-field-{n}", defaults={"name": f"Lĩnh vực đo hiệu năng {n}"}
        )[0]
        for n in range(1, 5)
    ]
    procedures = []
    for n in range(1, PROCEDURES + 1):
        name = f"Thủ tục đo hiệu năng {n:02d}"
        procedure, _ = Procedure.objects.get_or_create(
            code=f"BENCH.ST.{n:02d}",
            defaults={
                "name": name,
                "search_name": name.lower(),
                "field": fields[n % len(fields)],
                "online_level": ["full", "partial", "info"][n % 3],
                "agency_kind": Agency.Kind.PEOPLES_COMMITTEE,
                "level": Procedure.Level.COMMUNE,
                "days_online": 5,
                "days_counter": 7,
                "is_published": True,
            },
        )
        procedure.offered_by.add(*agencies)
        procedures.append(procedure)
    user, _ = User.objects.get_or_create(
        email=STATISTICIAN, defaults={"full_name": "Thống kê (đo hiệu năng)"}
    )
    staff_membership_grant(user=user, agency=agencies[0], role=Role.STATISTICIAN)
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    return {"agencies": agencies, "procedures": procedures, "statistician": user}


def generate(n: int, fx: dict[str, Any], *, today: dt.date, days: int = DAYS) -> float:
    """Replace the benchmark's facts by ``n`` generated ones; returns seconds."""
    from django.db import connection, transaction

    start = today - dt.timedelta(days=days - 1)
    agencies, procedures = fx["agencies"], fx["procedures"]
    params = {
        "n": n,
        "agencies": len(agencies),
        "procedures": len(procedures),
        "channels": CHANNELS,
        "start": start,
        "days": days,
        "today": today,
        "agency_ids": [str(a.pk) for a in agencies],
        "unit_ids": [a.unit_id for a in agencies],
        "procedure_ids": [str(p.pk) for p in procedures],
        "field_ids": [p.field_id for p in procedures],
    }
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM stats_dossierfact WHERE code LIKE 'BENCH-%'")
        cursor.execute("SELECT setseed(0.766)")
        cursor.execute(FACTS_SQL, params)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE stats_dossierfact")
    return time.monotonic() - started


def roll_up(*, today: dt.date, days: int = DAYS) -> tuple[float, int]:
    """``stats.rollup.rebuild`` of the generated period (plus the days results
    and ratings fall on); returns (seconds, cells)."""
    from django.db import connection

    from stats import rollup

    start = today - dt.timedelta(days=days - 1)
    started = time.monotonic()
    cells = rollup.rebuild(start, today)
    seconds = time.monotonic() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE stats_dailyfigure")
        cursor.execute("ANALYZE stats_dailyduration")
    return seconds, cells


def page_paths() -> dict[str, str]:
    from django.urls import reverse

    return {name: reverse(url_name) for name, url_name in PAGES.items()}


def signed_in_client(user):
    """A test client signed in as ``user`` (who has TOTP enrolled: the staff
    pages' second-factor rule is met; allauth's session flag is set too)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    session = client.session
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time()},
        {"method": "mfa", "type": "totp", "at": time.time()},
    ]
    session.save()
    return client


def query_counts(user) -> dict[str, Any]:
    """SQL queries of one request of each page: the first after the figures
    changed (nothing cached) and the next (cached). Every query a request
    may make is counted: the few seconds a process reuses the figures'
    version, a staff member's "has a second factor" and their roles are set
    to 0 here."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from stats import rollup

    staff, public = signed_in_client(user), Client()
    counts: dict[str, Any] = {}
    with override_settings(
        EGOV_STATS_VERSION_SECONDS=0, EGOV_MFA_ENROLLED_SECONDS=0, EGOV_STAFF_ROLES_SECONDS=0
    ):
        for name, path in page_paths().items():
            client = staff if name == "dashboard" else public
            client.get(path)  # warm up: imports, templates, the session
            rollup.bump()  # a new version of the figures: nothing cached
            with CaptureQueriesContext(connection) as cold:
                response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
            with CaptureQueriesContext(connection) as warm:
                client.get(path)
            counts[f"queries_{name}_cold"] = len(cold.captured_queries)
            counts[f"queries_{name}"] = len(warm.captured_queries)
    counts["session_cookie"] = staff.cookies["sessionid"].value
    return counts


def http_load(args, env: dict[str, str], session: str) -> dict[str, Any]:
    """Both pages against /bench/hello in the same server, in alternation
    (six rounds of hello, dashboard, public)."""
    from bench.loadgen import run_load
    from bench.run import free_port, start_gunicorn, stop_gunicorn

    paths = page_paths()
    port = free_port()
    server = start_gunicorn(env, port, workers=2, threads=4)
    common: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "connections": args.connections,
        "tool": args.loadgen,
    }
    cookie = {"Cookie": f"sessionid={session}"}
    # Six short rounds rather than three long ones: the pages and the floor
    # share the machine's ups and downs more evenly (same time in all).
    rounds_count = 6
    seconds = max(1.0, args.seconds / 4)
    try:
        run_load(paths=["/bench/hello"], seconds=2, **common)
        run_load(paths=[paths["dashboard"]], headers=cookie, seconds=2, **common)
        run_load(paths=[paths["public"]], seconds=2, **common)
        rounds = []
        for _ in range(rounds_count):
            hello = run_load(paths=["/bench/hello"], seconds=seconds, **common)
            dashboard = run_load(
                paths=[paths["dashboard"]], headers=cookie, seconds=seconds, **common
            )
            public = run_load(paths=[paths["public"]], seconds=seconds, **common)
            rounds.append((hello, dashboard, public))
    finally:
        stop_gunicorn(server)
    hello_rps = statistics.mean(h.rps for h, _, _ in rounds)
    dashboard_rps = statistics.mean(d.rps for _, d, _ in rounds)
    public_rps = statistics.mean(p.rps for _, _, p in rounds)
    return {
        "loadgen": rounds[0][0].tool,
        "hello_rps": round(hello_rps),
        "dashboard_rps": round(dashboard_rps),
        "public_rps": round(public_rps),
        "dashboard_vs_hello": round(dashboard_rps / hello_rps, 3),
        "public_vs_hello": round(public_rps / hello_rps, 3),
        "dashboard_http_p50_ms": round(statistics.mean(d.p50_ms for _, d, _ in rounds), 2),
        "public_http_p50_ms": round(statistics.mean(p.p50_ms for _, _, p in rounds), 2),
        "http_errors": sum(h.errors + d.errors + p.errors for h, d, p in rounds),
    }


def sizes() -> list[int]:
    raw = os.environ.get("BENCH_STATS_SIZES", "")
    return [int(s) for s in raw.replace(",", " ").split()] or list(SIZES)


def run(args, env: dict[str, str], results: dict[str, Any], save) -> None:
    """Every size in turn, into ``results["stats"]``; the headline figures
    (the worst over the sizes) at the top level, for the targets."""
    from django.db import connection
    from django.utils import timezone

    from bench.run import say

    fx = fixtures()
    today = timezone.localdate()
    runs: dict[str, Any] = results.setdefault("stats", {})
    for n in sizes():
        entry: dict[str, Any] = {"dossiers": n}
        runs[str(n)] = entry
        say(f"Statistics: {n:,} dossier facts (generate_series)")
        entry["generate_s"] = round(generate(n, fx, today=today), 1)
        say("Statistics: roll-up of the year (stats.rollup.rebuild)")
        seconds, cells = roll_up(today=today)
        entry["rollup_s"], entry["daily_cells"] = round(seconds, 1), cells
        save()
        say("Statistics: SQL queries per request")
        try:
            counts = query_counts(fx["statistician"])
        except Exception as exc:  # noqa: BLE001 - record it, go on
            results["errors"].append(f"stats {n} queries: {exc!r}")
            save()
            continue
        session = counts.pop("session_cookie")
        entry.update(counts)
        save()
        connection.close()
        say(f"Statistics: HTTP, {args.connections} connections")
        try:
            entry.update(http_load(args, env, session))
        except Exception as exc:  # noqa: BLE001
            results["errors"].append(f"stats {n} http: {exc!r}")
        save()
    measured = [e for e in runs.values() if "dashboard_vs_hello" in e]
    if measured:
        results["stats_dashboard_vs_hello"] = min(e["dashboard_vs_hello"] for e in measured)
        results["stats_public_vs_hello"] = min(e["public_vs_hello"] for e in measured)
    counted = [e for e in runs.values() if "queries_dashboard" in e]
    if counted:
        keys = ["queries_dashboard", "queries_dashboard_cold", "queries_public"]
        keys.append("queries_public_cold")
        results["stats_queries_equal"] = all(len({e[k] for e in counted}) == 1 for k in keys)
    save()


def print_table(r: dict[str, Any]) -> None:
    runs = r.get("stats", {})
    if not runs:
        return
    rows = [
        ("generate (s)", "generate_s"),
        ("roll-up (s)", "rollup_s"),
        ("daily cells", "daily_cells"),
        ("queries, dashboard (cached / cold)", ("queries_dashboard", "queries_dashboard_cold")),
        ("queries, public (cached / cold)", ("queries_public", "queries_public_cold")),
        ("hello (req/s)", "hello_rps"),
        ("dashboard (req/s)", "dashboard_rps"),
        ("public (req/s)", "public_rps"),
        ("dashboard / hello", "dashboard_vs_hello"),
        ("public / hello", "public_vs_hello"),
        ("p50 dashboard / public (ms)", ("dashboard_http_p50_ms", "public_http_p50_ms")),
    ]
    sizes_ = list(runs)
    width = max(len(name) for name, _ in rows)
    print()
    print(f"  {'statistics':<{width}}  " + "  ".join(f"{int(s):>14,}" for s in sizes_))
    for name, key in rows:
        cells = []
        for s in sizes_:
            entry = runs[s]
            if isinstance(key, tuple):
                values = [entry.get(k) for k in key]
                text = " / ".join("-" if v is None else str(v) for v in values)
            else:
                value = entry.get(key)
                text = (
                    "-" if value is None else f"{value:,}" if isinstance(value, int) else str(value)
                )
            cells.append(f"{text:>14}")
        print(f"  {name:<{width}}  " + "  ".join(cells))
    print(
        f"  targets: dashboard / hello and public / hello ≥ 0.2; "
        f"queries equal at every size: {r.get('stats_queries_equal', '-')}"
    )
