"""Shared parts of the HTTP load benchmarks (bench/submit, bench/sms_inbound).

Each of those scripts starts two gunicorn servers with the same settings on one fresh PostgreSQL
database, the app (wsgi:app) and the baseline (bench/baseline_app.py: one row inserted per request),
loads them alternately with wrk and bench/load.lua, and prints the app's throughput as a ratio of the
baseline's measured in the same run. This module holds what they share: the database, the servers,
wrk, the CPU accounting and the report with its closing JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
VENV = REPO / ".venv"
LUA = BENCH_DIR / "load.lua"
OUT_DIR = BENCH_DIR / "out"


def reexec_in_venv(script: str) -> None:
    """Run `script` under the repo's venv interpreter (it has psycopg, gunicorn and the app)."""
    venv_python = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() == VENV.resolve() or not venv_python.exists():
        return
    if os.environ.get("BENCH_REEXEC"):
        return
    os.environ["BENCH_REEXEC"] = "1"
    os.execv(str(venv_python), [str(venv_python), str(Path(script).resolve()), *sys.argv[1:]])


class BenchError(Exception):
    """The benchmark could not run; the message says why."""


def say(message: str = "") -> None:
    print(message, flush=True)


def fail(prog: str, message: str) -> None:
    print(f"{prog}: error: {message}", file=sys.stderr, flush=True)


def venv_tool(name: str) -> str:
    for candidate in (Path(sys.executable).parent / name, VENV / "bin" / name):
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if not found:
        raise BenchError(f"{name!r} not found: install the project into .venv (`pip install -e .`)")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(method: str, url: str, body: dict | None = None, api_key: str | None = None,
         timeout: float = 10.0) -> tuple[int, dict | None]:
    """Send one request to a local server; return (status, JSON body or None)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if api_key:
        request.add_header("Authorization", f"Bearer {api_key}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, None


# --- PostgreSQL -----------------------------------------------------------------------------------


def sqlalchemy_url(pg_url: str, dbname: str) -> str:
    base = pg_url.rstrip("/").split("://", 1)[1]
    return f"postgresql+psycopg://{base}/{dbname}"


def admin_execute(pg_url: str, admin_db: str, *statements: str) -> None:
    import psycopg

    try:
        with psycopg.connect(f"{pg_url.rstrip('/')}/{admin_db}", autocommit=True, connect_timeout=10) as conn:
            for statement in statements:
                conn.execute(statement)
    except psycopg.Error as err:
        raise BenchError(f"PostgreSQL at {pg_url}/{admin_db}: {err}") from err


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def backend_pids(pg_url: str, admin_db: str, application_name: str) -> list[int]:
    """The pids of the PostgreSQL backends serving one of the servers (told apart by application_name)."""
    import psycopg

    with psycopg.connect(f"{pg_url.rstrip('/')}/{admin_db}", autocommit=True, connect_timeout=10) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [application_name])
        return [row[0] for row in rows]


# --- CPU accounting (Linux /proc; PostgreSQL's share only when it runs on this machine) --------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far; 0 when it is gone or unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


def child_pids(parent: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == parent:
                    children.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return children


def cpu_snapshot(pids: list[int]) -> dict[int, float]:
    return {pid: proc_cpu_seconds(pid) for pid in pids}


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two snapshots (a process that appeared in between counts from zero)."""
    return sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in after.items())


# --- servers --------------------------------------------------------------------------------------


