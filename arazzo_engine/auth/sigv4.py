"""AWS Signature Version 4 for httpx, built on botocore's signer.

Three layers, from the bottom up:

* `sign_request` runs the SigV4 algorithm over one request (method, URL, headers, body)
  at a given time, with botocore's `botocore.auth.SigV4Auth` computing the canonical
  request, the string to sign and the signature. It signs every header it is given except
  those botocore never signs. The official test-suite vectors are run through this function.
* `SigV4Auth` is an `httpx.Auth` that signs each outgoing request with
  `sign_request`, covering ``host``, ``content-type``, every ``x-amz-*`` header and any
  other header the caller set, but not the transport headers httpx adds on its own
  (``accept``, ``accept-encoding``, ``connection``, ``content-length``, ``user-agent``).
* `sigv4_scheme` recognises an OpenAPI description that uses SigV4.

The AWS configuration chain (region, credentials, endpoint), `resolve_aws`, lives in
[`arazzo_engine.aws.config`][arazzo_engine.aws.config]; `AwsSettings` in
`arazzo_engine.aws.settings`. Importing this module does not import botocore.

Signing time. botocore's ``SigV4Auth.add_auth`` stamps the time itself (through
``botocore.auth.get_current_datetime``) and logs the signature at debug level. This module
does not call ``add_auth``: it stores the timestamp in ``request.context["timestamp"]``, sets
``X-Amz-Date`` (and ``X-Amz-Security-Token``) itself and calls botocore's public
``canonical_request`` / ``string_to_sign`` / ``signature`` methods, the same way moto verifies
signatures. The time therefore comes from an injectable ``clock`` and nothing global is
patched.

Query strings. botocore takes the query of the URL verbatim when building the canonical
query, so this module re-encodes it first: every key and value is percent-decoded (``+``
meaning a space, as httpx encodes ``params``) and encoded again with the SigV4 rules (only
``A-Z a-z 0-9 - _ . ~`` stay literal). The request is then sent with exactly that query, so
the bytes signed are the bytes sent. Paths are signed as they appear on the wire; botocore
normalises and encodes them once more, which is what non-S3 AWS services expect.

Secrets. No repr and no exception message in this module contains a secret access key, a
session token or a signature.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

import httpx

from arazzo_engine.aws.settings import AwsSettings
from arazzo_engine.errors import AuthError, DocumentError, Location

__all__ = [
    "AwsSettings",
    "SigV4Auth",
    "SigV4Scheme",
    "SigV4Signature",
    "sign_request",
    "sigv4_scheme",
]


_SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"
_MASK = "****"

# Headers httpx adds for the transport, or that intermediaries may rewrite: SigV4Auth never
# passes them to the signer (botocore additionally drops its own never-signed list).
_TRANSPORT_HEADERS = frozenset(
    {
        "accept",
        "accept-encoding",
        "connection",
        "content-length",
        "expect",
        "keep-alive",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
    }
)
# Headers the signer itself owns: replaced rather than signed as given.
_SIGNER_HEADERS = frozenset({"authorization", "x-amz-date", "date"})

_REGION_RE = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_AWS_REGION_LABEL_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_AWS_DNS_SUFFIXES = (".amazonaws.com.cn", ".amazonaws.com", ".api.aws")


# ---------------------------------------------------------------------------------------------
# Settings and OpenAPI recognition


@dataclass(frozen=True)
class SigV4Scheme:
    """A SigV4 security scheme found in an OpenAPI description.

    ``signing_name`` is the service name in the credential scope (``ecr``); ``service_id`` is
    botocore's service id (``ECR``), used for the ``AWS_ENDPOINT_URL_<SERVICE_ID>`` variable;
    ``scheme_name`` is the key under ``components.securitySchemes``.
    """

    signing_name: str
    service_id: str | None
    scheme_name: str


def _nonempty_str(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _signing_name_from_servers(openapi: Mapping[str, Any]) -> str | None:
    """Guess the signing name from the first server's AWS host name (a last resort)."""
    servers = openapi.get("servers")
    if not isinstance(servers, list) or not servers or not isinstance(servers[0], Mapping):
        return None
    url = servers[0].get("url")
    if not isinstance(url, str):
        return None
    # Template variables become a marker label so that they can be dropped below.
    host = urlsplit(re.sub(r"\{[^}]*\}", "0var0", url)).hostname or ""
    suffix = next((s for s in _AWS_DNS_SUFFIXES if host.endswith(s)), None)
    if suffix is None:
        return None
    labels = [
        label
        for label in host[: -len(suffix)].split(".")
        if label and "0var0" not in label and not _AWS_REGION_LABEL_RE.match(label)
    ]
    if len(labels) > 1 and labels[0] == "api":
        labels = labels[1:]
    if not labels:
        return None
    name = labels[-1]
    return name.removesuffix("-fips") or None


