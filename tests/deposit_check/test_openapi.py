"""deposit_check's OpenAPI document (served at /openapi.json, browsable at /docs) is complete."""

from deposit_check.app import create_app
from deposit_check.config import DEFAULT_CONFIG, AppConfig, parse_config
from tests.helpers import dev_mode
from tests.openapi import load, problems


async def test_every_operation_error_body_and_field_is_documented() -> None:
    app = create_app(AppConfig(file=parse_config(dev_mode(DEFAULT_CONFIG), env={}), redis_url=None, source="test"))
    spec, docs = await load(app)
    assert "swagger-ui" in docs.lower()
    assert problems(spec, may_be_unavailable={"/v1/checks", "/readyz"}) == []
    check = spec["paths"]["/v1/checks"]["post"]
    assert check["security"] == [{"ApiKey": []}]
    body = check["requestBody"]["content"]["application/json"]
    assert {"utxo", "evm_token", "watch"} <= set(body["examples"])
    # The route reads its own key and body; the document still says what they are.
    assert check["requestBody"]["required"] is True
    assert body["schema"] == {"$ref": "#/components/schemas/CheckRequest"}
    request = spec["components"]["schemas"]["CheckRequest"]
    assert set(request["required"]) == {"tx_hash", "address"} and request["additionalProperties"] is False
    assert {"tx_hash", "address", "chain", "asset", "expected_amount", "watch"} == set(request["properties"])
    assert spec["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    assert "Retry-After" in check["responses"]["429"]["headers"]
    unavailable = check["responses"]["503"]["content"]["application/json"]
    assert unavailable["example"]["status"] == "unavailable"
    assert unavailable["schema"] == {"$ref": "#/components/schemas/UnavailableResponse"}
