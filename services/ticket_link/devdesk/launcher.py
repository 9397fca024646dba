"""Start and stop a real django-helpdesk (this package's Django project) under `manage.py runserver`.

One sqlite database per base_dir, migrated once (a marker file says so) and reused, so a
restart on the same base_dir and port keeps tickets and users. Webhook URLs are passed through
env, where django-helpdesk (via our settings) reads them at each event.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

SETTINGS = "ticket_link.devdesk.settings"
QUEUE_SLUG = "deposits"
_READY_MARKER = ".devdesk-ready"
# Setup: the database, the staff superuser, one queue, and custom fields so that webhooks carry a
# name as real desks do, and the player's account reference (ticket_link's `account_field = "ticket.custom_player_account"`).
_SETUP_SCRIPT = """
import os
import shutil
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
call_command("migrate", interactive=False, verbosity=0)
template = os.environ.get("DEVDESK_TEMPLATE")
if template and not os.path.exists(template):  # migrated, no user yet: what the next desk copies
    connection.close()
    os.makedirs(os.path.dirname(template), exist_ok=True)
    part = template + "." + str(os.getpid()) + ".part"
    shutil.copyfile(os.path.join(os.environ["DEVDESK_DIR"], "devdesk.sqlite3"), part)
    os.replace(part, template)
