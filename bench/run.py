"""Load-test Newsroom: seed a synthetic newsroom, serve it with gunicorn, load it with wrk.

    .venv/bin/python bench/run.py --articles 10000 [--duration 10] [--no-seed]

SQLite by default (a new file under bench-results/); PostgreSQL when DATABASE_URL is set,
used as given: it must be a throwaway database (it is migrated and seeded). Prints a table per
endpoint (req/s, p50, p99, errors, response size, SQL queries per request) with the page cache
off ("cold") and on ("warm"), and writes it to bench-results/bench-<timestamp>.md and .json.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"
DJANGO_SIDE = Path(__file__).resolve().parent / "django_side.py"
ENDPOINTS = ["article", "home", "section", "tag", "person", "search", "feed", "sitemap"]
# The environment variable that switches the page cache, as newsroom/settings.py reads it.
CACHE_SWITCH = "NEWSROOM_CACHE_ENABLED"
MODES = {"cold": "0", "warm": "1", "publishing": "1"}
# Before each measured run, wait (up to SETTLE_SECONDS) until the server answers a light
# request within SETTLED_MS: requests an earlier run left in flight have finished.
SETTLE_SECONDS = 120
SETTLED_MS = 50

LUA = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
"""


class BenchError(SystemExit):
    """A reason the benchmark cannot run, said plainly (exit status 1)."""

    def __init__(self, message: str):
        super().__init__(f"bench: {message}")


def log(message: str) -> None:
    sys.stdout.write(f"[bench {datetime.now():%H:%M:%S}] {message}\n")
    sys.stdout.flush()


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if not shutil.which("apt-get"):
        raise BenchError("wrk is not installed and apt-get is not available; install wrk.")
    log("wrk is missing: apt-get install -y wrk")
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    # Fixed commands; apt-get is found on PATH as an operator's shell would.
    if subprocess.run(install, check=False, timeout=300).returncode != 0:  # noqa: S603
        subprocess.run(["apt-get", "update", "-q"], check=False, timeout=300)  # noqa: S607
        if subprocess.run(install, check=False, timeout=300).returncode != 0:  # noqa: S603
            raise BenchError("apt-get could not install wrk (are you root?); install it by hand.")
    return shutil.which("wrk") or "wrk"


def ensure_gunicorn() -> None:
    probe = subprocess.run(
        [sys.executable, "-c", "import gunicorn"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        raise BenchError(
            f"gunicorn is not importable by {sys.executable}; it is the production server "
            "the benchmark measures. Add it to requirements.txt and run `make install`."
        )


def cache_switch_present() -> bool:
    """Whether the settings read the page-cache switch (else cold and warm are the same)."""
    settings = (ROOT / "newsroom" / "settings.py").read_text(encoding="utf-8")
    return CACHE_SWITCH in settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(cmd: list[str], env: dict, timeout: float, capture: bool = False) -> str:
    result = subprocess.run(  # noqa: S603 - our own interpreter, scripts and arguments
        cmd, env=env, cwd=ROOT, timeout=timeout, check=False, capture_output=capture, text=True
    )
    if result.returncode != 0:
        detail = (result.stderr or "")[-2000:] if capture else ""
        raise BenchError(f"{' '.join(cmd[:4])} failed (exit {result.returncode}). {detail}")
    return result.stdout if capture else ""


def manage(env: dict, *args: str, timeout: float = 3600) -> None:
    run([sys.executable, "manage.py", *args], env, timeout)


def django_side(env: dict, *args: str) -> dict:
    return json.loads(run([sys.executable, str(DJANGO_SIDE), *args], env, 600, capture=True))


def base_env(args, stamp: str, port: int) -> dict:
    env = dict(os.environ)
    database_url = env.get("DATABASE_URL")
    if not database_url:
        database_url = f"sqlite:///{RESULTS / f'bench-{stamp}.sqlite3'}"
    env.update(
        DATABASE_URL=database_url,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        NEWSROOM_DOMAIN=f"127.0.0.1:{port}",
        NEWSROOM_URL_SCHEME="http",
        MEDIA_ROOT=str(RESULTS / "media"),
        STATIC_ROOT=str(RESULTS / "static"),
        DJANGO_SETTINGS_MODULE="newsroom.settings",
        PYTHONPATH=str(ROOT),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        # No access log: at thousands of requests a second it only fills the disk.
        GUNICORN_ACCESS_LOG="",
    )
    return env


class Server:
    """gunicorn serving the app, per gunicorn.conf.py when the project has one."""

    def __init__(self, env: dict, port: int, log_path: Path):
        self.env, self.port, self.log_path = env, port, log_path
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "gunicorn", "newsroom.wsgi:application"]
        config = ROOT / "gunicorn.conf.py"
        if config.exists():
            cmd += ["--config", str(config)]
        else:
            cmd += ["--workers", str(2 * (os.cpu_count() or 1) + 1), "--worker-class", "sync"]
        # The command line wins over the config file: serve on the benchmark's own port.
        return [*cmd, "--bind", f"127.0.0.1:{self.port}"]

    def start(self) -> None:
        self.log_file = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own gunicorn and config
            self.command(),
            env=self.env,
            cwd=ROOT,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited at start; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/robots.txt", timeout=5):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        raise BenchError(f"gunicorn did not answer within 60 s; see {self.log_path}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.process:
            self.log_file.close()


def settle(port: int) -> None:
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        started = time.monotonic()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/robots.txt", timeout=60):
            pass
        if (time.monotonic() - started) * 1000 < SETTLED_MS:
            return
        time.sleep(0.5)
    log(f"the server was still busy after {SETTLE_SECONDS} s; measuring anyway")


def preflight(port: int, urls: dict[str, list[str]]) -> None:
    """Every URL answers 200 before it is loaded: a benchmark of errors measures nothing."""
    for name, paths in urls.items():
        for path in paths[:3]:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as r:
                    status = r.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            if status != 200:
                raise BenchError(f"{name}: GET {path} answered {status}, not 200.")


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}
SIZES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS[unit]


