"""Tests for the botocore → OpenAPI 3.1 generator (``arazzo_engine.aws.openapi``)."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore
import pytest
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator

from arazzo_engine.aws.openapi import (
    AwsModelError,
    dump_yaml,
    generate_openapi,
    main,
    openapi_from_model,
    operation_id,
)

ROOT = Path(__file__).resolve().parents[2]
ECR_FILE = ROOT / "specs" / "openapi" / "amazon-ecr-openapi.yml"
DYNAMODB_FILE = ROOT / "specs" / "openapi" / "amazon-dynamodb-openapi.yml"
ECR_PREFIX = "AmazonEC2ContainerRegistry_V20150921"
WORKFLOW_OPERATIONS = ("describeRepositories", "putImage", "batchGetImage")
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load(path: Path) -> dict[str, Any]:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    assert isinstance(data, dict)
    return data


def _operations(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """operationId → (path key, operation) for every operation of a document."""
    found: dict[str, dict[str, Any]] = {}
    for key, item in doc["paths"].items():
        for method, op in item.items():
            assert method == "post"
            found[op["operationId"]] = {"path": key, "op": op}
    return found


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value.rsplit("/", 1)[-1]
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _reached(doc: dict[str, Any], roots: list[Any]) -> set[str]:
    schemas = doc["components"]["schemas"]
    seen: set[str] = set()
    pending = [name for root in roots for name in _refs(root)]
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            pending.extend(_refs(schemas[name]))
    return seen


@pytest.fixture(scope="module")
def ecr() -> dict[str, Any]:
    return generate_openapi("ecr", "2015-09-21")


@pytest.fixture(scope="module")
def ecr_file() -> dict[str, Any]:
    return _load(ECR_FILE)


@pytest.fixture(scope="module")
def dynamodb() -> dict[str, Any]:
    return generate_openapi("dynamodb")


# ----------------------------------------------------------------- committed files


def test_committed_ecr_matches_generator_for_workflow_operations(
    ecr: dict[str, Any], ecr_file: dict[str, Any]
) -> None:
    generated, committed = _operations(ecr), _operations(ecr_file)
    for op_id in WORKFLOW_OPERATIONS:
        assert committed[op_id] == generated[op_id], op_id
    roots = [generated[op_id]["op"] for op_id in WORKFLOW_OPERATIONS]
    names = _reached(ecr, roots)
    assert {"DescribeRepositoriesRequest", "Image", "ImageFailure", "Repository"} <= names
    for name in sorted(names):
        assert ecr_file["components"]["schemas"][name] == ecr["components"]["schemas"][name], name
    for key in ("openapi", "servers", "security"):
        assert ecr_file[key] == ecr[key]
    assert ecr_file["components"]["securitySchemes"] == ecr["components"]["securitySchemes"]


@pytest.mark.parametrize(
    ("path", "service"), [(ECR_FILE, "ecr"), (DYNAMODB_FILE, "dynamodb")], ids=["ecr", "dynamodb"]
)
def test_committed_file_is_exactly_the_generator_output(path: Path, service: str) -> None:
    text = path.read_text(encoding="utf-8")
    committed = yaml.load(text, Loader=_Loader)
    recorded = committed["info"]["x-botocore-version"]
    if recorded != botocore.__version__:
        pytest.skip(
            f"{path.name} was generated with botocore {recorded}, botocore "
            f"{botocore.__version__} is installed; regenerate with "
            f"`python -m arazzo_engine.aws {service} -o {path.relative_to(ROOT)}`"
        )
    doc = generate_openapi(service, committed["info"]["version"])
    assert committed == doc
    assert text == dump_yaml(doc)


# ----------------------------------------------------------------- document shape


def test_operation_ids_targets_and_media_types(
    ecr: dict[str, Any], dynamodb: dict[str, Any]
) -> None:
    for doc, prefix, media in (
        (ecr, ECR_PREFIX, "application/x-amz-json-1.1"),
        (dynamodb, "DynamoDB_20120810", "application/x-amz-json-1.0"),
    ):
        ops = _operations(doc)
        assert len(ops) == len(doc["paths"]) >= 60
        for op_id, entry in ops.items():
            op = entry["op"]
            name = op["x-aws-operation-name"]
            target = f"{prefix}.{name}"
            assert re.fullmatch(r"[a-z][A-Za-z0-9]*", op_id)
            assert op_id == name[0].lower() + name[1:] == operation_id(name)
            assert entry["path"] == f"/#X-Amz-Target={target}"
            assert op["summary"]
            [param] = op["parameters"]
            assert param["name"] == "X-Amz-Target"
            assert param["in"] == "header"
            assert param["required"] is True
            assert param["schema"] == {"type": "string", "const": target, "default": target}
            assert op["requestBody"]["required"] is True
            assert list(op["requestBody"]["content"]) == [media]
            for status, response in op["responses"].items():
                assert list(response.get("content", {media: None})) == [media], status
            assert {"200", "400", "500"} <= set(op["responses"])
            assert "UnrecognizedClientException" in op["description"]
    ops = _operations(ecr)
    assert {"describeRepositories", "putImage", "batchGetImage"} <= set(ops)
    assert ecr["info"]["x-aws-protocol"] == "awsJson1_1"
    assert dynamodb["info"]["x-aws-protocol"] == "awsJson1_0"


def test_error_responses(ecr: dict[str, Any]) -> None:
    op = _operations(ecr)["describeRepositories"]["op"]
    media = "application/x-amz-json-1.1"
    client = op["responses"]["400"]["content"][media]["schema"]
    assert {"$ref": "#/components/schemas/RepositoryNotFoundException"} in client["oneOf"]
    server = op["responses"]["500"]["content"][media]["schema"]
    assert server == {"$ref": "#/components/schemas/ServerException"}
    schema = ecr["components"]["schemas"]["RepositoryNotFoundException"]
    assert schema["required"] == ["__type"]
    pattern = schema["properties"]["__type"]["pattern"]
    for ok in (
        "RepositoryNotFoundException",
        "com.amazonaws.ecr#RepositoryNotFoundException",
        "RepositoryNotFoundException:http://internal.amazon.com/coral/",
    ):
        assert re.search(pattern, ok)
    assert not re.search(pattern, "RepositoryNotFoundExceptionX")
    assert not re.search(pattern, "ServerException")
    assert "message" in schema["properties"]


def test_types_servers_and_security(ecr: dict[str, Any], dynamodb: dict[str, Any]) -> None:
    schemas = ecr["components"]["schemas"]
    assert schemas["CreationTimestamp"]["type"] == "number"
    assert schemas["CreationTimestamp"]["x-aws-timestampFormat"] == "unixTimestamp"
    for doc in (ecr, dynamodb):
        for name, schema in doc["components"]["schemas"].items():
            if "x-aws-timestampFormat" in schema:
                assert schema["type"] == "number", name
    repository = schemas["Repository"]["properties"]
    assert repository["createdAt"]["$ref"] == "#/components/schemas/CreationTimestamp"
    assert repository["createdAt"]["description"]
    assert schemas["RepositoryNameList"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/RepositoryName"},
        "minItems": 1,
        "maxItems": 100,
    }
    assert schemas["RegistryId"]["pattern"] == "[0-9]{12}"
    assert schemas["MaxResults"]["type"] == "integer"
    assert schemas["PutImageRequest"]["required"] == ["repositoryName", "imageManifest"]
    assert schemas["ImageFailureCode"]["enum"][:2] == ["InvalidImageDigest", "InvalidImageTag"]

    assert isinstance(ecr["info"]["version"], str)
    assert ecr["info"]["version"] == "2015-09-21"
    assert ecr["info"]["x-aws-signingName"] == "ecr"
    assert ecr["info"]["x-aws-targetPrefix"] == ECR_PREFIX
    [server] = ecr["servers"]
    assert server["url"] == "https://api.ecr.{region}.amazonaws.com"
    assert server["variables"]["region"]["default"] == "us-east-1"
    assert dynamodb["servers"][0]["url"] == "https://dynamodb.{region}.amazonaws.com"
    for doc, signing_name in ((ecr, "ecr"), (dynamodb, "dynamodb")):
        assert doc["security"] == [{"awsSigV4": []}]
        scheme = doc["components"]["securitySchemes"]["awsSigV4"]
        assert scheme["type"] == "apiKey"
        assert scheme["in"] == "header"
        assert scheme["name"] == "Authorization"
        assert scheme["x-amazon-apigateway-authtype"] == "awsSigv4"
        assert scheme["x-aws-signingName"] == signing_name


def test_subset_keeps_only_reachable_schemas(ecr: dict[str, Any]) -> None:
    doc = generate_openapi("ecr", operations=["PutImage", "describeRepositories"])
    assert [op["operationId"] for item in doc["paths"].values() for op in item.values()] == [
        "describeRepositories",
        "putImage",
    ]
    roots = [item for item in doc["paths"].values()]
    assert set(doc["components"]["schemas"]) == _reached(doc, roots)
    assert "BatchGetImageRequest" not in doc["components"]["schemas"]
    for name, schema in doc["components"]["schemas"].items():
        assert schema == ecr["components"]["schemas"][name]


def test_dump_yaml_is_deterministic_and_alias_free(ecr: dict[str, Any]) -> None:
    doc = generate_openapi("ecr", operations=list(WORKFLOW_OPERATIONS))
    text = dump_yaml(doc)
    assert text == dump_yaml(copy.deepcopy(doc))
    assert not re.search(r"[&*]id\d+", text)
    assert yaml.load(text, Loader=_Loader) == doc


# ----------------------------------------------------------------- synthetic models


def _model(**metadata: Any) -> dict[str, Any]:
    meta = {
        "apiVersion": "2020-01-01",
        "endpointPrefix": "demo",
        "jsonVersion": "1.0",
        "protocol": "json",
        "serviceFullName": "Demo Service",
        "serviceId": "Demo",
        "signatureVersion": "v4",
        "targetPrefix": "Demo_20200101",
        "uid": "demo-2020-01-01",
    }
    meta.update(metadata)
    return {
        "version": "2.0",
        "metadata": meta,
        "operations": {
            "GetNode": {
                "name": "GetNode",
                "http": {"method": "POST", "requestUri": "/"},
                "input": {"shape": "GetNodeInput"},
                "output": {"shape": "Node"},
                "errors": [{"shape": "Missing"}, {"shape": "Conflict"}, {"shape": "Boom"}],
            },
            "Ping": {"name": "Ping", "http": {"method": "POST", "requestUri": "/"}},
        },
        "shapes": {
            "GetNodeInput": {
                "type": "structure",
                "required": ["Id"],
                "members": {"Id": {"shape": "Id", "jsonName": "id"}},
            },
            "Id": {"type": "string", "pattern": "\\p{L}+", "min": 1, "max": 8},
            "Node": {
                "type": "structure",
                "members": {
                    "Children": {"shape": "NodeList"},
                    "Seen": {"shape": "IsoTime"},
                    "Born": {"shape": "HttpTime"},
                    "Touched": {"shape": "EpochTime"},
                    "Extra": {"shape": "Doc"},
                    "Score": {"shape": "Score"},
                },
            },
            "NodeList": {"type": "list", "member": {"shape": "Node"}},
            "IsoTime": {"type": "timestamp", "timestampFormat": "iso8601"},
            "HttpTime": {"type": "timestamp", "timestampFormat": "rfc822"},
            "EpochTime": {"type": "timestamp"},
            "Doc": {"type": "structure", "members": {}, "document": True},
            "Score": {"type": "double", "min": 0, "max": 1.5},
            "Missing": {"type": "structure", "members": {}, "exception": True},
            "Conflict": {
                "type": "structure",
                "members": {"Message": {"shape": "Id"}},
                "exception": True,
                "error": {"code": "Conflict", "httpStatusCode": 409, "senderFault": True},
            },
            "Boom": {"type": "structure", "members": {}, "exception": True, "fault": True},
            "Unused": {"type": "string"},
        },
    }


def test_synthetic_model_mapping() -> None:
    doc = openapi_from_model(_model())
    validate(doc, cls=OpenAPIV31SpecValidator)
    assert doc["info"]["x-aws-signingName"] == "demo"
    assert "description" not in doc["info"]
    schemas = doc["components"]["schemas"]
    assert "Unused" not in schemas
    assert schemas["GetNodeInput"]["required"] == ["id"]
    assert "id" in schemas["GetNodeInput"]["properties"]
    assert schemas["Id"] == {
        "type": "string",
        "x-aws-pattern": "\\p{L}+",
        "minLength": 1,
        "maxLength": 8,
    }
    assert schemas["NodeList"]["items"] == {"$ref": "#/components/schemas/Node"}
    assert schemas["IsoTime"]["type"] == "string"
    assert schemas["IsoTime"]["format"] == "date-time"
    assert schemas["HttpTime"]["type"] == "string"
    assert schemas["EpochTime"]["type"] == "number"
    assert schemas["Doc"] == {}
    assert schemas["Score"] == {"type": "number", "format": "double", "minimum": 0, "maximum": 1.5}
    get_node = doc["paths"]["/#X-Amz-Target=Demo_20200101.GetNode"]["post"]
    assert get_node["summary"] == "GetNode"
    responses = get_node["responses"]
    media = "application/x-amz-json-1.0"
    assert responses["400"]["content"][media]["schema"] == {"$ref": "#/components/schemas/Missing"}
    assert responses["409"]["content"][media]["schema"] == {"$ref": "#/components/schemas/Conflict"}
    assert responses["500"]["content"][media]["schema"] == {"$ref": "#/components/schemas/Boom"}
    ping = doc["paths"]["/#X-Amz-Target=Demo_20200101.Ping"]["post"]
    assert ping["requestBody"]["content"][media]["schema"] == {"type": "object"}
    assert "content" not in ping["responses"]["200"]
    assert ping["responses"]["400"]["content"][media]["schema"]["required"] == ["__type"]


def test_synthetic_model_refusals() -> None:
    with pytest.raises(AwsModelError, match="rest-xml"):
        openapi_from_model(_model(protocol="rest-xml", protocols=["rest-xml"]))
    with pytest.raises(AwsModelError, match="jsonVersion"):
        openapi_from_model(_model(jsonVersion="2.0"))
    with pytest.raises(AwsModelError, match="Nope"):
        openapi_from_model(_model(), operations=["GetNode", "Nope"])


# ----------------------------------------------------------------- command line


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["s3"], "rest-xml"),
        (["ec2"], "ec2"),
        (["no-such-service"], "no service model"),
        (["ecr", "--api-version", "1999-01-01"], "1999-01-01"),
        (["ecr", "--operations", "PutImage,Nope"], "Nope"),
        (["ecr", "--operations", ","], "operation"),
    ],
)
def test_cli_errors_exit_2(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert needle in lines[0]


def test_cli_writes_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ecr.yml"
    assert main(["ecr", "--operations", "DescribeRepositories,putImage", "-o", str(out)]) == 0
    doc = _load(out)
    assert sorted(_operations(doc)) == ["describeRepositories", "putImage"]
    assert "2 operations" in capsys.readouterr().err


def test_module_entry_point() -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    result = subprocess.run(
        [sys.executable, "-m", "arazzo_engine.aws", "s3"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "rest-xml" in result.stderr


# ----------------------------------------------------------------- OpenAPI 3.1 validity


def test_ecr_file_is_valid_openapi_31(ecr_file: dict[str, Any]) -> None:
    assert ecr_file["openapi"] == "3.1.0"
    validate(ecr_file, cls=OpenAPIV31SpecValidator)


def test_dynamodb_subset_is_valid_openapi_31() -> None:
    doc = generate_openapi("dynamodb", operations=["GetItem", "PutItem", "Query", "DescribeTable"])
    validate(doc, cls=OpenAPIV31SpecValidator)
    assert _load(DYNAMODB_FILE)["openapi"] == "3.1.0"
