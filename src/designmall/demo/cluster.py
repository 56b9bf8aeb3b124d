"""The production tier on one machine, on loopback: nginx in front of N web nodes and M
workers, over a PostgreSQL primary with a streaming replica, and Redis.

Everything is started from scratch in one folder (a PostgreSQL cluster made with
``initdb``, its replica with ``pg_basebackup``, a Redis server of its own, nginx with the
site configuration we ship, ``deploy/nginx.conf.template``) and stopped by PID, so the
machine's own PostgreSQL and Redis are never touched. ``designmall cluster`` runs it until
Ctrl-C; tests and benchmarks use ``Cluster`` as a context manager.

PostgreSQL refuses to run as root: as root, its programs run as the ``postgres`` user.
"""

from __future__ import annotations

import contextlib
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
from dataclasses import dataclass, field
from pathlib import Path

from designmall.demo.serving import designmall_argv, gunicorn_argv

REPO = Path(__file__).resolve().parents[3]
NGINX_TEMPLATE = REPO / "deploy" / "nginx.conf.template"
PGBOUNCER_TEMPLATE = REPO / "deploy" / "pgbouncer.ini.template"
PG_BIN_CANDIDATES = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
MAX_BODY = "12m"


class ClusterError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def render_nginx_site(
    *,
    listen: str,
    upstreams: list[str],
    static_root: Path,
    media_root: Path,
    access_log: str,
    server_name: str = "_",
    max_body: str = MAX_BODY,
    template: Path = NGINX_TEMPLATE,
) -> str:
    """The shipped site configuration with its ``{{ NAME }}`` placeholders filled in."""
    values = {
        "LISTEN": listen,
        "SERVER_NAME": server_name,
        "UPSTREAM_SERVERS": "\n".join(f"    server {address};" for address in upstreams),
        "STATIC_ROOT": str(static_root),
        "MEDIA_ROOT": str(media_root),
        "ACCESS_LOG": access_log,
        "MAX_BODY": max_body,
    }
    text = template.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace("{{ " + name + " }}", value)
    if re.search(r"{{ [A-Z_]+ }}", text):
        raise ClusterError(f"unfilled placeholder in {template}")
    return text


def render_template(template: Path, values: dict[str, str]) -> str:
    """A shipped configuration template with its ``{{ NAME }}`` placeholders filled in."""
    text = template.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace("{{ " + name + " }}", value)
    if re.search(r"{{ [A-Z_]+ }}", text):
        raise ClusterError(f"unfilled placeholder in {template}")
    return text


def _pg_bin(name: str) -> str:
    for folder in PG_BIN_CANDIDATES:
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        raise ClusterError(f"PostgreSQL's {name} was not found (Debian: postgresql)")
    return found