def parse_wrk(output: str) -> dict:
    """req/s, p50, p99, errors and bytes per response from wrk --latency output."""
    total = re.search(r"(\d+) requests in [\d.]+\w+, ([\d.]+)(B|KB|MB|GB) read", output)
    requests = int(total.group(1)) if total else 0
    read = float(total.group(2)) * SIZES[total.group(3)] if total else 0
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    p50 = re.search(r"^\s+50%\s+([\d.]+\w+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+\w+)", output, re.M)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    return {
        "requests": requests,
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50_ms": _ms(p50.group(1)) if p50 else None,
        "p99_ms": _ms(p99.group(1)) if p99 else None,
        "non_2xx_3xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(map(int, socket_errors.groups())) if socket_errors else 0,
        "bytes_per_response": round(read / requests) if requests else 0,
    }


def load(wrk: str, port: int, paths: list[str], args, duration: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % ", ".join(json.dumps(p) for p in paths))
    try:
        cmd = [
            wrk,
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            script.name,
            f"http://127.0.0.1:{port}",
        ]
        done = subprocess.run(  # noqa: S603 - wrk with the runner's own arguments
            cmd, capture_output=True, text=True, timeout=duration + 60, check=False
        )
    finally:
        os.unlink(script.name)
    output = done.stdout
    if done.returncode != 0 or "Requests/sec" not in output:
        raise BenchError(f"wrk failed (exit {done.returncode}): {done.stderr or output}")
    return parse_wrk(output) | {"wrk_output": output}


def fmt(value, pattern: str = "{:.0f}") -> str:
    return "-" if value is None else pattern.format(value)