get_user_model().objects.create_superuser(
    os.environ["DEVDESK_USERNAME"], "staff@devdesk.invalid", os.environ["DJANGO_SUPERUSER_PASSWORD"]
)
from helpdesk.models import CustomField, Queue
queue, _ = Queue.objects.get_or_create(slug=%r, defaults={"title": "Deposits"})
CustomField.objects.get_or_create(
    name="requester_name",
    defaults={"label": "Requester name", "data_type": "varchar", "max_length": 200, "required": False},
)
CustomField.objects.get_or_create(
    name="player_account",
    defaults={"label": "Player account", "data_type": "varchar", "max_length": 128, "required": False},
)
print("QUEUE", queue.id)
"""


class DevDeskError(RuntimeError):
    """The dev desk could not be set up, started or asked."""


def free_port() -> int:
    """A port the OS just gave out; free again once the socket closes (a small race we accept)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class DevDesk:
    """One django-helpdesk on 127.0.0.1 with a staff superuser and a queue."""

    def __init__(
        self,
        base_dir: Path | str | None = None,
        webhook_urls: Sequence[str] = (),
        port: int | None = None,
        *,
        template: Path | None = None,
        username: str = "devdesk",
        password: str = "devdesk-password",
        startup_timeout: float = 30.0,
    ) -> None:
        self._own_dir = base_dir is None
        self.base_dir = Path(tempfile.mkdtemp(prefix="devdesk-")) if base_dir is None else Path(base_dir)
        self.webhook_urls = list(webhook_urls)
        self.port = port or free_port()
        # A migrated database to start from (made on first use): migrating takes seconds, copying does not.
        self.template = template
        self.username = username
        self.password = password
        self.startup_timeout = startup_timeout
        self.queue_id: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: Any = None
        self._http = httpx.Client(base_url=self.base_url, auth=(username, password), timeout=30)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.base_dir / "runserver.log"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(DJANGO_SETTINGS_MODULE=SETTINGS, DEVDESK_DIR=str(self.base_dir), PYTHONUNBUFFERED="1")
        urls = ",".join(self.webhook_urls)
        env["HELPDESK_NEW_TICKET_WEBHOOK_URLS"] = urls
        env["HELPDESK_FOLLOWUP_WEBHOOK_URLS"] = urls
        return env

    def _manage(self, *args: str, env: dict[str, str] | None = None) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "django", *args],
            env=env or self._env(),
            cwd=self.base_dir,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,  # the error below carries stderr, CalledProcessError would not show it
        )
        if result.returncode != 0:
            raise DevDeskError(f"manage.py {args[0]} failed ({result.returncode}): {result.stderr[-2000:]}")
        return result.stdout

    def _setup(self) -> None:
        """Migrate, create the superuser and the queue: once per base_dir."""
        self.base_dir.mkdir(parents=True, exist_ok=True)
        marker = self.base_dir / _READY_MARKER
        if not marker.exists():
            # One Django start-up for all of it (migrate, the superuser, the queue): each start costs
            # one to several seconds on a busy machine, and the demo waits for this.
            env = self._env() | {"DJANGO_SUPERUSER_PASSWORD": self.password, "DEVDESK_USERNAME": self.username}
            database = self.base_dir / "devdesk.sqlite3"
            if self.template is not None:
                env["DEVDESK_TEMPLATE"] = str(self.template)
                if self.template.is_file() and not database.exists():
                    shutil.copyfile(self.template, database)  # `migrate` then applies only what is newer
            out = self._manage("shell", "--no-imports", "-v0", "-c", _SETUP_SCRIPT % QUEUE_SLUG, env=env)
            queue = [line.split()[1] for line in out.splitlines() if line.startswith("QUEUE ")]
            if not queue:
                raise DevDeskError("dev desk setup printed no queue id")
            marker.write_text(queue[0])
        self.queue_id = int(marker.read_text().strip())

    def start(self) -> Self:
        if self._process is not None:
            return self
        self._setup()
        if _answers(self.port):  # else we would wait for, and talk to, someone else's server
            raise DevDeskError(f"port {self.port} is already in use")
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            # --insecure: serve django-helpdesk's CSS and scripts (DEBUG is off), for agents' eyes in the demo.
            [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{self.port}", "--noreload", "--insecure"],
            env=self._env(),
            cwd=self.base_dir,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()
        return self

    def exit_code(self) -> int | None:
        """The code runserver exited with; None while it runs (or when it was not started, or stopped by us)."""
        return None if self._process is None else self._process.poll()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                code = self._process.returncode
                self._process = None
                raise DevDeskError(f"dev desk exited with {code} on start:\n{self.log_tail()}")
            try:
                # Any HTTP answer means Django serves; the API answers 403 without credentials.
                httpx.get(f"{self.base_url}/helpdesk/api/tickets/", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise DevDeskError(
            f"dev desk did not answer on port {self.port} within {self.startup_timeout:.0f} s:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self) -> Self:
        """Stop and start again on the same database and port."""
        self.stop()
        return self.start()

    def close(self) -> None:
        """Stop, and remove the directory if this instance made it."""
        self.stop()
        self._http.close()
        if self._own_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # Helpers for tests and the demo, through the desk's own REST API (as the staff user).

    def create_ticket(
        self,
        title: str,
        description: str,
        submitter_email: str,
        requester_name: str | None = None,
        account: str | None = None,
    ) -> int:
        ticket: dict[str, Any] = {
            "queue": self.queue_id,
            "title": title,
            "description": description,
            "submitter_email": submitter_email,
            "priority": 3,  # required by the API (400 without)
        }
        if requester_name is not None:
            ticket["custom_requester_name"] = requester_name
        if account is not None:
            ticket["custom_player_account"] = account
        response = self._http.post("/helpdesk/api/tickets/", json=ticket)
        if response.status_code != 201:
            # A 500 here often means a webhook URL refused the connection (django-helpdesk does
            # not catch that); the ticket is saved all the same.
            raise DevDeskError(f"create ticket: HTTP {response.status_code}: {response.text[:300]}")
        return int(response.json()["id"])

    def followups(self, ticket_id: int | str) -> list[dict[str, Any]]:
        """The ticket's follow-ups, oldest first: id, title, comment, public, user, markdown.

        `markdown` is the comment as stored (ticket_link's notes are markdown-escaped, see
        helpdesks/markup.py); `comment` is the text an agent reads, the escapes undone.
        """
        response = self._http.get(f"/helpdesk/api/tickets/{int(ticket_id)}/")
        if response.status_code != 200:
            raise DevDeskError(f"read ticket: HTTP {response.status_code}")
        keys = ("id", "title", "comment", "public", "user")
        followups = [{k: f.get(k) for k in keys} for f in response.json().get("followup_set", [])]
        for f in followups:
            f["markdown"] = f["comment"]
            f["comment"] = unescaped(f["comment"]) if isinstance(f["comment"], str) else f["comment"]
        return followups

    def ticket_page(self, ticket_id: int | str) -> str:
        """The ticket's page as django-helpdesk renders it for a signed-in staff user (HTML)."""
        with httpx.Client(base_url=self.base_url, timeout=30) as browser:
            login = browser.get("/helpdesk/login/")
            token = browser.cookies.get("csrftoken", "")
            response = browser.post(
                "/helpdesk/login/",
                data={"username": self.username, "password": self.password, "csrfmiddlewaretoken": token},
                headers={"Referer": f"{self.base_url}/helpdesk/login/"},
            )
            if login.status_code != 200 or response.status_code not in (200, 302):
                raise DevDeskError(f"sign in: HTTP {response.status_code}")
            page = browser.get(f"/helpdesk/tickets/{int(ticket_id)}/")
            if page.status_code != 200:
                raise DevDeskError(f"ticket page: HTTP {page.status_code}")
            return page.text


_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()>#+\-.!])")


def unescaped(comment: str) -> str:
    """The text a markdown-escaped note was made from (the inverse of helpdesks.markup.markdown)."""
    return _ESCAPED.sub(r"\1", comment).replace("&lt;", "<").replace("&amp;", "&")
