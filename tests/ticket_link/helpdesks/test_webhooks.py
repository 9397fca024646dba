"""Webhook verification per scheme (helpdesks/webhooks.py), and the scheme each adapter applies."""

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from standardwebhooks.webhooks import Webhook

from ticket_link.config import (
    DjangoHelpdeskConfig,
    FreshdeskConfig,
    HelpdeskConfig,
    RtConfig,
    ZammadConfig,
    ZendeskConfig,
)
from ticket_link.errors import WebhookRejected
from ticket_link.helpdesks import build_helpdesk, webhooks

NOW = 1_763_900_000.0
TOLERANCE = 300
BODY = json.dumps({"ticket_id": "42", "text": "tx 0xabc"}).encode()


def rejects(
    scheme: str,
    secret: str | None,
    headers: dict[str, str],
    body: bytes = BODY,
    path_secret: str | None = None,
    now: float = NOW,
) -> str:
    with pytest.raises(WebhookRejected) as info:
        webhooks.verify(scheme, secret, headers, body, path_secret, now, TOLERANCE, helpdesk="acme")
    return info.value.message


# Zendesk: base64(HMAC-SHA256(secret, timestamp + body)), timestamp ISO 8601.

ZD_SECRET = "dGhpcyBpcyBhIHplbmRlc2sgc2lnbmluZyBzZWNyZXQ="


def zendesk_headers(body: bytes = BODY, at: float = NOW, secret: str = ZD_SECRET) -> dict[str, str]:
    timestamp = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    signature = base64.b64encode(hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()).decode()
    return {webhooks.ZENDESK_SIGNATURE: signature, webhooks.ZENDESK_TIMESTAMP: timestamp}


class TestZendesk:
    def test_valid(self) -> None:
        webhooks.verify("zendesk", ZD_SECRET, zendesk_headers(), BODY, None, NOW, TOLERANCE)

    def test_valid_within_window_both_ways(self) -> None:
        webhooks.verify("zendesk", ZD_SECRET, zendesk_headers(at=NOW - 299), BODY, None, NOW, TOLERANCE)
        webhooks.verify("zendesk", ZD_SECRET, zendesk_headers(at=NOW + 299), BODY, None, NOW, TOLERANCE)

    def test_wrong_secret(self) -> None:
        assert "signature" in rejects("zendesk", ZD_SECRET, zendesk_headers(secret="other"))

    def test_tampered_body(self) -> None:
        rejects("zendesk", ZD_SECRET, zendesk_headers(), body=BODY.replace(b"42", b"43"))

    @pytest.mark.parametrize("missing", [webhooks.ZENDESK_SIGNATURE, webhooks.ZENDESK_TIMESTAMP])
    def test_missing_header(self, missing: str) -> None:
        headers = zendesk_headers()
        del headers[missing]
        assert "missing" in rejects("zendesk", ZD_SECRET, headers)

    @pytest.mark.parametrize("offset", [-301, 301, -86400])
    def test_outside_window(self, offset: int) -> None:
        # Correctly signed, but too old (a replay) or from the future.
        assert "window" in rejects("zendesk", ZD_SECRET, zendesk_headers(at=NOW + offset))

    def test_timestamp_not_iso(self) -> None:
        headers = zendesk_headers()
        headers[webhooks.ZENDESK_TIMESTAMP] = str(int(NOW))
        rejects("zendesk", ZD_SECRET, headers)

    def test_signature_is_over_the_timestamp_too(self) -> None:
        headers = zendesk_headers()
        headers[webhooks.ZENDESK_TIMESTAMP] = datetime.fromtimestamp(NOW + 1, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert "signature" in rejects("zendesk", ZD_SECRET, headers)


# Zammad: X-Hub-Signature: sha1=<hex HMAC-SHA1(secret, body)>.

ZM_SECRET = "zammad-hmac-token"


def zammad_headers(body: bytes = BODY, secret: str = ZM_SECRET) -> dict[str, str]:
    return {webhooks.ZAMMAD_SIGNATURE: "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()}


class TestZammad:
    def test_valid(self) -> None:
        webhooks.verify("zammad", ZM_SECRET, zammad_headers(), BODY, None, NOW, TOLERANCE)

    def test_wrong_secret(self) -> None:
        rejects("zammad", ZM_SECRET, zammad_headers(secret="nope"))

    def test_tampered_body(self) -> None:
        rejects("zammad", ZM_SECRET, zammad_headers(), body=BODY + b" ")

    def test_missing_header(self) -> None:
        assert "missing" in rejects("zammad", ZM_SECRET, {})

    def test_other_algorithm(self) -> None:
        digest = hmac.new(ZM_SECRET.encode(), BODY, hashlib.sha256).hexdigest()
        rejects("zammad", ZM_SECRET, {webhooks.ZAMMAD_SIGNATURE: "sha256=" + digest})


# Standard Webhooks, signed by the reference library as a sender would.

SW_SECRET = "whsec_" + base64.b64encode(b"standard-webhooks-test-key-32byt").decode()


def standard_headers(
    body: bytes = BODY, at: float = NOW, secret: str = SW_SECRET, msg_id: str = "msg_1"
) -> dict[str, str]:
    signature = Webhook(secret).sign(msg_id, datetime.fromtimestamp(at, UTC), body.decode())
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(at)), "webhook-signature": signature}


