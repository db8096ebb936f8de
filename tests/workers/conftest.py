"""A real Celery worker for the tests in this folder.

``celery_worker`` starts ``celery -A egov worker`` as a subprocess (solo pool,
the default queue) on a Redis server of its own (``redis-server`` on a free
port, no persistence) and on the very database pytest-django created for this
run, so the test process and the worker see the same committed rows (tests
here are ``django_db(transaction=True)``). The test process really enqueues:
Celery's eager mode is switched off for the test and the app publishes to that
Redis. Files (PDFs) and emails go to a temporary folder both processes share.

    def test_x(celery_worker):
        worker = celery_worker.start(EGOV_HANDOFF_MAX_ATTEMPTS="3")  # env for the worker
        ...
        worker.kill()                 # SIGKILL, as a crash would
        celery_worker.start()         # a new worker on the same broker and database
        celery_worker.redis.stop()    # the broker goes away (and .start() again)
        celery_worker.start_beat()    # the beat, sending the sweeps on its schedule

Tests are skipped only when the ``celery`` program is missing; a missing
``redis-server`` is a failure with what to install (scripts/ensure-services.sh
installs it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg2
import pytest
import redis as redis_lib
from django.db import connection

from egov.celery import app

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
READY_TIMEOUT = 45.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(check: Callable[[], Any], timeout: float = 30.0, what: str = "", every=0.1) -> Any:
    """Poll ``check`` until it returns something true; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what or check}")
        time.sleep(every)


def database_url() -> str:
    """The URL of the database pytest-django created (test_<name>)."""
    s = connection.settings_dict
    user = quote(s.get("USER") or "postgres", safe="")
    password = f":{quote(s['PASSWORD'], safe='')}" if s.get("PASSWORD") else ""
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{s['NAME']}"


def raw_connection():
    """A connection of its own to the test database (to hold locks, say)."""
    s = connection.settings_dict
    conn = psycopg2.connect(
        dbname=s["NAME"],
        user=s.get("USER") or "postgres",
        password=s.get("PASSWORD") or None,
        host=s.get("HOST") or "127.0.0.1",
        port=s.get("PORT") or 5432,
    )
    return conn


class HeldCounter:
    """An agency's dossier-number counter held (SELECT ... FOR UPDATE) by a
    connection of its own, so that a worker delivering a handoff to that
    agency stops half-way: its dossier inserted, not yet numbered, nothing
    committed. ``with held_counter(agency_id) as held: ...``"""

    def __init__(self, agency_id: int) -> None:
        self.lock, self.watch = raw_connection(), raw_connection()
        self.watch.autocommit = True  # pg_stat_activity is read afresh by each statement
        with self.lock.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM onecounter_dossiercodecounter WHERE agency_id = %s FOR UPDATE",
                [agency_id],
            )

    def sessions(self, condition: str, *params: Any) -> list[int]:
        with self.watch.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND "
                + condition,
                params,
            )
            return [pid for (pid,) in cursor.fetchall()]

    def wait_blocked(self) -> int:
        """The database session of the delivery, once it waits on the counter."""
        (blocked,) = wait_until(
            lambda: self.sessions(
                "wait_event_type = 'Lock' AND query ILIKE %s", "%onecounter_dossiercodecounter%"
            ),
            30,
            "the delivery to block half-way",
        )
        return blocked

    def release(self) -> None:
        self.lock.rollback()

    def wait_ended(self, pid: int) -> None:
        wait_until(lambda: not self.sessions("pid = %s", pid), 20, "the killed session to end")

    def close(self) -> None:
        self.lock.close()
        self.watch.close()


@contextlib.contextmanager
def held_counter(agency_id: int):
    held = HeldCounter(agency_id)
    try:
        yield held
    finally:
        held.close()


class RedisServer:
    """``redis-server`` on a free port, in memory only; stop and start at will."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        try:
            client = redis_lib.Redis(port=self.port, socket_connect_timeout=0.5, retry=None)
            return bool(client.ping())
        except redis_lib.RedisError:
            return False

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail(
                "The worker tests need the redis-server program "
                "(Debian: apt-get install redis-server; scripts/ensure-services.sh installs it)."
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        log = open(self.directory / "redis.log", "ab")  # noqa: SIM115 - kept by the process
        self.process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", ""]
            + ["--appendonly", "no", "--dir", str(self.directory)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_until(self.ping, 10, "redis-server to answer")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


class Worker:
    """One ``celery worker`` process; its output goes to ``log_path``."""

    def __init__(self, env: dict[str, str], log_path: Path, queue: str) -> None:
        self.env = env
        self.log_path = log_path
        self.queue = queue
        self.name = f"egov-test-{uuid.uuid4().hex[:8]}@%h"
        self.process: subprocess.Popen | None = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self) -> Worker:
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept by the process
        self.process = subprocess.Popen(
            [str(CELERY), "-A", "egov", "worker", "--pool=solo", "-Q", self.queue]
            + ["--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
            + ["-n", self.name],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + READY_TIMEOUT
        while " ready." not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"the Celery worker did not start:\n{self.log()[-4000:]}")
            time.sleep(0.1)
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, no ack, the transaction in flight is cut."""
        if self.alive:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if not self.alive:
            return
        self.process.send_signal(signal.SIGTERM)  # warm shutdown
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.kill()

    def succeeded(self, task_name: str) -> int:
        """How many runs of the task this worker logged as succeeded."""
        return sum(
            1
            for line in self.log().splitlines()
            if f"Task {task_name}[" in line and "succeeded" in line
        )


