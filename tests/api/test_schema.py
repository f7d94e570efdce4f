"""The OpenAPI document is generated, valid, and its docs page loads nothing from outside."""

import re

import yaml
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema


def test_openapi_schema_is_generated_and_valid():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)  # raises on an invalid OpenAPI 3 document
    paths = schema["paths"]
    for path in [
        "/api/v1/units/",
        "/api/v1/inspections/",
        "/api/v1/hazards/",
        "/api/v1/hazards/{id}/",
        "/api/v1/bulletins/",
    ]:
        assert path in paths, path
    assert "post" in paths["/api/v1/hazards/"]
    listing = paths["/api/v1/hazards/"]["get"]
    names = {parameter["name"] for parameter in listing["parameters"]}
    assert {"cursor", "page_size", "updated_since"} <= names
    assert "接口令牌" in schema["components"]["securitySchemes"]


def test_schema_endpoint_serves_it_without_a_token(client, db):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    document = yaml.safe_load(response.content)
    assert document["info"]["title"] == "安检 数据接口"


def test_docs_page_uses_local_assets_only(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, html
    assert all(not s.startswith(("http://", "https://", "//")) for s in sources), sources
    assert any("swagger-ui" in s for s in sources)
    # No inline script body: the page's own script is served by URL (Content-Security-Policy).
    assert not re.search(r"<script>\s*\S", html)
    script = next(s for s in sources if "script" in s and "swagger-ui" not in s)
    assert client.get(script).status_code == 200
