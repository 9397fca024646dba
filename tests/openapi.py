"""What a complete OpenAPI document of ours has; each service's test_openapi.py applies it."""

from typing import Any

import httpx
from fastapi import FastAPI

AUTH_ERRORS = ("401", "403", "422", "429")


async def load(app: FastAPI) -> tuple[dict[str, Any], str]:
    """`/openapi.json` and `/docs` as a browser would get them."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        spec = await client.get("/openapi.json")
        docs = await client.get("/docs")
    assert spec.status_code == 200 and docs.status_code == 200
    return spec.json(), docs.text


def _has_example(media: dict[str, Any]) -> bool:
    return bool(media.get("examples")) or "example" in media


def problems(spec: dict[str, Any], may_be_unavailable: set[str]) -> list[str]:
    """Every gap found, as `METHOD path: what`; empty when the document is complete."""
    found: list[str] = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            where = f"{method.upper()} {path}"
            if not op.get("summary") or not op.get("description"):
                found.append(f"{where}: summary and description")
            if "requestBody" in op:
                media = op["requestBody"]["content"].get("application/json", {})
                if not _has_example(media):
                    found.append(f"{where}: request body without an example")
            responses = op["responses"]
            for status, response in responses.items():
                if not response.get("description"):
                    found.append(f"{where}: response {status} without a description")
            errors = [s for s in responses if s.startswith(("4", "5"))]
            expected = list(AUTH_ERRORS) if op.get("security") else []
            if path in may_be_unavailable:
                expected.append("503")
            for status in expected:
                if status not in responses:
                    found.append(f"{where}: {status} not documented")
            for status in errors:
                media = responses[status].get("content", {}).get("application/json", {})
                if "schema" not in media or not _has_example(media):
                    found.append(f"{where}: {status} without the error schema and an example")
    for name, schema in spec["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            if not prop.get("description"):
                found.append(f"schema {name}.{field}: no description")
    return found