class Beat(Worker):
    """One ``celery beat`` process (the schedule kept in a file of the test's own)."""

    def __init__(self, env: dict[str, str], log_path: Path, schedule: Path) -> None:
        super().__init__(env, log_path, queue="")
        self.schedule = schedule

    def start(self) -> Beat:
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept by the process
        self.process = subprocess.Popen(
            [str(CELERY), "-A", "egov", "beat", "--loglevel=INFO", "-s", str(self.schedule)],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + READY_TIMEOUT
        while "beat: Starting..." not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"celery beat did not start:\n{self.log()[-4000:]}")
            time.sleep(0.1)
        return self


class CeleryHarness:
    """The broker, the worker(s) and the env they run with (see the module doc)."""

    def __init__(self, directory: Path, redis: RedisServer) -> None:
        self.directory = directory
        self.redis = redis
        self.workers: list[Worker] = []
        self.beats: list[Beat] = []
        self.var_dir = directory / "var"
        self.base_env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.workers.settings",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": redis.url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "EGOV_VAR_DIR": str(self.var_dir),
            # The external registry connector is off unless a test turns it on.
            "EGOV_CIVIL_REGISTRY_URL": "",
            "PYTHONUNBUFFERED": "1",
        }

    @property
    def private_dir(self) -> Path:
        return self.var_dir / "private"

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    def start(self, **env: str) -> Worker:
        worker = Worker(
            {**self.base_env, **{k: str(v) for k, v in env.items()}},
            self.directory / f"worker-{len(self.workers) + 1}.log",
            app.conf.task_default_queue,
        )
        self.workers.append(worker)
        return worker.start()

    def start_beat(self, **env: str) -> Beat:
        """``celery beat`` as its own process, as in production: it sends the
        sweeps on the schedule of egov/celery.py (EGOV_SWEEP_SECONDS)."""
        beat = Beat(
            {**self.base_env, **{k: str(v) for k, v in env.items()}},
            self.directory / f"beat-{len(self.beats) + 1}.log",
            self.directory / f"beat-{len(self.beats) + 1}.schedule",
        )
        self.beats.append(beat)
        return beat.start()

    @property
    def worker(self) -> Worker:
        return self.workers[-1]

    def logs(self) -> str:
        return "\n".join(f"--- {w.log_path.name}\n{w.log()}" for w in [*self.workers, *self.beats])

    def stop_all(self) -> None:
        for worker in self.workers:
            worker.stop()
        for beat in self.beats:
            beat.stop()


def _point_app_at(broker_url: str | None, eager: bool) -> None:
    """Make the test process's Celery app publish to ``broker_url`` for real."""
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = broker_url
    app.conf.task_always_eager = eager


@pytest.fixture
def celery_worker(transactional_db, settings, tmp_path, request):
    if not CELERY.exists() and shutil.which("celery") is None:
        pytest.skip(f"the celery program is not installed ({CELERY}); run `make install`")
    redis = RedisServer(tmp_path / "redis").start()
    harness = CeleryHarness(tmp_path, redis)
    harness.private_dir.mkdir(parents=True)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = redis.url
    settings.EGOV_CIVIL_REGISTRY_URL = ""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {
                **settings.STORAGES["default"].get("OPTIONS", {}),
                "location": str(harness.private_dir),
            },
        },
    }
    before = (app.conf.broker_url, app.conf.task_always_eager)
    _point_app_at(redis.url, eager=False)
    try:
        yield harness
    finally:
        harness.stop_all()
        _point_app_at(*before)
        redis.stop()
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            sys.stderr.write(harness.logs()[-8000:])


def pytest_collection_modifyitems(items):
    # Every test in this folder needs a real worker: mark it `worker` (even if
    # the file forgets its pytestmark), so `-m "not worker"` skips them all.
    for item in items:
        if "tests/workers/" in str(item.path):
            item.add_marker(pytest.mark.worker)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