def _as_postgres(argv: list[str]) -> list[str]:
    """PostgreSQL's server programs refuse root: run them as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def _wait_for_port(port: int, *, process: subprocess.Popen | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ClusterError(f"a process exited ({process.args[:3]}…) before port {port} opened")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise ClusterError(f"nothing answered on port {port} within {timeout:.0f} s")


def _wait_for_health(url: str, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise ClusterError(f"{url} did not answer 200 within {timeout:.0f} s")


@dataclass
class Cluster:
    """nginx + ``nodes`` web nodes + ``workers`` workers + PostgreSQL primary and replica +
    Redis, in ``folder`` (a new temporary folder by default, removed on stop unless
    ``keep``).

    For benchmarks: ``replica=False`` leaves the replica out (every read on the primary),
    ``pg_max_connections`` sets the primary's limit, and ``pgbouncer_pool`` > 0 puts
    PgBouncer in transaction mode (``deploy/pgbouncer.ini.template``, that many server
    connections) between the nodes and workers and the primary."""

    nodes: int = 2
    workers: int = 2
    node_processes: int = 1
    node_threads: int = 8
    port: int = 0  # nginx's port; 0: a free one
    folder: Path | None = None
    keep: bool = False
    seed: bool = False
    log: bool = True
    log_statements: bool = False  # every statement in each server's log (for tests)
    extra_env: dict[str, str] = field(default_factory=dict)
    replica: bool = True
    pg_max_connections: int = 200
    pgbouncer_pool: int = 0

    def __post_init__(self) -> None:
        self.processes: dict[str, subprocess.Popen] = {}
        self.pg_data: dict[str, Path] = {}
        self.ports: dict[str, int] = {}
        self._made_folder = self.folder is None
        self._log_files: list = []

    # --- addresses ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['nginx']}"

    def node_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.ports[f'web{index}']}"

    @property
    def primary_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.ports['primary']}/designmall"

    @property
    def replica_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.ports['replica']}/designmall"

    @property
    def pgbouncer_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.ports['pgbouncer']}/designmall"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.ports['redis']}/0"

    def env(self, *, direct: bool = False) -> dict[str, str]:
        """What every node and worker of this cluster runs with (the README's variables);
        ``direct``: straight to the primary even with PgBouncer (for migrations)."""
        through_pgbouncer = {"DATABASE_URL": self.pgbouncer_url, "DATABASE_PGBOUNCER": "true"}
        return {
            **os.environ,
            "DATABASE_URL": self.primary_url,
            **({"DATABASE_REPLICA_URL": self.replica_url} if self.replica else {}),
            **(through_pgbouncer if self.pgbouncer_pool and not direct else {}),
            "REDIS_URL": self.redis_url,
            "SECRET_KEY": self._secret_key,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": self.url,
            "TRUSTED_PROXIES": "127.0.0.1",
            "DESIGNMALL_VAR": str(self.var),
            "WEB_KEEPALIVE_SECONDS": "75",
            "LOG_FORMAT": "json",
            **self.extra_env,
        }

    # --- start and stop ----------------------------------------------------------------

    def __enter__(self) -> Cluster:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        for name in ("nginx", "primary", "replica", "redis", "pgbouncer"):
            self.ports[name] = free_port() if name != "nginx" or not self.port else self.port
        for index in range(self.nodes):
            self.ports[f"web{index}"] = free_port()
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="designmall-cluster-"))
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o755)  # nginx's workers and the postgres user read below it
        self.var = self.folder / "var"
        (self.var / "media").mkdir(parents=True, exist_ok=True)
        self.logs = self.folder / "logs"
        self.logs.mkdir(exist_ok=True)
        self.logs.chmod(0o777)
        self._secret_key = secrets.token_urlsafe(50)
        try:
            self._start_postgres()
            self._start_redis()
            self._prepare_database()
            if self.pgbouncer_pool:
                self._start_pgbouncer()
            self._start_nodes()
            self._start_workers()
            self._start_nginx()
            _wait_for_health(f"{self.url}/healthz", timeout=60)
        except BaseException:
            self.stop()
            raise

    def _spawn(self, name: str, argv: list[str], *, env=None) -> subprocess.Popen:
        out = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 (closed in stop)
        self._log_files.append(out)
        process = subprocess.Popen(
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes[name] = process
        return process

    def _say(self, text: str) -> None:
        if self.log:
            print(f"cluster: {text}", flush=True)

    def _start_postgres(self) -> None:
        primary = self.folder / "pg-primary"
        replica = self.folder / "pg-replica"
        for folder in (primary, replica) if self.replica else (primary,):
            folder.mkdir()
            if os.geteuid() == 0:
                shutil.chown(folder, "postgres", "postgres")
            folder.chmod(0o700)
        self.pg_data = {"primary": primary, **({"replica": replica} if self.replica else {})}
        subprocess.run(
            _as_postgres(
                [_pg_bin("initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust", "-EUTF8"]
            ),
            check=True,
            capture_output=True,
        )
        with open(primary / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(
                "\n# designmall cluster\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{primary}'\n"
                f"max_connections = {self.pg_max_connections}\n"
                "wal_level = replica\n"
                "max_wal_senders = 5\n"
                "hot_standby = on\n"
                "fsync = off\n"  # a scratch cluster: speed over durability
                "synchronous_commit = off\n"
                "full_page_writes = off\n"
                + ("log_statement = 'all'\n" if self.log_statements else "")
            )
        self._pg_ctl("primary", "start")
        self._say(f"PostgreSQL primary on 127.0.0.1:{self.ports['primary']}")
        if not self.replica:
            return
        subprocess.run(
            _as_postgres(
                [
                    _pg_bin("pg_basebackup"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.ports["primary"]),
                    "-U",
                    "postgres",
                    "-D",
                    str(replica),
                    "-R",  # standby.signal + primary_conninfo: a streaming replica
                    "-X",
                    "stream",
                    "-c",
                    "fast",
                ]
            ),
            check=True,
            capture_output=True,
        )
        with open(replica / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(f"unix_socket_directories = '{replica}'\n")
        self._pg_ctl("replica", "start")
        self._say(f"PostgreSQL replica on 127.0.0.1:{self.ports['replica']} (streaming)")

    def _pg_ctl(self, which: str, action: str) -> None:
        data = self.pg_data[which]
        argv = [_pg_bin("pg_ctl"), "-D", str(data), "-w", "-t", "60"]
        if action == "start":
            log = self.logs / f"postgres-{which}.log"
            argv += ["-l", str(log), "-o", f"-p {self.ports[which]}"]
        else:
            argv += ["-m", "fast"]
        subprocess.run(_as_postgres([*argv, action]), check=True, capture_output=True)

    def _start_redis(self) -> None:
        redis_server = shutil.which("redis-server")
        if redis_server is None:
            raise ClusterError("redis-server was not found (Debian: apt-get install redis-server)")
        self.start_redis()

    def start_redis(self) -> None:
        """(Re)start the cluster's Redis, empty (it keeps nothing on disk)."""
        process = self._spawn(
            "redis",
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.ports["redis"]),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
        )
        _wait_for_port(self.ports["redis"], process=process, timeout=20)
        self._say(f"Redis on 127.0.0.1:{self.ports['redis']}")

    def stop_redis(self) -> None:
        self._stop_process("redis")

    def stop_replica(self) -> None:
        self._pg_ctl("replica", "stop")

    def start_replica(self) -> None:
        self._pg_ctl("replica", "start")

    def server_log(self, which: str) -> str:
        """A PostgreSQL server's log so far (``primary`` or ``replica``)."""
        path = self.logs / f"postgres-{which}.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def _prepare_database(self) -> None:
        env = self.env(direct=True)
        subprocess.run(
            [
                _pg_bin("createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.ports["primary"]),
                "-U",
                "postgres",
                "designmall",
            ],
            check=True,
            capture_output=True,
        )
        for argv in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
            subprocess.run(designmall_argv(*argv, "-v", "0"), env=env, check=True)
        if self.seed:
            subprocess.run(designmall_argv("seed"), env=env, check=True)
        if self.pgbouncer_pool:
            # Connections through PgBouncer carry no "options": the planner setting the
            # nodes otherwise send lives on the database.
            cost = os.environ.get("POSTGRES_RANDOM_PAGE_COST", "1.1")
            subprocess.run(
                [
                    _pg_bin("psql"),
                    *("-h", "127.0.0.1", "-p", str(self.ports["primary"]), "-U", "postgres"),
                    *("-d", "designmall", "-c"),
                    f"ALTER DATABASE designmall SET random_page_cost = {float(cost)}",
                ],
                check=True,
                capture_output=True,
            )
        self._say("database migrated, static files collected")

    def _start_pgbouncer(self) -> None:
        pgbouncer = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        if not Path(pgbouncer).exists():
            raise ClusterError("pgbouncer was not found (Debian: apt-get install pgbouncer)")
        home = self.folder / "pgbouncer"
        home.mkdir(exist_ok=True)
        if os.geteuid() == 0:  # PgBouncer refuses root too
            shutil.chown(home, "postgres", "postgres")
        config = render_template(
            PGBOUNCER_TEMPLATE,
            {
                "DATABASE": "designmall",
                "SERVER_HOST": "127.0.0.1",
                "SERVER_PORT": str(self.ports["primary"]),
                "SERVER_USER": "postgres",
                "LISTEN_ADDR": "127.0.0.1",
                "LISTEN_PORT": str(self.ports["pgbouncer"]),
                "AUTH_TYPE": "any",
                "POOL_SIZE": str(self.pgbouncer_pool),
                "LOG_FILE": str(self.logs / "pgbouncer-server.log"),  # stdout: pgbouncer.log
                "PID_FILE": str(home / "pgbouncer.pid"),
            },
        )
        (home / "pgbouncer.ini").write_text(config, encoding="utf-8")
        process = self._spawn("pgbouncer", _as_postgres([pgbouncer, str(home / "pgbouncer.ini")]))
        _wait_for_port(self.ports["pgbouncer"], process=process, timeout=20)
        self._say(
            f"PgBouncer on 127.0.0.1:{self.ports['pgbouncer']} "
            f"(transaction mode, {self.pgbouncer_pool} server connections)"
        )

    def _start_nodes(self) -> None:
        env = {**self.env(), "WEB_THREADS": str(self.node_threads)}
        for index in range(self.nodes):
            port = self.ports[f"web{index}"]
            argv = gunicorn_argv(
                bind=f"127.0.0.1:{port}",
                workers=self.node_processes,
                threads=self.node_threads,
                access_log=True,
            )
            process = self._spawn(f"web{index}", argv, env=env)
            _wait_for_port(port, process=process, timeout=60)
            self._say(f"web node {index} on 127.0.0.1:{port}")

    def _start_workers(self) -> None:
        for index in range(self.workers):
            self._spawn(f"worker{index}", designmall_argv("worker"), env=self.env())
        self._say(f"{self.workers} workers")

    def _start_nginx(self) -> None:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            raise ClusterError("nginx was not found (Debian: apt-get install nginx)")
        home = self.folder / "nginx"
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (home / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        site = render_nginx_site(
            listen=f"127.0.0.1:{self.ports['nginx']}",
            upstreams=[f"127.0.0.1:{self.ports[f'web{i}']}" for i in range(self.nodes)],
            static_root=self.var / "static",
            media_root=self.var / "media",
            access_log=str(self.logs / "nginx-access.log"),
        )
        (home / "designmall.conf").write_text(site, encoding="utf-8")
        mime_types = Path("/etc/nginx/mime.types")
        (home / "nginx.conf").write_text(
            "worker_processes 1;\n"
            f"pid {home / 'nginx.pid'};\n"
            f"error_log {self.logs / 'nginx-error.log'} warn;\n"
            "events { worker_connections 4096; }\n"
            "http {\n"
            + (f"    include {mime_types};\n" if mime_types.exists() else "")
            + "    default_type application/octet-stream;\n"
            "    sendfile on;\n"
            + "".join(
                f"    {kind}_temp_path {home / 'tmp' / name};\n"
                for kind, name in (
                    ("client_body", "body"),
                    ("proxy", "proxy"),
                    ("fastcgi", "fastcgi"),
                    ("uwsgi", "uwsgi"),
                    ("scgi", "scgi"),
                )
            )
            + f"    include {home / 'designmall.conf'};\n"
            "}\n",
            encoding="utf-8",
        )
        process = self._spawn(
            "nginx", [nginx, "-p", str(home), "-c", str(home / "nginx.conf"), "-g", "daemon off;"]
        )
        _wait_for_port(self.ports["nginx"], process=process, timeout=20)
        self._say(f"nginx on {self.url}")

    def _stop_process(self, name: str, *, grace: float = 15) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop(self) -> None:
        """Stop everything this cluster started, by PID, in reverse order of need."""
        for name in ["nginx", *[n for n in list(self.processes) if n.startswith("web")]]:
            self._stop_process(name)
        for name in [n for n in list(self.processes) if n.startswith("worker")]:
            self._stop_process(name)
        self._stop_process("pgbouncer")
        self._stop_process("redis")
        for which in ("replica", "primary"):
            data = self.pg_data.get(which)
            if data is not None and (data / "postmaster.pid").exists():
                with contextlib.suppress(subprocess.CalledProcessError):
                    self._pg_ctl(which, "stop")
        for out in self._log_files:
            out.close()
        self._log_files.clear()
        if self.folder is not None and self._made_folder and not self.keep:
            shutil.rmtree(self.folder, ignore_errors=True)


def main_loop(cluster: Cluster) -> None:
    """Run until Ctrl-C (or SIGTERM), then stop everything."""
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            for name, process in list(cluster.processes.items()):
                if process.poll() is not None:
                    print(f"cluster: {name} exited with {process.returncode}", file=sys.stderr)
                    stopping = True
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
