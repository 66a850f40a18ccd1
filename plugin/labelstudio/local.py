"""A local Label Studio server for the one-command stack and the tests.

Started with a clean environment (Label Studio also reads plain USERNAME,
PASSWORD, HOST, PORT, DEBUG variables), SQLite under a data directory, loopback
only, legacy tokens enabled, no calls out. Loopback webhooks and ML backends
are allowed through the banned-subnet list, keeping SSRF protection on for
every other private range.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from plugin.errors import LabelStudioError
from plugin.settings import LOCAL_CREDENTIALS_FILE

CREDENTIALS_FILE = LOCAL_CREDENTIALS_FILE


def _all_but_loopback() -> str:
    """Every IPv4 and IPv6 network but loopback (127.0.0.0/8, ::1): what Label Studio may not call. Webhooks and the
    ML backend of a local stack live on 127.0.0.1; nothing else is reachable from Label Studio's server side."""
    import ipaddress

    nets = [*ipaddress.ip_network("0.0.0.0/0").address_exclude(ipaddress.ip_network("127.0.0.0/8")),
            *ipaddress.ip_network("::/0").address_exclude(ipaddress.ip_network("::1/128"))]
    return ",".join(str(n) for n in sorted(nets, key=lambda n: (n.version, n.network_address)))


NON_LOOPBACK = _all_but_loopback()
# Label Studio's server makes a few calls out of its own (tips fetched from GitHub for the help panel, and what a
# setting left on would send). Its HTTP clients honour the proxy variables: every host but loopback goes to this
# proxy on loopback, where nothing listens (port 9, "discard"), so those calls fail at once and nothing leaves
# the machine. Loopback (webhooks, the ML backend) is reached directly.
DEAD_PROXY = "http://127.0.0.1:9"
LOOPBACK_HOSTS = "127.0.0.1,localhost,::1"
DEFAULT_USER = "admin@stancedesk.local"


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    token: str


@dataclass
class LocalLabelStudio:
    url: str
    port: int
    data_dir: Path
    credentials: Credentials
    process: subprocess.Popen
    log_path: Path
    first_start: bool

    def stop(self, timeout: float = 20) -> None:
        """Stop the server this object started (by its PID, process group included)."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Whether a server could listen on 127.0.0.1:port now (connections in TIME_WAIT do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def load_or_create_credentials(data_dir: Path) -> tuple[Credentials, bool]:
    """The admin login and legacy token of this data directory, made up on first use."""
    path = data_dir / CREDENTIALS_FILE
    if path.is_file():
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Credentials(raw["username"], raw["password"], raw["token"]), False
    data_dir.mkdir(parents=True, exist_ok=True)
    creds = Credentials(DEFAULT_USER, secrets.token_urlsafe(12), secrets.token_hex(20))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(creds.__dict__, f)
    return creds, True


def label_studio_executable() -> str:
    candidate = Path(sys.executable).parent / "label-studio"
    if candidate.is_file():
        return str(candidate)
    found = shutil.which("label-studio")
    if found:
        return found
    raise LabelStudioError(
        "the Label Studio server is not installed in this environment; install it with "
        "pip install 'stancedesk[server]' (make run and make test do this)"
    )


def database_env(database_url: str) -> dict[str, str]:
    """Label Studio's own settings for its database on PostgreSQL (``DJANGO_DB=default`` and ``POSTGRE_*``, read by
    ``label_studio.core.settings.base``) from a postgresql:// URL; LabelStudioError for any other URL."""
    from urllib.parse import unquote, urlsplit

    from plugin.store.backends import POSTGRES_SCHEMES, redact

    parts = urlsplit(database_url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in POSTGRES_SCHEMES or not parts.hostname or not parts.path.strip("/") or port == -1:
        raise LabelStudioError(f"--database-url {redact(database_url)!r} is not a PostgreSQL URL "
                               "(postgresql://USER:PASSWORD@HOST:PORT/DBNAME); leave it out for Label Studio's SQLite "
                               "under STANCEDESK_HOME")
    return {"DJANGO_DB": "default", "POSTGRE_NAME": unquote(parts.path.strip("/")),
            "POSTGRE_USER": unquote(parts.username or "postgres"), "POSTGRE_PASSWORD": unquote(parts.password or ""),
            "POSTGRE_HOST": parts.hostname, "POSTGRE_PORT": str(port or 5432)}


def start_label_studio(data_dir: Path, *, port: int | None = None, timeout: float = 240,
                       outbound_proxy: str = DEAD_PROXY, database_url: str | None = None) -> LocalLabelStudio:
    """Start Label Studio on 127.0.0.1 with its data under ``data_dir`` and wait until it answers.

    The admin user and legacy token are created on the first start of an empty
    data directory and reused afterwards. ``database_url`` (postgresql://...): Label Studio keeps its database
    there instead of SQLite in ``data_dir`` (its first start migrates it: a minute or more). Its calls to hosts other than loopback
    go to ``outbound_proxy`` (by default a loopback port where nothing listens).
    """
    database = database_env(database_url) if database_url else {"DJANGO_DB": "sqlite"}
    data_dir = Path(data_dir).resolve()
    creds, new = load_or_create_credentials(data_dir)
    os.chmod(data_dir, 0o700)  # its database holds the token, the webhook secret and the ML backend's password
    port = port or free_port()
    if not port_is_free(port):
        raise LabelStudioError(f"port {port} on 127.0.0.1 is taken; choose another with --label-studio-port")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(data_dir),
        "LANG": "C.UTF-8",
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        **database,
        "LABEL_STUDIO_USERNAME": creds.username,
        "LABEL_STUDIO_PASSWORD": creds.password,
        "LABEL_STUDIO_USER_TOKEN": creds.token,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        "LABEL_STUDIO_LATEST_VERSION_CHECK": "false",
        "LABEL_STUDIO_COLLECT_ANALYTICS": "false",  # else the pages load Google Tag Manager and labelstud.io/track
        "LABEL_STUDIO_USE_DEFAULT_BANNED_SUBNETS": "false",
        "LABEL_STUDIO_USER_ADDITIONAL_BANNED_SUBNETS": NON_LOOPBACK,
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        **{name: outbound_proxy for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")},
        **{name: LOOPBACK_HOSTS for name in ("NO_PROXY", "no_proxy")},
    }
    log_path = data_dir / "label-studio.log"
    log = open(log_path, "ab")
    cmd = [label_studio_executable(), "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               start_new_session=True, cwd=data_dir)
    log.close()
    server = LocalLabelStudio(f"http://127.0.0.1:{port}", port, data_dir, creds, process, log_path, new)
    try:
        wait_until_up(server, timeout)
    except BaseException:
        server.stop()
        raise
    return server


def wait_until_up(server: LocalLabelStudio, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise LabelStudioError(f"Label Studio exited with code {server.process.returncode}; see {server.log_path}")
        try:
            r = httpx.get(f"{server.url}/health", timeout=2)
            if r.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise LabelStudioError(f"Label Studio did not answer on {server.url} within {timeout:.0f} s; see {server.log_path}")