class TestStandardWebhooks:
    def test_valid(self) -> None:
        webhooks.verify("standard_webhooks", SW_SECRET, standard_headers(), BODY, None, NOW, TOLERANCE)

    def test_valid_among_several_signatures(self) -> None:
        headers = standard_headers()
        other = standard_headers(secret="whsec_" + base64.b64encode(b"an old rotated key").decode())
        headers["webhook-signature"] = f"v1a,abc {other['webhook-signature']} v1,!!! {headers['webhook-signature']}"
        webhooks.verify("standard_webhooks", SW_SECRET, headers, BODY, None, NOW, TOLERANCE)

    def test_wrong_secret(self) -> None:
        other = "whsec_" + base64.b64encode(b"someone else's key").decode()
        assert "signature" in rejects("standard_webhooks", SW_SECRET, standard_headers(secret=other))

    def test_tampered_body(self) -> None:
        rejects("standard_webhooks", SW_SECRET, standard_headers(), body=BODY.replace(b"0xabc", b"0xabd"))

    def test_id_is_signed(self) -> None:
        headers = standard_headers()
        headers["webhook-id"] = "msg_2"
        rejects("standard_webhooks", SW_SECRET, headers)

    @pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
    def test_missing_header(self, missing: str) -> None:
        headers = standard_headers()
        del headers[missing]
        assert "missing" in rejects("standard_webhooks", SW_SECRET, headers)

    @pytest.mark.parametrize("offset", [-301, 301])
    def test_outside_window(self, offset: int) -> None:
        assert "window" in rejects("standard_webhooks", SW_SECRET, standard_headers(at=NOW + offset))

    @pytest.mark.parametrize("signature", ["garbage", "v1", "v1,", "v1,not base64!!"])
    def test_malformed_signature(self, signature: str) -> None:
        headers = standard_headers()
        headers["webhook-signature"] = signature
        rejects("standard_webhooks", SW_SECRET, headers)

    def test_non_utf8_body(self) -> None:
        rejects("standard_webhooks", SW_SECRET, standard_headers(), body=b"\xff\xfe")

    def test_tolerance_is_ours_not_the_librarys(self) -> None:
        # The library's own verify() would use the wall clock and 5 minutes; we use `now` and config.
        old = time.time() - 3600
        webhooks.verify("standard_webhooks", SW_SECRET, standard_headers(at=old), BODY, None, old + 10, TOLERANCE)


# Path secret: the last URL segment.


