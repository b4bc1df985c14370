"""Generate OpenAPI 3.1 descriptions of AWS JSON-protocol services from botocore's models.

AWS services that speak ``awsJson1_0`` / ``awsJson1_1`` have no OpenAPI description that is true
to the wire, so this module builds one from botocore's own service model (``service-2``):

* every operation is ``POST`` on a path key ``/#X-Amz-Target=<targetPrefix>.<Operation>``; the
  fragment only keeps the keys unique and is never sent, so a runner strips ``#...`` and posts
  to ``/``;
* ``operationId`` is the lowerCamelCase operation name (``describeRepositories``) and
  ``x-aws-operation-name`` keeps the model's name;
* a required ``X-Amz-Target`` header parameter whose schema has ``const`` and ``default`` equal
  to the target, so a runner can fill it in;
* request and response bodies use ``application/x-amz-json-<jsonVersion>``;
* errors follow the wire: client errors under ``400`` (a ``oneOf`` of the modelled exception
  shapes), faults under ``500``, or the status the model gives in ``error.httpStatusCode``;
  every exception schema requires ``__type`` with a pattern that matches
  ``[namespace#]Name[:suffix]``;
* timestamps are JSON numbers (epoch seconds, ``x-aws-timestampFormat: unixTimestamp``) unless
  the model asks for ``iso8601`` (string ``date-time``) or ``rfc822`` (string);
* SigV4 is the ``awsSigV4`` security scheme (``x-amazon-apigateway-authtype: awsSigv4`` and
  ``x-aws-signingName``), since OpenAPI has no native scheme for it.

A string ``pattern`` that Python's `re` cannot compile (ECMAScript-only syntax such as
``\\p{L}`` or surrogate ranges) is kept as ``x-aws-pattern`` instead, so the description can be
used with `jsonschema` without crashing the validator.

The output depends only on the service model, so it is stable for a given botocore version.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from html.parser import HTMLParser
from typing import Any

import botocore
import yaml
from botocore.exceptions import DataNotFoundError
from botocore.loaders import Loader

from arazzo_engine.errors import ArazzoError

__all__ = [
    "COMMON_ERRORS",
    "SECURITY_SCHEME_NAME",
    "AwsModelError",
    "dump_yaml",
    "generate_openapi",
    "main",
    "openapi_from_model",
    "operation_id",
]

OPENAPI_VERSION = "3.1.0"
SECURITY_SCHEME_NAME = "awsSigV4"
DEFAULT_REGION = "us-east-1"
GENERATOR = "arazzo_engine.aws.openapi"

#: Errors any awsJson service may return that service models do not list per operation.
COMMON_ERRORS: tuple[str, ...] = (
    "AccessDeniedException",
    "ExpiredTokenException",
    "IncompleteSignatureException",
    "InternalFailure",
    "InvalidSignatureException",
    "MissingAuthenticationTokenException",
    "SerializationException",
    "ServiceUnavailable",
    "ThrottlingException",
    "UnknownOperationException",
    "UnrecognizedClientException",
    "ValidationException",
)

_SCHEMA_REF = "#/components/schemas/"
_JSON_VERSIONS = ("1.0", "1.1")


class AwsModelError(ArazzoError):
    """A botocore service model cannot be loaded or turned into an OpenAPI description."""


# --------------------------------------------------------------------------- documentation


_BLOCK_TAGS = frozenset(
    {
        "p",
        "br",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "div",
        "note",
        "important",
        "pre",
        "table",
        "tr",
        "td",
        "th",
        "blockquote",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
    }
)
_SKIPPED_TAGS = frozenset({"fullname"})
_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-Z(\"']|$)")


class _TextExtractor(HTMLParser):
    """Collect the text of botocore's HTML documentation, split into blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._blocks: list[list[str]] = [[]]
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self._break()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self._break()

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._blocks[-1].append(data)

    def _break(self) -> None:
        if self._blocks[-1]:
            self._blocks.append([])

    def paragraphs(self) -> list[str]:
        texts = (" ".join("".join(block).split()) for block in self._blocks)
        return [text for text in texts if text]


def _paragraphs(html: object) -> list[str]:
    """Plain-text paragraphs of an HTML documentation string (empty when there is none)."""
    if not isinstance(html, str) or not html.strip():
        return []
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return extractor.paragraphs()


def _first_paragraph(html: object) -> str | None:
    """The first paragraph of some documentation, plus the next ones while it ends with ':'."""
    paragraphs = _paragraphs(html)
    if not paragraphs:
        return None
    text = paragraphs[0]
    index = 1
    while text.endswith(":") and index < len(paragraphs):
        text = f"{text} {paragraphs[index]}"
        index += 1
    return text