class Desk:
    """Live edits during a run (django_side.py publish), each raising the content generation."""

    # Django starts in the edits' process before the run begins, so its start-up is not
    # measured; its first edit comes EVERY seconds after that.
    STARTUP_SECONDS = 2.0

    def __init__(self, env: dict, args):
        self.process = subprocess.Popen(  # noqa: S603 - our own script
            [
                sys.executable,
                str(DJANGO_SIDE),
                "publish",
                str(args.publish_every),
                str(args.duration),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(self.STARTUP_SECONDS)

    def finish(self) -> int:
        out, err = self.process.communicate(timeout=120)
        if self.process.returncode != 0:
            code = self.process.returncode
            raise BenchError(f"the live edits failed (exit {code}): {err[-500:]}")
        return json.loads(out)["saves"]


def table(results: list[dict], connections: int) -> str:
    lines = [
        "| endpoint | cache | req/s | p50 ms | p99 ms | errors | bytes/resp | SQL/req |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in results:
        errors = row["non_2xx_3xx"] + row["socket_errors"]
        if not row["requests"]:
            # wrk counts only finished requests: none finished within the run.
            lines.append(f"| {row['endpoint']} | {row['mode']} | 0 | none finished in the run |")
            continue
        p50, p99 = fmt(row["p50_ms"], "{:.1f}"), fmt(row["p99_ms"], "{:.1f}")
        if row["requests"] < connections:
            # Most connections still waited when the run ended: the latencies of the few
            # that finished say nothing of the rest.
            p50 = p99 = f"> run ({row['requests']} finished)"
        lines.append(
            f"| {row['endpoint']} | {row['mode']} | {fmt(row['rps'])} | {p50} | {p99} | "
            f"{errors} | {fmt(row['bytes_per_response'])} | {fmt(row.get('queries'))} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=int, default=10, help="Seconds per endpoint/mode.")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--no-seed", action="store_true", help="Use the stories already in the database."
    )
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS), help="Comma-separated.")
    parser.add_argument(
        "--publish-every",
        type=float,
        default=2.0,
        help="Seconds between live edits in the 'publishing' rows (0: no such rows).",
    )
    args = parser.parse_args(argv)
    endpoints = [e.strip() for e in args.endpoints.split(",") if e.strip()]
    unknown = set(endpoints) - set(ENDPOINTS)
    if unknown:
        raise BenchError(f"unknown endpoint(s) {', '.join(sorted(unknown))}; know {ENDPOINTS}.")
    if args.duration <= 0 or args.articles < 1:
        raise BenchError("--duration and --articles must be positive.")

    wrk = ensure_wrk()
    ensure_gunicorn()
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    port = free_port()
    env = base_env(args, stamp, port)
    database = "PostgreSQL" if env["DATABASE_URL"].startswith("postgres") else "SQLite"
    switch = cache_switch_present()
    if not switch:
        log(f"settings do not read {CACHE_SWITCH}: no page cache switch, cold = warm setup")

    log(f"{database}: migrate")
    manage(env, "migrate", "--noinput", "-v0")
    if not args.no_seed:
        log(f"seed {args.articles} stories")
        started = time.monotonic()
        manage(env, "seed_newsroom", f"--articles={args.articles}", f"--seed={args.seed}")
        seed_seconds = round(time.monotonic() - started, 1)
    else:
        seed_seconds = None
    manage(env, "collectstatic", "--noinput", "-v0")
    urls = django_side(env, "pick")

    # Other work on the machine skews every number: the report says how busy it was.
    load_before = os.getloadavg()
    results = []
    modes = {m: v for m, v in MODES.items() if m != "publishing" or args.publish_every > 0}
    for mode, enabled in modes.items():
        mode_env = env | {CACHE_SWITCH: enabled}
        queries = django_side(mode_env, "queries", json.dumps({e: urls[e][0] for e in endpoints}))
        server = Server(mode_env, port, RESULTS / f"bench-{stamp}-gunicorn.log")
        log(f"{mode}: start gunicorn ({' '.join(server.command()[2:])})")
        server.start()
        try:
            preflight(port, {e: urls[e] for e in endpoints})
            for endpoint in endpoints:
                if mode != "cold":
                    # Fill each worker's copies first (pages are kept per process).
                    load(wrk, port, urls[endpoint], args, max(1, args.duration // 2))
                # Let the requests an earlier run left in flight finish: slow ones still
                # running would be measured as part of this run.
                settle(port)
                desk = Desk(mode_env, args) if mode == "publishing" else None
                try:
                    row = load(wrk, port, urls[endpoint], args, args.duration)
                finally:
                    saves = desk.finish() if desk else None
                row |= {
                    "endpoint": endpoint,
                    "mode": mode,
                    "queries": queries[endpoint]["repeat"],
                    "urls": len(urls[endpoint]),
                    "saves": saves,
                }
                log(
                    f"{mode} {endpoint}: {row['rps']:.0f} req/s, p99 {fmt(row['p99_ms'])} ms, "
                    f"{row['queries']} queries"
                )
                results.append(row)
        finally:
            server.stop()

    heading = (
        f"# Newsroom benchmark {stamp}\n\n"
        f"{database}, {args.articles if not args.no_seed else 'existing'} stories "
        f"(seeded in {seed_seconds} s), gunicorn "
        f"{'per gunicorn.conf.py' if (ROOT / 'gunicorn.conf.py').exists() else 'default flags'}"
        f", wrk -t{args.threads} -c{args.connections} -d{args.duration}s per endpoint, "
        f"{os.cpu_count()} CPUs, load average {load_before[0]:.1f} before / "
        f"{os.getloadavg()[0]:.1f} after the runs. Cache: "
        f"{'Redis (REDIS_URL)' if env.get('REDIS_URL') else 'local memory'}, pages kept in "
        "each worker."
        f" cold = page cache off ({CACHE_SWITCH}=0"
        f"{'' if switch else ', which the settings do not read'}), warm = on, after a "
        "warm-up run"
        + (
            f"; publishing = warm while a live story is saved every {args.publish_every:g} s "
            "(each save makes every cached page stale)"
            if args.publish_every > 0
            else ""
        )
        + ". SQL/req: a repeated request through Django's test client.\n"
    )
    report = f"{heading}\n{table(results, args.connections)}\n"
    sys.stdout.write("\n" + report)
    (RESULTS / f"bench-{stamp}.md").write_text(report, encoding="utf-8")
    summary = {
        "stamp": stamp,
        "database": database,
        "articles": None if args.no_seed else args.articles,
        "seed_seconds": seed_seconds,
        "duration": args.duration,
        "threads": args.threads,
        "connections": args.connections,
        "cpus": os.cpu_count(),
        "load_average_before": load_before[0],
        "cache_switch": switch,
        "urls": urls,
        "results": results,
    }
    (RESULTS / f"bench-{stamp}.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    log(f"wrote bench-results/bench-{stamp}.md and .json")


if __name__ == "__main__":
    main()