@dataclass
class Server:
    """One gunicorn server started by this script, stopped by its pid."""

    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    log_path: Path
    port: int
    application_name: str = ""
    proc: subprocess.Popen | None = None
    log_file: object = None

    def pids(self) -> list[int]:
        """The gunicorn master and its workers."""
        return [self.proc.pid, *child_pids(self.proc.pid)] if self.proc else []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.log_file = open(self.log_path, "w")  # noqa: SIM115 (closed in stop())
        # A session of its own: a Ctrl-C at the terminal reaches only this script, which stops it.
        self.proc = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env, stdout=self.log_file,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"{self.name} server exited with {self.proc.returncode}; "
                                 f"log:\n{self.log_tail()}")
            try:
                status, _ = http("GET", f"{self.base_url}/healthz", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError(f"{self.name} server did not answer within {timeout:.0f}s; log:\n{self.log_tail()}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # gunicorn: graceful stop of the master and its workers
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                say(f"  {self.name} server did not stop in 20s; killing its process group {proc.pid}")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        if self.log_file is not None:
            self.log_file.close()
            self.log_file = None

    def log_tail(self, lines: int = 30) -> str:
        if self.log_file is not None:
            self.log_file.flush()
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def gunicorn_settings(args: argparse.Namespace) -> list[str]:
    """The gunicorn options both servers get (the only difference between them is the app)."""
    # No control socket: gunicorn's is one shared path, removed by whichever instance stops first.
    settings = ["--workers", str(args.workers), "--worker-class", args.worker_class,
                "--graceful-timeout", "10", "--log-level", "warning", "--no-control-socket"]
    if args.worker_class == "gthread":
        settings += ["--threads", str(args.gthreads)]
    return settings


def describe_settings(args: argparse.Namespace) -> str:
    text = f"gunicorn --workers {args.workers} --worker-class {args.worker_class}"
    if args.worker_class == "gthread":
        text += f" --threads {args.gthreads}"
    return text


# --- wrk ------------------------------------------------------------------------------------------


@dataclass
class WrkResult:
    name: str
    duration_s: float
    requests: int
    non2xx: int
    socket_errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    first_bad_status: int
    raw: dict = field(default_factory=dict)
    exhausted: bool = False  # a requests file ran out: the run measured too little and must be repeated
    server_cpu_ms: float | None = None  # CPU per request of the gunicorn processes
    db_cpu_ms: float | None = None  # CPU per request of the server's PostgreSQL backends

    @property
    def ok_rps(self) -> float:
        return (self.requests - self.non2xx) / self.duration_s if self.duration_s else 0.0

    def line(self) -> str:
        extra = f", first bad status {self.first_bad_status}" if self.first_bad_status else ""
        if self.server_cpu_ms is not None:
            extra += f"; CPU/request: server {self.server_cpu_ms:.2f} ms"
            if self.db_cpu_ms is not None:
                extra += f", postgres {self.db_cpu_ms:.2f} ms"
        return (f"{self.ok_rps:9.1f} req/s (2xx)   p50 {self.p50_ms:6.1f} ms   p90 {self.p90_ms:6.1f} ms   "
                f"p99 {self.p99_ms:6.1f} ms   max {self.max_ms:7.1f} ms   "
                f"{self.requests} requests, {self.non2xx} non-2xx, {self.socket_errors} socket errors{extra}")


@dataclass
class Load:
    """What wrk sends to one server through bench/load.lua.

    Either the same `body` every time, or one line of `requests_file` per request (tab-separated
    "Name: value" headers, then the body; a ":path: /…" field sends that line to another path than
    `path`), each line used once and in order: `offset` is the first line not yet handed out,
    advanced after every run of wrk. A requests file is sent by one wrk thread (its order could not
    be kept across threads); the connections are the same. Before each run the file is topped up to
    what `generous_rate` requests per second would use (run_sized), so no server runs out of them.
    """

    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    requests_file: Path | None = None
    offset: int = 0
    lines: int = 0
    # For a requests file: whether lines may be sent again from the top (a server that ignores what
    # they say, the baseline), else how to append at least n more lines to it, returning how many.
    cycle: bool = False
    refill: Callable[[int], int] | None = None
    # Requests per second the file is sized for before each run: more than any server here reaches.
    generous_rate: float = 2000.0

    def lua_env(self) -> dict[str, str]:
        if self.requests_file is None:
            return {"BENCH_BODY": self.body or ""}
        return {"BENCH_REQUESTS": str(self.requests_file), "BENCH_OFFSET": str(self.offset),
                "BENCH_CYCLE": "1" if self.cycle else ""}

    def ensure_lines(self, duration: float) -> None:
        """Before a run: have at least `duration` x generous_rate lines not yet sent (refill if short)."""
        wanted = int(duration * self.generous_rate) - (self.lines - self.offset)
        if self.requests_file is not None and not self.cycle and wanted > 0:
            if self.refill is None:
                raise BenchError(f"{self.lines - self.offset} prepared requests left; a run of {duration:g}s "
                                 f"needs {int(duration * self.generous_rate)} and there is no way to make more")
            self.lines += self.refill(wanted)

    def wrk_threads(self, args: argparse.Namespace) -> int:
        return args.wrk_threads if self.requests_file is None else 1


def run_wrk(wrk: str, name: str, base_url: str, load: Load, args: argparse.Namespace, duration: float,
            log_path: Path) -> WrkResult:
    """Load one server for `duration` seconds; the header values (secrets) are kept out of the log."""
    headers = [arg for name_, value in load.headers.items() for arg in ("-H", f"{name_}: {value}")]
    argv = [wrk, "-t", str(load.wrk_threads(args)), "-c", str(args.connections), "-d", f"{duration:g}s",
            "--timeout", "10s", "-s", str(LUA), *headers, base_url + load.path]
    env = dict(os.environ, **load.lua_env())
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=duration + 60, check=False)
    except subprocess.TimeoutExpired as err:
        raise BenchError(f"wrk against {name} did not finish in {duration + 60:g}s") from err
    shown = [arg if arg == "-H" or arg not in headers else arg.split(":", 1)[0] + ": …" for arg in argv]
    with open(log_path, "a") as log:
        log.write(f"$ {' '.join(shown)}\n{done.stdout}{done.stderr}\n")
    summary = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_RESULT ")), None)
    if done.returncode != 0 or summary is None:
        raise BenchError(f"wrk against {name} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    raw = json.loads(summary.split(" ", 1)[1])
    if load.requests_file is not None:
        load.offset += raw["generated"]
        if load.cycle:
            load.offset %= load.lines
    return WrkResult(
        name=name, duration_s=raw["duration_us"] / 1e6, requests=raw["requests"], non2xx=raw["non2xx"],
        socket_errors=raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"],
        p50_ms=raw["p50_us"] / 1000, p90_ms=raw["p90_us"] / 1000, p99_ms=raw["p99_us"] / 1000,
        mean_ms=raw["latency_mean_us"] / 1000, max_ms=raw["latency_max_us"] / 1000,
        first_bad_status=raw["first_bad_status"], raw=raw, exhausted=bool(raw["exhausted"]),
    )


def run_sized(load: Load, duration: float, run: Callable[[], WrkResult]) -> WrkResult:
    """Call `run` (one wrk run of `load`) with enough prepared requests: sized for the run, and the run
    repeated with twice as many if the server was faster still. Being fast never fails a benchmark."""
    load.ensure_lines(duration)
    result = run()
    while result.exhausted:
        say(f"  {result.name} used up the prepared requests at {result.ok_rps:.0f} req/s; "
            "making more and running again")
        load.generous_rate *= 2
        load.ensure_lines(duration)
        result = run()
    return result


def aggregate(results: list[WrkResult], how: str) -> tuple[float, float]:
    """Return (throughput, p99) over rounds: each the median, or the best (highest, lowest)."""
    rps = [r.ok_rps for r in results]
    p99 = [r.p99_ms for r in results]
    if how == "best":
        return max(rps), min(p99)
    return statistics.median(rps), statistics.median(p99)


def median_cpu(results: list[WrkResult], attr: str) -> float | None:
    """The median over rounds of a CPU-per-request figure, or None where it could not be measured."""
    values = [getattr(r, attr) for r in results if getattr(r, attr) is not None]
    return round(statistics.median(values), 2) if values else None


def cpu_text(server_ms: float | None, db_ms: float | None) -> str:
    if server_ms is None:
        return ""
    return f"   CPU/request: server {server_ms:.2f} ms" + (f", postgres {db_ms:.2f} ms" if db_ms is not None else "")


# --- the run --------------------------------------------------------------------------------------


def argument_parser(prog: str, doc: str, db_name: str) -> argparse.ArgumentParser:
    """The options every load benchmark takes; a script may add its own before parsing."""
    parser = argparse.ArgumentParser(prog=prog, description=doc.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds per server (default 3)")
    parser.add_argument("--duration", type=float, default=15, help="seconds per measured round (default 15)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of unmeasured load first (default 3)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers, both servers (default 4)")
    parser.add_argument("--worker-class", default="gthread", choices=["sync", "gthread"],
                        help="gunicorn worker class, both servers (default gthread)")
    parser.add_argument("--gthreads", type=int, default=2, help="threads per gthread worker (default 2)")
    parser.add_argument("--aggregate", default="median", choices=["median", "best"],
                        help="how rounds are combined (default median)")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgresql://root@127.0.0.1:5432"),
                        help="PostgreSQL server, without a database (default $BENCH_PG_URL or %(default)s)")
    parser.add_argument("--admin-db", default="postgres", help="database to connect to for CREATE/DROP DATABASE")
    parser.add_argument("--db-name", default=db_name, help="the database created and dropped (default %(default)s)")
    parser.add_argument("--keep-db", action="store_true", help="leave the database in place at the end")
    parser.add_argument("--check", action="store_true", help="exit 1 when the goal is missed")
    return parser


def parse_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    args = parser.parse_args()
    if args.rounds < 1 or args.duration <= 0 or args.connections < 1 or args.workers < 1:
        parser.error("--rounds, --duration, --connections and --workers must be positive")
    if "://" not in args.pg_url:
        parser.error("--pg-url must look like postgresql://user@host:port")
    return args


def run_cli(argv: list[str], env: dict[str, str], what: str) -> str:
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise BenchError(f"{what} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def server_env(database_url: str, secret_key: str) -> dict[str, str]:
    """The environment both servers and the CLI get: this process's, minus any SURVEYHUB_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEYHUB_")}
    env.update(SURVEYHUB_DATABASE_URL=database_url, SURVEYHUB_SECRET_KEY=secret_key,
               BENCH_BASELINE_DATABASE_URL=database_url, PYTHONUNBUFFERED="1")
    return env


def prepare_database(env: dict[str, str]) -> dict:
    """Migrate the fresh database, add the baseline's table, create an org; return `org create --json`."""
    surveyhub = venv_tool("surveyhub")
    say("Running migrations (surveyhub db upgrade)")
    run_cli([surveyhub, "db", "upgrade"], env, "surveyhub db upgrade")
    say("Creating the baseline's table (bench/baseline_app.py create-table)")
    run_cli([sys.executable, str(BENCH_DIR / "baseline_app.py"), "create-table"], env, "creating the baseline table")
    org_out = run_cli([surveyhub, "org", "create", "Bench", "--json"], env, "surveyhub org create")
    return json.loads(org_out.strip().splitlines()[-1])


@contextlib.contextmanager
def running_servers(bench: str, args: argparse.Namespace, env: dict[str, str], app_env: dict[str, str],
                    stamp: str):
    """Start the baseline and the app (same gunicorn settings) and yield them; stop both at the end.

    Each names its PostgreSQL connections, so that their backends' CPU can be told apart. `app_env`
    is added to the app's environment only.
    """
    OUT_DIR.mkdir(exist_ok=True)
    gunicorn, settings = venv_tool("gunicorn"), gunicorn_settings(args)
    database_url = env["SURVEYHUB_DATABASE_URL"]
    base = Server("baseline", [gunicorn, *settings, "--bind", "", "--chdir", str(BENCH_DIR), "baseline_app:app"],
                  dict(env, BENCH_BASELINE_DATABASE_URL=f"{database_url}?application_name=bench_{bench}_baseline"),
                  BENCH_DIR, OUT_DIR / f"{bench}-{stamp}-baseline.log", 0, f"bench_{bench}_baseline")
    app = Server("app", [gunicorn, *settings, "--bind", "", "wsgi:app"],
                 dict(env, **app_env, SURVEYHUB_DATABASE_URL=f"{database_url}?application_name=bench_{bench}_app"),
                 REPO, OUT_DIR / f"{bench}-{stamp}-app.log", 0, f"bench_{bench}_app")
    servers = [base, app]
    try:
        for server in servers:
            server.port = free_port()
            server.argv[server.argv.index("--bind") + 1] = f"127.0.0.1:{server.port}"
            say(f"Starting {server.name}: {describe_settings(args)} on 127.0.0.1:{server.port}")
            server.start()
        for server in servers:
            server.wait_ready()
        yield base, app
    finally:
        for server in servers:
            server.stop()
        say("Servers stopped")
        say(f"Logs: {app.log_path.relative_to(REPO)}, {base.log_path.relative_to(REPO)}, "
            f"{(OUT_DIR / f'{bench}-{stamp}-wrk.log').relative_to(REPO)}")


def measured_round(server: Server, wrk: str, load: Load, args: argparse.Namespace, wrk_log: Path) -> WrkResult:
    """One measured wrk run, with the CPU the server and its PostgreSQL backends used per request."""
    pg_local = urllib.parse.urlsplit(args.pg_url).hostname in (None, "", "127.0.0.1", "localhost", "::1")

    def pids() -> tuple[list[int], list[int]]:
        db_pids = backend_pids(args.pg_url, args.admin_db, server.application_name) if pg_local else []
        return server.pids(), db_pids

    def run() -> WrkResult:
        server_pids, db_pids = pids()
        server_before, db_before = cpu_snapshot(server_pids), cpu_snapshot(db_pids)
        result = run_wrk(wrk, server.name, server.base_url, load, args, args.duration, wrk_log)
        server_pids, db_pids = pids()
        if result.requests and server_before:
            result.server_cpu_ms = cpu_used(server_before, cpu_snapshot(server_pids)) * 1000 / result.requests
            if pg_local and db_pids:
                result.db_cpu_ms = cpu_used(db_before, cpu_snapshot(db_pids)) * 1000 / result.requests
        return result

    return run_sized(load, args.duration, run)


def load_alternately(bench: str, args: argparse.Namespace, wrk: str, stamp: str,
                     loads: list[tuple[Server, Load]]) -> dict[str, list[WrkResult]]:
    """Warm each server up, then run the measured rounds: baseline, app, baseline, app, ..."""
    wrk_log = OUT_DIR / f"{bench}-{stamp}-wrk.log"
    if args.warmup > 0:
        for server, load in loads:
            say(f"Warming up {server.name} for {args.warmup:g}s")
            run_sized(load, args.warmup, functools.partial(run_wrk, wrk, server.name, server.base_url, load, args,
                                                           args.warmup, wrk_log))
    results: dict[str, list[WrkResult]] = {server.name: [] for server, _ in loads}
    say(f"Measuring: {args.rounds} round(s) of {args.duration:g}s each, baseline then app, "
        f"wrk -t {loads[0][1].wrk_threads(args)} -c {args.connections}")
    for round_no in range(1, args.rounds + 1):
        for server, load in loads:
            result = measured_round(server, wrk, load, args, wrk_log)
            results[server.name].append(result)
            say(f"  round {round_no} {server.name:<8} {result.line()}")
    return results


@dataclass
class Outcome:
    """What a benchmark's measurement returns: each server's rounds, and figures of its own for the JSON."""

    results: dict[str, list[WrkResult]]
    extra: dict = field(default_factory=dict)
    goal_notes: list[str] = field(default_factory=list)  # reasons, besides the figures, the goal is missed


def run(bench: str, args: argparse.Namespace, goal_ratio: float, goal_p99_ms: float,
        measure: Callable[[argparse.Namespace, str, str, str], Outcome]) -> int:
    """Create the database, call `measure(args, wrk, stamp, database_url)`, drop the database, report.

    Exit status: 0 when the measurement ran (1 with --check when the goal is missed), 2 when it could
    not run, 130 when interrupted.
    """
    prog = f"bench/{bench}"
    wrk = shutil.which("wrk")
    if not wrk:
        fail(prog, "wrk is not installed (Debian: apt-get install wrk); cannot run the benchmark.")
        return 2

    def on_sigterm(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    name = quote_ident(args.db_name)
    created = False
    try:
        say(f"Creating database {args.db_name} (dropping it first if present)")
        admin_execute(args.pg_url, args.admin_db, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
                      f"CREATE DATABASE {name}")
        created = True
        outcome = measure(args, wrk, stamp, sqlalchemy_url(args.pg_url, args.db_name))
    except BenchError as err:
        fail(prog, str(err))
        return 2
    except KeyboardInterrupt:
        fail(prog, "interrupted")
        return 130
    finally:
        if created and not args.keep_db:
            try:
                admin_execute(args.pg_url, args.admin_db, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                say(f"Dropped database {args.db_name}")
            except BenchError as err:
                say(f"{prog}: warning: could not drop database {args.db_name}: {err}")
    return report(bench, args, goal_ratio, goal_p99_ms, outcome)


def report(bench: str, args: argparse.Namespace, goal_ratio: float, goal_p99_ms: float, outcome: Outcome) -> int:
    """Print the result, then one JSON line; return the exit status."""
    results = outcome.results
    value, p99 = aggregate(results["app"], args.aggregate)
    baseline, baseline_p99 = aggregate(results["baseline"], args.aggregate)
    ratio = value / baseline if baseline else 0.0
    errors = sum(r.non2xx for r in results["app"])
    baseline_errors = sum(r.non2xx for r in results["baseline"])
    socket_errors = sum(r.socket_errors for r in results["app"])
    ratio_ok, p99_ok = ratio >= goal_ratio, p99 < goal_p99_ms
    cpu = {f"{name}_{key}": median_cpu(results[name], attr) for name in ("app", "baseline")
           for key, attr in (("cpu_ms", "server_cpu_ms"), ("db_cpu_ms", "db_cpu_ms"))}
    goal_met = ratio_ok and p99_ok and errors == 0 and not outcome.goal_notes
    settings = describe_settings(args)

    say()
    say(f"Result ({args.aggregate} of {args.rounds} round(s) of {args.duration:g}s, {args.connections} connections, "
        f"{settings}):")
    say(f"  baseline  {baseline:9.1f} req/s   p99 {baseline_p99:6.1f} ms   non-2xx {baseline_errors}"
        + cpu_text(cpu["baseline_cpu_ms"], cpu["baseline_db_cpu_ms"]))
    say(f"  app       {value:9.1f} req/s   p99 {p99:6.1f} ms   non-2xx {errors}   socket errors {socket_errors}"
        + cpu_text(cpu["app_cpu_ms"], cpu["app_db_cpu_ms"]))
    say(f"  ratio     {ratio:9.3f}   goal >= {goal_ratio}: {'met' if ratio_ok else 'MISSED'}")
    say(f"  app p99   {p99:9.1f} ms  goal < {goal_p99_ms:g} ms at {args.connections} connections: "
        f"{'met' if p99_ok else 'MISSED'}")
    if errors:
        say(f"  the app answered {errors} non-2xx responses: the goal needs none")
    for note in outcome.goal_notes:
        say(f"  {note}")
    say(f"  goal: {'MET' if goal_met else 'NOT MET'}")
    print(json.dumps({
        "bench": bench,
        "value": round(value, 1),
        "baseline": round(baseline, 1),
        "ratio": round(ratio, 3),
        "goal": goal_ratio,
        "unit": "req/s",
        "p99_ms": round(p99, 1),
        "baseline_p99_ms": round(baseline_p99, 1),
        "p99_goal_ms": goal_p99_ms,
        "goal_met": goal_met,
        "connections": args.connections,
        "duration_s": args.duration,
        "rounds": args.rounds,
        "aggregate": args.aggregate,
        "errors": errors,
        "baseline_errors": baseline_errors,
        "socket_errors": socket_errors,
        "server": settings,
        "app_rounds": [round(r.ok_rps, 1) for r in results["app"]],
        "baseline_rounds": [round(r.ok_rps, 1) for r in results["baseline"]],
        **cpu,
        **outcome.extra,
    }), flush=True)
    return 1 if args.check and not goal_met else 0