def _first_sentence(text: str) -> str:
    """The first sentence of a paragraph (the whole paragraph when it has one sentence)."""
    match = _SENTENCE_END.search(text)
    return text[: match.end()] if match else text


# --------------------------------------------------------------------------- helpers


def operation_id(operation_name: str) -> str:
    """Return the lowerCamelCase ``operationId`` for an AWS operation name (``PutImage``)."""
    return operation_name[:1].lower() + operation_name[1:]


def _ref(shape_name: str) -> dict[str, Any]:
    return {"$ref": _SCHEMA_REF + shape_name}


def _python_pattern_ok(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def _number(value: Any) -> int | float:
    """A model bound as a JSON number, keeping integers integral."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise AwsModelError(f"bad numeric bound in service model: {value!r}")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _unique(names: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for name in names:
        seen.setdefault(name, None)
    return list(seen)


def _error_status(shape: Mapping[str, Any]) -> int:
    """The HTTP status an exception shape is returned with on the awsJson wire."""
    error = shape.get("error")
    if isinstance(error, Mapping):
        status = error.get("httpStatusCode")
        if isinstance(status, int) and not isinstance(status, bool):
            return status
    return 500 if shape.get("fault") else 400


# --------------------------------------------------------------------------- generator


class _Generator:
    """Builds one OpenAPI document from a loaded botocore service model."""

    def __init__(self, model: Mapping[str, Any], service: str | None = None) -> None:
        metadata = model.get("metadata")
        if not isinstance(metadata, Mapping) or not metadata.get("endpointPrefix"):
            raise AwsModelError("service model has no metadata.endpointPrefix")
        self.metadata: Mapping[str, Any] = metadata
        self.operations: Mapping[str, Any] = model.get("operations") or {}
        self.shapes: Mapping[str, Any] = model.get("shapes") or {}
        self.documentation = model.get("documentation")
        self.service = service or str(metadata["endpointPrefix"])
        service = self.service
        protocol = metadata.get("protocol")
        protocols = metadata.get("protocols") or [protocol]
        if protocol != "json" and "json" not in protocols:
            shown = ", ".join(str(p) for p in protocols)
            raise AwsModelError(
                f"service {service!r} uses protocol {shown}; only AWS JSON (awsJson1_0/1_1) "
                "services are supported"
            )
        json_version = metadata.get("jsonVersion")
        if json_version not in _JSON_VERSIONS:
            raise AwsModelError(
                f"service {service!r} has unsupported jsonVersion {json_version!r} "
                f"(expected one of {', '.join(_JSON_VERSIONS)})"
            )
        target_prefix = metadata.get("targetPrefix")
        if not isinstance(target_prefix, str) or not target_prefix:
            raise AwsModelError(f"service {service!r} has no targetPrefix in its model")
        self.json_version: str = json_version
        self.target_prefix: str = target_prefix
        self.media_type = f"application/x-amz-json-{json_version}"
        self.signing_name = str(metadata.get("signingName") or metadata["endpointPrefix"])

    # ------------------------------------------------------------------ operations

    def select(self, operations: Sequence[str] | None) -> list[str]:
        """Model operation names to describe, in model order."""
        if operations is None:
            return list(self.operations)
        by_name = {name.lower(): name for name in self.operations}
        wanted: set[str] = set()
        unknown: list[str] = []
        for requested in operations:
            name = by_name.get(requested.strip().lower())
            if name is None:
                unknown.append(requested)
            else:
                wanted.add(name)
        if unknown:
            raise AwsModelError(
                f"unknown operation(s) for service {self.service!r}: {', '.join(unknown)}"
            )
        if not wanted:
            raise AwsModelError("no operations selected")
        return [name for name in self.operations if name in wanted]

    def _shape(self, name: str) -> Mapping[str, Any]:
        shape = self.shapes.get(name)
        if not isinstance(shape, Mapping):
            raise AwsModelError(f"service model refers to unknown shape {name!r}")
        return shape

    def _errors(self, operation: Mapping[str, Any]) -> list[str]:
        return _unique(str(error["shape"]) for error in operation.get("errors") or [])

    def closure(self, operation_names: Sequence[str]) -> list[str]:
        """Every shape reachable from the chosen operations, sorted by name."""
        pending: list[str] = []
        for name in operation_names:
            operation = self.operations[name]
            for key in ("input", "output"):
                ref = operation.get(key)
                if isinstance(ref, Mapping):
                    pending.append(str(ref["shape"]))
            pending.extend(self._errors(operation))
        seen: set[str] = set()
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            shape = self._shape(name)
            for member in (shape.get("members") or {}).values():
                pending.append(str(member["shape"]))
            for key in ("member", "key", "value"):
                ref = shape.get(key)
                if isinstance(ref, Mapping):
                    pending.append(str(ref["shape"]))
        return sorted(seen)

    def operation(self, name: str) -> dict[str, Any]:
        """The OpenAPI operation object for one model operation."""
        model_op = self.operations[name]
        target = f"{self.target_prefix}.{name}"
        first = _first_paragraph(model_op.get("documentation"))
        errors = self._errors(model_op)

        op: dict[str, Any] = {"operationId": operation_id(name)}
        op["summary"] = _first_sentence(first) if first else name
        op["description"] = self._operation_description(first, errors)
        op["x-aws-operation-name"] = name
        if model_op.get("deprecated"):
            op["deprecated"] = True
        op["parameters"] = [
            {
                "name": "X-Amz-Target",
                "in": "header",
                "required": True,
                "description": "The awsJson operation selector: `<targetPrefix>.<Operation>`.",
                "schema": {"type": "string", "const": target, "default": target},
            }
        ]
        input_ref = model_op.get("input")
        body_schema = _ref(str(input_ref["shape"])) if input_ref else {"type": "object"}
        op["requestBody"] = {
            "required": True,
            "content": {self.media_type: {"schema": body_schema}},
        }
        op["responses"] = self._responses(model_op, errors)
        security = self._operation_security(model_op)
        if security is not None:
            op["security"] = security
        host_prefix = (model_op.get("endpoint") or {}).get("hostPrefix")
        if isinstance(host_prefix, str) and host_prefix:
            op["x-aws-hostPrefix"] = host_prefix
            if "{" not in host_prefix:
                op["servers"] = [self._server(host_prefix)]
        return op

    def _operation_description(self, first: str | None, errors: Sequence[str]) -> str:
        parts = [first] if first else []
        if errors:
            listed = ", ".join(f"{e} ({_error_status(self._shape(e))})" for e in errors)
            parts.append(f"Modelled errors: {listed}.")
        common = [name for name in COMMON_ERRORS if name not in errors]
        parts.append(
            "Errors common to AWS JSON services, not modelled here, may also be returned: "
            + ", ".join(common)
            + "."
        )
        return "\n\n".join(parts)

    def _operation_security(self, model_op: Mapping[str, Any]) -> list[dict[str, Any]] | None:
        auth = model_op.get("auth")
        schemes: list[str] = [str(a) for a in auth] if isinstance(auth, list) else []
        no_auth = model_op.get("authtype") == "none" or "smithy.api#noAuth" in schemes
        if not no_auth:
            return None
        if any(s.startswith("aws.auth#sigv4") for s in schemes):
            return [{SECURITY_SCHEME_NAME: []}, {}]
        return []

    def _responses(self, model_op: Mapping[str, Any], errors: Sequence[str]) -> dict[str, Any]:
        responses: dict[str, Any] = {}
        output_ref = model_op.get("output")
        ok: dict[str, Any] = {"description": "Success."}
        if output_ref:
            ok["content"] = {self.media_type: {"schema": _ref(str(output_ref["shape"]))}}
        responses["200"] = ok

        by_status: dict[int, list[str]] = {400: [], 500: []}
        for error in errors:
            by_status.setdefault(_error_status(self._shape(error)), []).append(error)
        for status in sorted(by_status):
            names = by_status[status]
            schema: dict[str, Any]
            if not names:
                schema = _generic_error_schema()
                text = "No error is modelled with this status; the body names the error."
            else:
                schema = _ref(names[0]) if len(names) == 1 else {"oneOf": [_ref(n) for n in names]}
                text = f"The body's `__type` names the error: {', '.join(names)}."
            kind = "Server error" if status >= 500 else "Client error"
            responses[str(status)] = {
                "description": f"{kind}. {text}",
                "content": {self.media_type: {"schema": schema}},
            }
        return responses

    # ------------------------------------------------------------------ schemas

    def schema(self, name: str) -> dict[str, Any]:
        """The JSON Schema (OpenAPI 3.1 dialect) for one model shape."""
        shape = self._shape(name)
        kind = shape.get("type")
        schema: dict[str, Any]
        if kind == "structure":
            schema = self._structure(name, shape)
        elif kind == "list":
            schema = {"type": "array", "items": _ref(str(shape["member"]["shape"]))}
            self._bounds(schema, shape, "minItems", "maxItems")
        elif kind == "map":
            schema = {
                "type": "object",
                "propertyNames": _ref(str(shape["key"]["shape"])),
                "additionalProperties": _ref(str(shape["value"]["shape"])),
            }
            self._bounds(schema, shape, "minProperties", "maxProperties")
        elif kind == "string":
            schema = self._string(shape)
        elif kind in ("integer", "long"):
            schema = {"type": "integer", "format": "int32" if kind == "integer" else "int64"}
            self._bounds(schema, shape, "minimum", "maximum")
        elif kind in ("float", "double"):
            schema = {"type": "number", "format": kind}
            self._bounds(schema, shape, "minimum", "maximum")
        elif kind == "boolean":
            schema = {"type": "boolean"}
        elif kind == "blob":
            schema = {"type": "string", "contentEncoding": "base64"}
        elif kind == "timestamp":
            schema = self._timestamp(shape)
        elif kind == "document":
            schema = {}
        else:
            raise AwsModelError(f"shape {name!r} has unsupported type {kind!r}")
        description = _first_paragraph(shape.get("documentation"))
        if description:
            schema = {"description": description, **schema}
        if shape.get("deprecated"):
            schema["deprecated"] = True
        return schema

    def _structure(self, name: str, shape: Mapping[str, Any]) -> dict[str, Any]:
        if shape.get("document"):
            return {}
        members: Mapping[str, Any] = shape.get("members") or {}
        wire_names: dict[str, str] = {}
        properties: dict[str, Any] = {}
        exception = bool(shape.get("exception"))
        if exception:
            properties["__type"] = {
                "type": "string",
                "description": "The error code, possibly as `<namespace>#<Name>[:<detail>]`.",
                "pattern": f"^(.*#)?{re.escape(name)}(:.*)?$",
            }
        for member_name, member in members.items():
            wire = str(member.get("locationName") or member.get("jsonName") or member_name)
            wire_names[member_name] = wire
            prop = _ref(str(member["shape"]))
            doc = _first_paragraph(member.get("documentation"))
            if doc:
                prop["description"] = doc
            if member.get("deprecated"):
                prop["deprecated"] = True
            properties[wire] = prop
        if exception and "message" not in properties:
            properties["message"] = {"type": "string", "description": "A human-readable message."}
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        required = ["__type"] if exception else []
        required += [wire_names[m] for m in shape.get("required") or [] if m in wire_names]
        if required:
            schema["required"] = _unique(required)
        if shape.get("union"):
            schema["minProperties"] = 1
            schema["x-aws-union"] = True
        return schema

    def _string(self, shape: Mapping[str, Any]) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string"}
        enum = shape.get("enum")
        if isinstance(enum, list):
            schema["enum"] = [str(value) for value in enum]
        pattern = shape.get("pattern")
        if isinstance(pattern, str):
            schema["pattern" if _python_pattern_ok(pattern) else "x-aws-pattern"] = pattern
        self._bounds(schema, shape, "minLength", "maxLength")
        return schema

    def _timestamp(self, shape: Mapping[str, Any]) -> dict[str, Any]:
        fmt = str(shape.get("timestampFormat") or "unixTimestamp")
        if fmt == "iso8601":
            return {"type": "string", "format": "date-time", "x-aws-timestampFormat": fmt}
        if fmt == "rfc822":
            return {"type": "string", "x-aws-timestampFormat": fmt}
        return {"type": "number", "x-aws-timestampFormat": fmt}

    @staticmethod
    def _bounds(schema: dict[str, Any], shape: Mapping[str, Any], low: str, high: str) -> None:
        if "min" in shape:
            schema[low] = _number(shape["min"])
        if "max" in shape:
            schema[high] = _number(shape["max"])

    # ------------------------------------------------------------------ document

    def _server(self, host_prefix: str = "") -> dict[str, Any]:
        endpoint_prefix = str(self.metadata["endpointPrefix"])
        return {
            "url": f"https://{host_prefix}{endpoint_prefix}.{{region}}.amazonaws.com",
            "description": "The regional endpoint (aws partition).",
            "variables": {"region": {"default": DEFAULT_REGION, "description": "The AWS Region."}},
        }

    def document(self, operations: Sequence[str] | None) -> dict[str, Any]:
        """The whole OpenAPI document."""
        names = self.select(operations)
        md = self.metadata
        api_version = str(md.get("apiVersion"))
        info: dict[str, Any] = {
            "title": str(md.get("serviceFullName") or md.get("serviceId") or md["endpointPrefix"]),
            "version": api_version,
        }
        description = _first_paragraph(self.documentation)
        if description:
            info["description"] = description
        protocol = "awsJson" + self.json_version.replace(".", "_")
        info.update(
            {
                "x-aws-serviceId": str(md.get("serviceId", "")),
                "x-aws-endpointPrefix": str(md["endpointPrefix"]),
                "x-aws-signingName": self.signing_name,
                "x-aws-protocol": protocol,
                "x-aws-targetPrefix": self.target_prefix,
                "x-aws-uid": str(md.get("uid", "")),
                "x-generator": GENERATOR,
                "x-botocore-version": botocore.__version__,
            }
        )
        paths = {
            f"/#X-Amz-Target={self.target_prefix}.{name}": {"post": self.operation(name)}
            for name in names
        }
        schemas = {name: self.schema(name) for name in self.closure(names)}
        return {
            "openapi": OPENAPI_VERSION,
            "info": info,
            "servers": [self._server()],
            "security": [{SECURITY_SCHEME_NAME: []}],
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {
                    SECURITY_SCHEME_NAME: {
                        "type": "apiKey",
                        "in": "header",
                        "name": "Authorization",
                        "description": (
                            "AWS Signature Version 4. OpenAPI has no native SigV4 scheme: sign "
                            f"with signing name '{self.signing_name}' and the server's region."
                        ),
                        "x-amazon-apigateway-authtype": "awsSigv4",
                        "x-aws-signingName": self.signing_name,
                    }
                },
            },
        }


def _generic_error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["__type"],
        "properties": {"__type": {"type": "string"}, "message": {"type": "string"}},
    }


# --------------------------------------------------------------------------- public API


def openapi_from_model(
    model: Mapping[str, Any],
    operations: Sequence[str] | None = None,
    *,
    service: str | None = None,
) -> dict[str, Any]:
    """Build an OpenAPI 3.1 document from an already loaded botocore ``service-2`` model.

    ``operations`` restricts the document to those operations (model names such as
    ``PutImage`` or operationIds such as ``putImage``); ``components.schemas`` then holds only
    the shapes they reach. ``service`` only names the service in error messages. Raises
    `AwsModelError` for a non-JSON protocol or an unknown operation.
    """
    return _Generator(model, service).document(operations)


def generate_openapi(
    service: str,
    api_version: str | None = None,
    operations: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Build an OpenAPI 3.1 document for an AWS JSON-protocol service from botocore's model.

    ``service`` is botocore's service name (``ecr``, ``dynamodb``); ``api_version`` defaults to
    the newest model botocore ships. Raises `AwsModelError` when the service or version
    is unknown, the service is not awsJson, or an operation is unknown.
    """
    try:
        model = Loader().load_service_model(service, "service-2", api_version)
    except DataNotFoundError as exc:
        wanted = f"{service!r}" + (f" (API version {api_version!r})" if api_version else "")
        raise AwsModelError(f"botocore has no service model for {wanted}") from exc
    return openapi_from_model(model, operations, service=service)


class _NoAliasDumper(yaml.SafeDumper):
    """A safe dumper that never writes YAML anchors or aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_yaml(doc: Mapping[str, Any]) -> str:
    """Serialize an OpenAPI document to YAML deterministically (key order kept, no aliases)."""
    body = yaml.dump(
        doc,
        Dumper=_NoAliasDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
    header = (
        "# Generated by `python -m arazzo_engine.aws` from botocore's service model. "
        "Do not edit by hand.\n"
    )
    return header + body


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m arazzo_engine.aws",
        description=(
            "Generate an OpenAPI 3.1 description of an AWS JSON-protocol service "
            "from botocore's service model."
        ),
    )
    parser.add_argument("service", metavar="SERVICE", help="botocore service name, e.g. ecr")
    parser.add_argument("--api-version", help="model API version (default: newest)")
    parser.add_argument(
        "--operations",
        metavar="A,B",
        help="comma-separated operation names or operationIds (default: all)",
    )
    parser.add_argument(
        "-o", "--output", metavar="FILE", default="-", help="output file (default: stdout)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 on any usage or model error)."""
    parser = _parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    operations: list[str] | None = None
    if args.operations is not None:
        operations = [op.strip() for op in args.operations.split(",") if op.strip()]
        if not operations:
            print("error: --operations names no operation", file=sys.stderr)
            return 2
    try:
        doc = generate_openapi(args.service, args.api_version, operations)
    except AwsModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    text = dump_yaml(doc)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        try:
            with open(args.output, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        except OSError as exc:
            print(f"error: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
            return 2
        print(
            f"wrote {args.output}: {len(doc['paths'])} operations, "
            f"{len(doc['components']['schemas'])} schemas",
            file=sys.stderr,
        )
    return 0
