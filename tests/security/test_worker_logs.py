"""`serve --workers N`: each worker is a process of its own, spawned fresh, that sets up its logging itself.

A worker that did not would log with Python's defaults (nothing masked) or uvicorn's (raw paths). The attack:
a webhook's path secret, and a tx hash a player typed, in the request line. With two workers, neither reaches
the log whole: ticket_link logs route templates only (uvicorn's access log off in every worker), deposit_check's
access lines are masked.
"""

import secrets
from pathlib import Path

import httpx

from tests.api_workers import serving_workers
from tests.conftest import RedisServer
from tests.test_api_workers import DC_CONFIG, TL_CONFIG
from tests.ticket_link.settle import wait_until


def test_ticket_link_workers_log_route_templates_never_a_webhook_secret(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    path = tmp_path / "tl.toml"
    path.write_text(TL_CONFIG)
    env = {"TICKET_LINK_CONFIG": str(path), "REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/8"}
    log = tmp_path / "serve.log"
    secret = secrets.token_urlsafe(24)
    with serving_workers("ticket-link", 2, env, log) as (_, url, _pids):
        for _ in range(10):  # on fresh connections: both workers get some
            response = httpx.post(f"{url}/v1/webhooks/desk/{secret}", content=b"{}", timeout=10)
            assert response.status_code in (401, 404), response.text
        wait_until(lambda: log.read_text().count("/v1/webhooks/{helpdesk}/{secret}") >= 10, 10, "10 lines logged")
    text = log.read_text()
    assert secret not in text
    assert "ticket_link.access" in text  # the workers' own access log, through the masking handler


def test_deposit_check_workers_mask_a_tx_hash_in_the_request_line(redis_server: RedisServer, tmp_path: Path) -> None:
    path = tmp_path / "dc.toml"
    path.write_text(DC_CONFIG)
    env = {"DEPOSIT_CHECK_CONFIG": str(path), "REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/7"}
    log = tmp_path / "serve.log"
    tx = secrets.token_hex(32)
    with serving_workers("deposit-check", 2, env, log) as (_, url, _pids):
        for _ in range(10):
            assert httpx.get(f"{url}/v1/nothing/{tx}", timeout=10).status_code == 404
        wait_until(lambda: log.read_text().count(f"{tx[:6]}…{tx[-4:]}") >= 10, 10, "10 masked access lines")
    assert tx not in log.read_text()
