"""ticket_link's OpenAPI document (served at /openapi.json, browsable at /docs) is complete."""

from tests.helpers import dev_mode
from tests.openapi import load, problems
from ticket_link.app import create_app
from ticket_link.config import AppConfig, parse_config


async def test_every_operation_error_body_and_field_is_documented() -> None:
    config = AppConfig(
        file=parse_config(dev_mode('secret = "' + "s" * 40 + '"'), env={}),
        redis_url="redis://127.0.0.1:9/0",
        source="test",
    )
    spec, docs = await load(create_app(config))
    assert "swagger-ui" in docs.lower()
    tickets = {"/v1/tickets/{ticket_ref}/deposits", "/v1/tickets/{ticket_ref}/lookups"}
    assert problems(spec, may_be_unavailable={*tickets, "/readyz"}) == []
    claim = spec["paths"]["/v1/tickets/{ticket_ref}/deposits"]["post"]
    assert claim["security"] == [{"ApiKey": []}]
    assert {"401", "403", "404", "422", "429", "503"} <= set(claim["responses"])
    assert "check_only" in claim["requestBody"]["content"]["application/json"]["examples"]
    assert "post_note" in spec["components"]["schemas"]["DepositClaim"]["properties"]
    lookup = spec["paths"]["/v1/tickets/{ticket_ref}/lookups"]["post"]
    assert lookup["security"] == [{"ApiKey": []}]
    assert {"401", "403", "404", "422", "429", "503"} <= set(lookup["responses"])
    assert "claims_capped" in lookup["responses"]["429"]["description"]
    assert {"bot", "lookup_only"} <= set(lookup["requestBody"]["content"]["application/json"]["examples"])
    answer = spec["components"]["schemas"]["DepositLookupResponse"]["properties"]
    assert {"deposits", "coverage", "truncated", "player_message", "ticket_note"} <= set(answer)
    for path in ("/v1/webhooks/{helpdesk}", "/v1/webhooks/{helpdesk}/{secret}"):
        webhook = spec["paths"][path]["post"]
        assert "security" not in webhook  # the signature or path secret is the proof, not an API key
        assert {"401", "404", "422"} <= set(webhook["responses"])
