"""HTTP load for the benchmark: wrk when installed, else a small Python generator.

Both keep connections alive, run for a fixed time with a fixed number of
connections, and report requests per second, latency percentiles and the
number of answers that were not 200.
"""

from __future__ import annotations

import http.client
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class LoadResult:
    tool: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    notes: list[str] = field(default_factory=list)


def run_load(
    *,
    host: str,
    port: int,
    paths: list[str],
    headers: dict[str, str] | None = None,
    seconds: float = 15.0,
    connections: int = 16,
    tool: str = "auto",
) -> LoadResult:
    """Send GETs to ``paths`` (picked at random per request) for ``seconds``."""
    if tool in ("auto", "wrk") and shutil.which("wrk"):
        return _wrk(host, port, paths, headers or {}, seconds, connections)
    if tool == "wrk":
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    return _python(host, port, paths, headers or {}, seconds, connections)


# --- wrk ---------------------------------------------------------------------------------

_LUA = """
local paths = {%(paths)s}
local headers = {%(headers)s}
math.randomseed(%(seed)d)
request = function()
  return wrk.format("GET", paths[math.random(#paths)], headers)
end
"""


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _duration(text: str) -> float:
    """wrk's latency ('812.00us', '1.23ms', '2.01s') in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if match is None:
        raise ValueError(f"unexpected duration in wrk's output: {text!r}")
    number, unit = match.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3.6e6}[unit]


def _wrk(host, port, paths, headers, seconds, connections) -> LoadResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            _LUA
            % {
                "paths": ", ".join(_lua_string(p) for p in paths),
                "headers": ", ".join(
                    f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()
                ),
                "seed": random.randrange(1 << 30),
            }
        )
    try:
        threads = max(1, min(2, connections))
        out = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",  # wrk counts whole seconds
                "--latency",
                "--timeout",
                "10s",
                "-s",
                script.name,
                f"http://{host}:{port}",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        Path(script.name).unlink(missing_ok=True)
    try:
        return _parse_wrk(out)
    except (AttributeError, ValueError) as exc:
        raise RuntimeError(f"could not read wrk's output ({exc}):\n{out}") from None


def _parse_wrk(out: str) -> LoadResult:
    requests = int(re.search(r"(\d+) requests in ([\d.]+)(\w+)", out).group(1))
    elapsed_match = re.search(r"\d+ requests in ([\d.]+\w+)", out).group(1)
    elapsed = _duration(elapsed_match) / 1000.0
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    ):
        errors += sum(int(g) for g in match.groups())
    # The "Latency Distribution" lines (a "+/- Stdev" column may also end in "50%").
    p50 = _duration(re.search(r"^\s+50%\s+(\S+)\s*$", out, re.M).group(1))
    p99 = _duration(re.search(r"^\s+99%\s+(\S+)\s*$", out, re.M).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return LoadResult("wrk", requests, elapsed, rps, p50, p99, errors)


# --- Python ------------------------------------------------------------------------------


def _python(host, port, paths, headers, seconds, connections) -> LoadResult:
    deadline = time.monotonic() + seconds
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections

    def worker(i: int) -> None:
        rng = random.Random(i)
        conn = http.client.HTTPConnection(host, port, timeout=10)
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                conn.request("GET", rng.choice(paths), headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors[i] += 1
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                errors[i] += 1
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=10)
                continue
            latencies[i].append((time.perf_counter() - started) * 1000)
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    all_ms = sorted(ms for per in latencies for ms in per)
    n = len(all_ms)
    return LoadResult(
        "python",
        n,
        elapsed,
        n / elapsed if elapsed else 0.0,
        all_ms[n // 2] if n else 0.0,
        all_ms[min(n - 1, int(n * 0.99))] if n else 0.0,
        sum(errors),
        ["Python load generator (GIL-bound): the floor may be underestimated"],
    )
