"""The OpenAPI document describes every JSON endpoint, generated from the shared models."""
from __future__ import annotations

from backend.app import ENDPOINTS
from tests.backend.conftest import Backend


async def test_openapi_lists_every_endpoint_with_schemas(backend: Backend):
    response = await backend.client.get("/api/openapi.json")
    assert response.status == 200
    document = await response.json()
    assert document["openapi"] == "3.1.0"
    # Every route but the pages for people (HTML, not JSON): the panel's, and the receipt and checkout pages.
    routed = {(r.method.lower(), r.resource.canonical) for r in backend.client.app.router.routes()
              if r.method != "HEAD" and not r.resource.canonical.startswith(("/panel", "/r/", "/pay/")) and r.resource.canonical != "/"}
    documented = {(method, path) for path, ops in document["paths"].items() for method in ops}
    assert documented == routed

    check_in = document["paths"]["/api/kiosk/check-ins"]["post"]
    assert check_in["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/CheckInRequest")
    assert check_in["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/VisitOut")
    assert "application/problem+json" in check_in["responses"]["422"]["content"]
    assert check_in["security"] == [{"kioskToken": []}]
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in check_in["parameters"])

    schemas = document["components"]["schemas"]
    # The request model refuses unknown fields, and the document says so.
    assert schemas["CheckInRequest"]["additionalProperties"] is False
    assert {"visitor_name", "department_id", "visitor_type_id"} <= set(schemas["CheckInRequest"]["required"])
    for endpoint in ENDPOINTS:
        for model in (endpoint.body, endpoint.response):
            if model is not None:
                assert model.__name__ in schemas


async def test_every_ref_resolves(backend: Backend):
    document = await (await backend.client.get("/api/openapi.json")).json()
    schemas = document["components"]["schemas"]

    def refs(node):
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for ref in refs(document):
        assert ref.startswith("#/components/schemas/")
        assert ref.rsplit("/", 1)[1] in schemas
