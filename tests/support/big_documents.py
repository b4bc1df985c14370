"""Large Arazzo documents for scaling checks: many workflows over one OpenAPI description."""

from __future__ import annotations

import json
from pathlib import Path

OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "big", "version": "1"},
    "servers": [{"url": "https://api.example.com"}],
    "paths": {
        "/items/{id}": {
            "get": {
                "operationId": "getItem",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "verbose", "in": "query", "schema": {"type": "boolean"}},
                ],
                "responses": {"200": {"description": "ok"}},
            }
        },
        "/items": {
            "post": {
                "operationId": "createItem",
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {"201": {"description": "created"}},
            }
        },
    },
}


def _workflow(index: int) -> dict[str, object]:
    return {
        "workflowId": f"flow{index}",
        "summary": f"Create an item and read it back ({index})",
        "inputs": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "size": {"type": "integer"}},
        },
        "steps": [
            {
                "stepId": "create",
                "operationId": "createItem",
                "requestBody": {
                    "contentType": "application/json",
                    "payload": {"name": "$inputs.name", "size": "$inputs.size", "tag": f"t{index}"},
                },
                "successCriteria": [{"condition": "$statusCode == 201"}],
                "outputs": {"id": "$response.body#/id"},
            },
            {
                "stepId": "read",
                "operationPath": "{$sourceDescriptions.api.url}#/paths/~1items~1{id}/get",
                "parameters": [
                    {"name": "id", "in": "path", "value": "$steps.create.outputs.id"},
                    {"name": "verbose", "in": "query", "value": True},
                ],
                "successCriteria": [
                    {"condition": "$statusCode == 200 && $response.body#/name == 'x'"},
                    {"context": "$response.body", "type": "jsonpath", "condition": "$.name"},
                ],
                "outputs": {"name": "$response.body#/name"},
            },
        ],
        "outputs": {"name": "$steps.read.outputs.name"},
    }


def write_big_document(directory: Path, size: int) -> Path:
    """Write ``big.arazzo.json`` of at least ``size`` bytes (and its OpenAPI) in ``directory``."""
    (directory / "api.json").write_text(json.dumps(OPENAPI))
    one = len(json.dumps(_workflow(0), indent=1))
    count = max(1, size // one + 1)
    document = {
        "arazzo": "1.1.0",
        "info": {"title": "big", "version": "1"},
        "sourceDescriptions": [{"name": "api", "url": "./api.json", "type": "openapi"}],
        "workflows": [_workflow(i) for i in range(count)],
    }
    path = directory / "big.arazzo.json"
    path.write_text(json.dumps(document, indent=1))
    return path
