"""Who sent this webhook? One function per scheme, and `verify` to pick one; shared by all adapters.

Schemes (config `webhook_scheme`, each adapter has a default):
- `path_secret`: the secret is the last segment of the webhook URL (for helpdesks that do not
  sign: django-helpdesk, Freshdesk, RT). Only as safe as HTTPS and the secret's length.
- `zendesk`: `X-Zendesk-Webhook-Signature` = base64(HMAC-SHA256(secret, timestamp + body)),
  `X-Zendesk-Webhook-Signature-Timestamp` in ISO 8601 (e.g. 2021-03-25T05:09:27Z), replay window.
- `zammad`: `X-Hub-Signature: sha1=<hex HMAC-SHA1(secret, body)>`. Zammad sends no timestamp, so a
  captured request can be replayed: harmless here, since notes are idempotent per (ticket, tx, status).
- `standard_webhooks`: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`
  (https://www.standardwebhooks.com), secret `whsec_<base64>`.
- `none`: webhooks refused. A scheme without a secret is refused too: never unauthenticated.

Every rejection raises WebhookRejected with a message that quotes nothing the sender sent.
"""

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from ticket_link.errors import WebhookRejected

ZENDESK_SIGNATURE = "x-zendesk-webhook-signature"
ZENDESK_TIMESTAMP = "x-zendesk-webhook-signature-timestamp"
ZAMMAD_SIGNATURE = "x-hub-signature"
# Unix seconds as ASCII digits, 12 at most (past the year 30,000): `int()` alone also takes "1_0",
# other scripts' digits and 4,300 digits, which then overflow a float (a 500, issue 12).
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


def check_secret(scheme: str, secret: str | None, *, helpdesk: str) -> None:
    """Fail at start-up, not per request, when a configured secret cannot work with its scheme."""
    if scheme == "standard_webhooks" and secret:
        _standard_webhook(secret, helpdesk)


def verify_path_secret(secret: str, path_secret: str | None) -> None:
    if not path_secret:
        raise WebhookRejected("webhook URL has no secret")
    if not hmac.compare_digest(path_secret.encode(), secret.encode()):
        raise WebhookRejected("webhook URL secret does not match")


def verify_zendesk(secret: str, headers: Mapping[str, str], body: bytes, now: float, tolerance: int) -> None:
    signature = headers.get(ZENDESK_SIGNATURE)
    timestamp = headers.get(ZENDESK_TIMESTAMP)
    if not signature or not timestamp:
        raise WebhookRejected("missing Zendesk signature or timestamp header")
    _check_window(_iso_seconds(timestamp), now, tolerance)
    # Zendesk signs the timestamp exactly as sent, directly followed by the raw body.
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    if not hmac.compare_digest(base64.b64encode(digest), signature.strip().encode()):
        raise WebhookRejected("bad Zendesk signature")


def verify_zammad(secret: str, headers: Mapping[str, str], body: bytes) -> None:
    signature = headers.get(ZAMMAD_SIGNATURE)
    if not signature:
        raise WebhookRejected("missing X-Hub-Signature header")
    algorithm, _, given = signature.strip().partition("=")
    if algorithm.lower() != "sha1":
        raise WebhookRejected("X-Hub-Signature is not sha1=<hex>")
    expected = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    if not hmac.compare_digest(expected.encode(), given.lower().encode()):
        raise WebhookRejected("bad Zammad signature")


def verify_standard_webhooks(secret: str, headers: Mapping[str, str], body: bytes, now: float, tolerance: int) -> None:
    # The library signs for us, but its verify() reads the wall clock with a fixed 5-minute
    # window and lets malformed headers escape as ValueError/binascii.Error; so we check the
    # window (with our clock and tolerance) and compare each v1 signature ourselves.
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        raise WebhookRejected("missing webhook-id, webhook-timestamp or webhook-signature header")
    if not _UNIX_SECONDS.fullmatch(timestamp.strip()):
        raise WebhookRejected("webhook-timestamp is not Unix seconds")
    seconds = int(timestamp.strip())
    _check_window(float(seconds), now, tolerance)
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise WebhookRejected("webhook body is not UTF-8") from None
    signed = _standard_webhook(secret, "this helpdesk").sign(msg_id, datetime.fromtimestamp(seconds, UTC), text)
    expected = base64.b64decode(signed.partition(",")[2])
    for entry in signatures.split():
        version, _, value = entry.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(expected, given):
            return
    raise WebhookRejected("no matching webhook-signature")


def verify(
    scheme: str,
    secret: str | None,
    headers: Mapping[str, str],
    body: bytes,
    path_secret: str | None,
    now: float,
    tolerance: int,
    *,
    helpdesk: str = "this helpdesk",
) -> None:
    """Raise WebhookRejected unless the request passes `scheme` (headers lower-cased, `now` Unix seconds)."""
    if scheme == "none" or not secret:
        raise WebhookRejected(f"webhooks are not configured for {helpdesk}")
    if scheme == "path_secret":
        verify_path_secret(secret, path_secret)
    elif scheme == "zendesk":
        verify_zendesk(secret, headers, body, now, tolerance)
    elif scheme == "zammad":
        verify_zammad(secret, headers, body)
    elif scheme == "standard_webhooks":
        verify_standard_webhooks(secret, headers, body, now, tolerance)
    else:  # a new scheme in config.py without a verifier here must not pass
        raise WebhookRejected(f"webhooks are not configured for {helpdesk}")


def _standard_webhook(secret: str, helpdesk: str) -> Webhook:
    try:
        return Webhook(secret)
    except Exception as exc:  # binascii.Error, EmptyWebhookSecretError, RuntimeError: all mean a bad secret
        raise ValueError(f"webhook_secret of {helpdesk} is not a Standard Webhooks secret (whsec_<base64>)") from exc


def _iso_seconds(value: str) -> float:
    try:
        when = datetime.fromisoformat(value.strip())
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.timestamp()
    except (ValueError, OverflowError, OSError):  # OverflowError: year 1 or 9999 shifted by its offset
        raise WebhookRejected("webhook timestamp is not ISO 8601") from None


def _check_window(sent: float, now: float, tolerance: int) -> None:
    if abs(now - sent) > tolerance:
        raise WebhookRejected("webhook timestamp is outside the replay window")