def sigv4_scheme(openapi: Mapping[str, Any]) -> SigV4Scheme | None:
    """Return the SigV4 security scheme of an OpenAPI description, or ``None`` if it has none.

    A scheme is SigV4 when it carries ``x-amazon-apigateway-authtype: awsSigv4`` (compared
    case-insensitively). The signing name comes from the scheme's ``x-aws-signingName``, else
    ``info.x-aws-signingName``, else (a heuristic) the first server's ``*.amazonaws.com`` host
    name. The service id comes from ``x-aws-serviceId`` (scheme, then ``info``), else from
    APIs-guru's ``info.x-serviceName``.

    Raises [`DocumentError`][arazzo_engine.errors.DocumentError] if a SigV4 scheme is present but no
    signing name can be determined.
    """
    components = openapi.get("components")
    schemes = components.get("securitySchemes") if isinstance(components, Mapping) else None
    if not isinstance(schemes, Mapping):
        return None
    info = openapi.get("info")
    info = info if isinstance(info, Mapping) else {}
    for name, scheme in schemes.items():
        if not isinstance(scheme, Mapping):
            continue
        authtype = scheme.get("x-amazon-apigateway-authtype")
        if not (isinstance(authtype, str) and authtype.strip().lower() == "awssigv4"):
            continue
        signing_name = (
            _nonempty_str(scheme.get("x-aws-signingName"))
            or _nonempty_str(info.get("x-aws-signingName"))
            or _signing_name_from_servers(openapi)
        )
        if signing_name is None:
            raise DocumentError(
                f"security scheme {name!r} uses AWS SigV4 but no signing name is known: "
                "add x-aws-signingName to the scheme or to info",
                Location(pointer=f"/components/securitySchemes/{name}"),
            )
        service_id = (
            _nonempty_str(scheme.get("x-aws-serviceId"))
            or _nonempty_str(info.get("x-aws-serviceId"))
            or _nonempty_str(info.get("x-serviceName"))
        )
        return SigV4Scheme(
            signing_name=signing_name.strip(),
            service_id=service_id.strip() if service_id else None,
            scheme_name=str(name),
        )
    return None


# ---------------------------------------------------------------------------------------------
# The signing algorithm


class FrozenCredentials(Protocol):
    """A fixed set of credentials, as botocore's ``ReadOnlyCredentials``."""

    @property
    def access_key(self) -> str: ...

    @property
    def secret_key(self) -> str: ...

    @property
    def token(self) -> str | None: ...


class CredentialSource(Protocol):
    """Anything with botocore's ``get_frozen_credentials()`` (``Credentials`` and subclasses)."""

    def get_frozen_credentials(self) -> Any: ...


@dataclass(frozen=True)
class SigV4Signature:
    """The result of `sign_request`.

    ``url`` is the URL that was signed (its query re-encoded): send exactly this URL.
    ``headers`` are the headers to set on the request (``X-Amz-Date``, ``Authorization`` and,
    with temporary credentials, ``X-Amz-Security-Token``). ``canonical_request`` and
    ``string_to_sign`` are the intermediate SigV4 strings, for tests and debugging; they are
    kept out of the repr because the canonical request may contain a session token.
    """

    url: str
    signed_headers: str
    headers: tuple[tuple[str, str], ...] = field(repr=False)
    canonical_request: str = field(repr=False)
    string_to_sign: str = field(repr=False)

    @property
    def authorization(self) -> str:
        """The ``Authorization`` header value."""
        return dict(self.headers)["Authorization"]