class TestPathSecret:
    def test_valid(self) -> None:
        webhooks.verify("path_secret", "p4th-s3cret", {}, BODY, "p4th-s3cret", NOW, TOLERANCE)

    @pytest.mark.parametrize("given", ["wrong", "p4th-s3cre", "p4th-s3cret ", ""])
    def test_wrong(self, given: str) -> None:
        rejects("path_secret", "p4th-s3cret", {}, path_secret=given)

    def test_missing(self) -> None:
        assert "no secret" in rejects("path_secret", "p4th-s3cret", {}, path_secret=None)

    def test_message_never_quotes_the_secret(self) -> None:
        assert "p4th" not in rejects("path_secret", "p4th-s3cret", {}, path_secret="p4th-s3cre")


@pytest.mark.parametrize("scheme", ["path_secret", "zendesk", "zammad", "standard_webhooks", "none"])
@pytest.mark.parametrize("secret", [None, ""])
def test_no_secret_means_refused(scheme: str, secret: str | None) -> None:
    message = rejects(scheme, secret, zendesk_headers() | zammad_headers() | standard_headers(), path_secret="")
    assert message == "webhooks are not configured for acme"


def test_scheme_none_refuses_even_with_a_secret() -> None:
    assert "not configured" in rejects("none", "a-secret", {}, path_secret="a-secret")


# Each adapter's default scheme, and the config override.

URL = "https://desk.example.test"


@pytest.mark.parametrize(
    ("config", "scheme"),
    [
        (
            DjangoHelpdeskConfig(kind="django_helpdesk", base_url=URL, username="u", password=SecretStr("p")),
            "path_secret",
        ),
        (ZendeskConfig(kind="zendesk", base_url=URL, email="e@x.test", api_token=SecretStr("t")), "zendesk"),
        (FreshdeskConfig(kind="freshdesk", base_url=URL, api_key=SecretStr("k")), "path_secret"),
        (ZammadConfig(kind="zammad", base_url=URL, token=SecretStr("t")), "zammad"),
        (RtConfig(kind="rt", base_url=URL, token=SecretStr("t")), "path_secret"),
    ],
)
def test_default_scheme_and_override(config: HelpdeskConfig, scheme: str) -> None:
    desk = build_helpdesk("acme", config)
    assert desk.webhook_scheme == scheme
    with pytest.raises(WebhookRejected, match="not configured for acme"):
        desk.verify_webhook({}, BODY, "anything", NOW)  # no secret configured

    overridden = build_helpdesk(
        "acme",
        config.model_copy(update={"webhook_scheme": "standard_webhooks", "webhook_secret": SecretStr(SW_SECRET)}),
    )
    overridden.verify_webhook(standard_headers(), BODY, None, NOW)
    with pytest.raises(WebhookRejected):
        overridden.verify_webhook({}, BODY, SW_SECRET, NOW)  # the path secret no longer counts
    assert overridden.read_webhook(BODY).ticket_id == "42"  # the generic body, whatever the kind


def test_config_tolerance_is_used() -> None:
    config = ZendeskConfig(
        kind="zendesk",
        base_url=URL,
        email="e@x.test",
        api_token=SecretStr("t"),
        webhook_secret=SecretStr(ZD_SECRET),
        webhook_tolerance_seconds=30,
    )
    desk = build_helpdesk("acme", config)
    desk.verify_webhook(zendesk_headers(at=NOW - 29), BODY, None, NOW)
    with pytest.raises(WebhookRejected):
        desk.verify_webhook(zendesk_headers(at=NOW - 31), BODY, None, NOW)


def test_bad_standard_webhooks_secret_fails_at_build() -> None:
    config = RtConfig(
        kind="rt",
        base_url=URL,
        token=SecretStr("t"),
        webhook_scheme="standard_webhooks",
        webhook_secret=SecretStr("whsec_!!!not-base64"),
    )
    with pytest.raises(ValueError, match="Standard Webhooks secret"):
        build_helpdesk("acme", config)