def _canonical_query(query: str) -> str:
    """Re-encode a raw query string with the SigV4 URI-encoding rules, keeping its order."""
    pairs = []
    for part in query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        pairs.append(
            quote(unquote_plus(key), safe="-_.~") + "=" + quote(unquote_plus(value), safe="-_.~")
        )
    return "&".join(pairs)


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime(_SIGV4_TIMESTAMP)


def sign_request(
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    *,
    credentials: FrozenCredentials,
    signing_name: str,
    region: str,
    timestamp: datetime,
) -> SigV4Signature:
    """Sign one request with AWS Signature Version 4 (header-based, non-S3 rules).

    ``url`` carries the path exactly as it goes on the wire; its query is re-encoded (see the
    module docstring) and returned in `SigV4Signature.url`; a fragment is dropped.
    ``headers`` may repeat a name (values are joined with commas) and every one is signed
    except those botocore never signs (``user-agent``, ``expect``, ``connection``...).
    ``Authorization``, ``Date`` and ``X-Amz-Date`` given in ``headers`` are ignored, and so is
    ``X-Amz-Security-Token`` when the credentials carry a token (the token is signed instead).
    ``timestamp`` is the signing time (a naive datetime is taken as UTC).
    """
    parts = urlsplit(url)
    return _sign(
        method,
        (parts.scheme, parts.netloc, parts.path, parts.query),
        headers,
        body,
        credentials,
        signing_name,
        region,
        timestamp,
    )


def _sign(
    method: str,
    parts: tuple[str, str, str, str],
    headers: Iterable[tuple[str, str]],
    body: bytes,
    credentials: FrozenCredentials,
    signing_name: str,
    region: str,
    timestamp: datetime,
) -> SigV4Signature:
    """`sign_request` of a URL given as (scheme, netloc, path, query)."""
    scheme, netloc, path, query = parts
    signed_url = urlunsplit((scheme, netloc, path or "/", _canonical_query(query), ""))
    import botocore.auth  # here: importing this module must not load botocore
    import botocore.awsrequest

    aws_request = botocore.awsrequest.AWSRequest(method=method.upper(), url=signed_url, data=body)
    token = credentials.token or None
    for name, value in headers:
        lname = name.lower()
        if lname in _SIGNER_HEADERS or (token and lname == "x-amz-security-token"):
            continue
        # HTTPHeaders appends on assignment, so repeated names keep every value.
        aws_request.headers[name] = value
    stamp = _timestamp(timestamp)
    aws_request.context["timestamp"] = stamp
    added = [("X-Amz-Date", stamp)]
    if token:
        added.append(("X-Amz-Security-Token", token))
    for name, value in added:
        aws_request.headers[name] = value

    signer = botocore.auth.SigV4Auth(credentials, signing_name, region)
    canonical_request: str = signer.canonical_request(aws_request)
    string_to_sign: str = signer.string_to_sign(aws_request, canonical_request)
    signature: str = signer.signature(string_to_sign, aws_request)
    # the canonical request's second-to-last line lists the signed headers (SigV4's layout)
    signed_headers = canonical_request.rsplit("\n", 2)[1]
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={signer.scope(aws_request)}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    added.append(("Authorization", authorization))
    return SigV4Signature(
        url=signed_url,
        signed_headers=signed_headers,
        headers=tuple(added),
        canonical_request=canonical_request,
        string_to_sign=string_to_sign,
    )


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class SigV4Auth(httpx.Auth):
    """An `httpx.Auth` that signs every request with AWS Signature Version 4.

    ``credentials`` is a botocore credentials object (``Credentials``, or a refreshable one
    from the standard chain); ``get_frozen_credentials()`` is called for each request so that
    rotating credentials stay valid. ``clock`` returns the signing time (defaults to now, UTC;
    tests pin it). ``label`` names the credentials' origin in error messages, for example
    ``"security scheme 'awsSigV4'"``.

    The request body is read before signing (``requires_request_body``) and its exact bytes
    are signed. The signed headers are ``host``, ``x-amz-date``, ``x-amz-security-token``
    (temporary credentials) and every header the request carries except the transport ones
    (``accept``, ``accept-encoding``, ``connection``, ``content-length``, ``user-agent``, ...),
    so an awsJson call signs ``content-type;host;x-amz-date;x-amz-target``. The query string is
    re-encoded with the SigV4 rules before it is signed and sent.
    """

    requires_request_body = True

    def __init__(
        self,
        credentials: CredentialSource,
        signing_name: str,
        region: str,
        *,
        clock: Callable[[], datetime] | None = None,
        label: str | None = None,
    ) -> None:
        self._credentials = credentials
        self.signing_name = signing_name
        self.region = region
        self._clock = clock
        self._label = label or "AWS SigV4"

    def __repr__(self) -> str:
        return f"SigV4Auth(signing_name={self.signing_name!r}, region={self.region!r})"

    def _frozen_credentials(self) -> FrozenCredentials:
        where = f"{self._label} (signing name {self.signing_name!r})"
        import botocore.exceptions

        try:
            frozen = self._credentials.get_frozen_credentials()
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            raise AuthError(f"cannot obtain AWS credentials for {where}: {exc}") from None
        if not getattr(frozen, "access_key", None) or not getattr(frozen, "secret_key", None):
            raise AuthError(f"the AWS credentials for {where} are incomplete")
        result: FrozenCredentials = frozen
        return result

    def sign(self, request: httpx.Request) -> SigV4Signature:
        """Sign ``request`` in place (URL query and headers) and return the signature details.

        The request body must already be read (``request.content``).
        """
        headers: list[tuple[str, str]] = []
        for raw_name, raw_value in request.headers.raw:
            name = raw_name.decode("ascii", "replace")
            try:
                value = raw_value.decode("utf-8")
            except UnicodeDecodeError:
                if name.lower() in _TRANSPORT_HEADERS:
                    continue
                raise AuthError(
                    f"header {name!r} is not UTF-8 text and cannot be signed with SigV4"
                ) from None
            headers.append((name, value))
        signature = self.signature(request.method, request.url, headers, request.content)
        new_query = signature.url.partition("?")[2]
        if new_query != request.url.query.decode("ascii"):
            request.url = request.url.copy_with(query=new_query.encode("ascii") or None)
        # Replace (never duplicate) the headers the signature provides.
        for name, value in signature.headers:
            if name in request.headers:
                del request.headers[name]
            request.headers[name] = value
        return signature

    def signature(
        self, method: str, url: httpx.URL, headers: Iterable[tuple[str, str]], body: bytes
    ) -> SigV4Signature:
        """The signature of a request given as plain data (``headers`` as sent, transport
        headers included: they are left out of the signature). `sign` applies it to an
        httpx request; the drivers apply it to a request they build themselves."""
        credentials = self._frozen_credentials()
        query = url.query.decode("ascii")
        return _sign(
            method,
            (
                url.scheme,
                url.netloc.decode("ascii"),
                url.raw_path.partition(b"?")[0].decode("ascii"),
                query,
            ),
            [(n, v) for n, v in headers if n.lower() not in _TRANSPORT_HEADERS],
            body,
            credentials,
            self.signing_name,
            self.region,
            (self._clock or _utc_now)(),
        )

    def apply(
        self, method: str, url: httpx.URL, headers: list[tuple[str, str]], body: bytes
    ) -> httpx.URL:
        """Sign a request given as plain data: the headers the signature provides replace
        those of the same name in ``headers`` (in place); returns the URL to send (its query
        re-encoded with the SigV4 rules)."""
        signature = self.signature(method, url, headers, body)
        names = {name.lower() for name, _ in signature.headers}
        headers[:] = [(n, v) for n, v in headers if n.lower() not in names]
        headers.extend(signature.headers)
        new_query = signature.url.partition("?")[2]
        if new_query != url.query.decode("ascii"):
            url = url.copy_with(query=new_query.encode("ascii") or None)
        return url

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Sign the request (see `sign`) and send it."""
        self.sign(request)
        yield request
