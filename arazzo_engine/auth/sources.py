"""Which authentication applies to the request of an operation.

The OpenAPI ``security`` of the operation (else the description's global one) lists
alternatives; each alternative names one or more schemes that must all be applied. The first
alternative whose every scheme has credentials is used; an empty alternative (``{}``) means no
authentication is needed. A description that declares no ``security`` at all but has an AWS
SigV4 scheme (``x-amazon-apigateway-authtype: awsSigv4``) is signed with it.

When no alternative can be satisfied, [`AuthError`][arazzo_engine.errors.AuthError] names the
schemes, the source and the operation, and says how to supply the credentials. The run core
resolves every operation it may call before the first request, so this happens up front.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..aws.settings import AwsSettings
from ..errors import ArazzoError, AuthError, DocumentError
from ..openapi.description import OpenAPIDescription, Operation
from ..redact import Redactor
from .credentials import Credentials, CredentialStore, env_name
from .oauth2 import OAuth2Auth, OAuth2Settings
from .schemes import ApiKeyAuth, BearerAuth, MultiAuth
from .sigv4 import sigv4_scheme

__all__ = ["AuthResolver", "SourceAuth"]


@dataclass(frozen=True)
class SourceAuth:
    """How to reach and authenticate one operation: an httpx auth flow, a base URL override
    (for example ``AWS_ENDPOINT_URL_ECR``), server variables (for example the AWS region), and
    the name of the scheme(s) used (no secrets)."""

    auth: httpx.Auth | None = None
    base_url: str | None = None
    server_variables: dict[str, str] = field(default_factory=dict)
    scheme: str | None = None


class _Unsatisfied(Exception):
    """A scheme of an alternative has no usable credentials."""


class _AwsSetup(_Unsatisfied):
    """The AWS configuration (region, credentials, profile) is missing or broken."""


def _is_sigv4(definition: Mapping[str, Any]) -> bool:
    authtype = definition.get("x-amazon-apigateway-authtype")
    return isinstance(authtype, str) and authtype.strip().lower() == "awssigv4"


class AuthResolver:
    """Resolves, once per run, the auth of each operation a run calls.

    ``credentials`` is what the caller supplied (``auth=`` of
    [`arazzo_engine.run_workflow`][arazzo_engine.run_workflow]: a mapping or a provider
    callable); ``aws`` the AWS settings for SigV4 sources; ``store`` overrides where credentials
    are looked up (a
    credentials file, the environment); every secret value met is given to ``redactor``.
    ``client_cert`` says whether the run's client presents a TLS client certificate, which is
    what satisfies a ``mutualTLS`` scheme.
    """

    def __init__(
        self,
        credentials: Mapping[str, Any] | Callable[..., Any] | None,
        aws: AwsSettings | None,
        *,
        store: CredentialStore | None = None,
        redactor: Redactor | None = None,
        client_cert: bool = False,
    ) -> None:
        self.credentials = credentials or {}
        self.aws = aws
        self.store = store or CredentialStore(credentials)
        self.redactor = redactor or Redactor()
        self.client_cert = client_cert
        self._cache: dict[tuple[str, str, str, frozenset[tuple[str, str | None]]], SourceAuth] = {}
        self._flows: dict[tuple[str, str, str], tuple[httpx.Auth | None, SourceAuth | None]] = {}
        #: The sources of the document the run started from: name -> description URI. A
        #: source name in credentials means one of these; an Arazzo document it calls may
        #: have a source of the same name for another API, which must not get its secrets.
        self.entry_sources: dict[str, str] | None = None

    def source_key(self, description: OpenAPIDescription) -> str:
        """The name credentials address ``description`` by: its source name when it is the
        entry document's source of that name (or the same description file), else a name no
        caller's ``SOURCE`` key matches (only scheme-name keys then apply)."""
        if (
            self.entry_sources is None
            or self.entry_sources.get(description.name) == description.uri
        ):
            return description.name
        return f"{description.name}@{description.uri}"

    # -- public ---------------------------------------------------------------------------

    def for_operation(
        self,
        description: OpenAPIDescription,
        operation: Operation,
        sent: Collection[tuple[str, str | None]] = (),
    ) -> SourceAuth:
        """The auth of ``operation``. Raises AuthError when a required credential is missing.

        ``sent`` are the step's own parameters (``(name, location)``, header names lower-case,
        as for `supplied_by_step`): a scheme of a requirement whose credential the step sends
        itself is satisfied by it, and configured credentials fill the rest of the requirement
        (an API key configured, a bearer token the step sends).
        """
        key = (description.uri, description.name, repr(operation.security), frozenset(sent))
        found = self._cache.get(key)
        if found is None:
            found = self._resolve(description, operation, sent)
            self._cache[key] = found
        return found

    def for_dry_run(
        self,
        description: OpenAPIDescription,
        operation: Operation | None,
        sent: Collection[tuple[str, str | None]] = (),
    ) -> tuple[SourceAuth, str | None]:
        """The auth an operation would use and its label, for a dry run: never raises. Without
        credentials, AWS sources are resolved again with placeholder keys so the region and
        endpoint (``AWS_ENDPOINT_URL_*``) still show. ``sent``: the step's own parameters, as
        for `for_operation` (a credential the step sends satisfies its scheme)."""
        assert operation is not None
        if sent and self.supplied_by_step(description, operation, sent):
            return SourceAuth(), "sent by the step"
        try:
            found = self.for_operation(description, operation, sent)
            return found, found.scheme
        except ArazzoError:
            pass
        label = self.scheme_label(description, operation)
        placeholder = dataclasses.replace(
            self.aws or AwsSettings(), access_key_id="DRYRUN", secret_access_key="DRYRUN"
        )
        try:
            found = AuthResolver(None, placeholder).for_operation(description, operation)
            return found, label or f"{found.scheme} (credentials not resolved)"
        except ArazzoError as exc:
            return SourceAuth(), label or f"unresolved: {exc}"

    def supplied_by_step(
        self,
        description: OpenAPIDescription,
        operation: Operation,
        sent: Collection[tuple[str, str | None]],
    ) -> bool:
        """Whether a step's own parameters (``(name, location)``, header names lower-case)
        carry every credential of one of the operation's security alternatives: an
        ``Authorization`` header for http, OAuth2 and OpenID Connect schemes, the named header,
        query parameter or cookie for an apiKey scheme. SigV4 and mutual TLS never are."""
        requirements = operation.security
        if requirements is None:
            found = description.data.get("security")
            requirements = tuple(found) if isinstance(found, list) else ()
        for requirement in requirements:
            if not isinstance(requirement, Mapping) or not requirement:
                continue
            if all(self._sent_by_step(description, name, sent) for name in requirement):
                return True
        return False

    def _sent_by_step(
        self, description: OpenAPIDescription, name: str, sent: Collection[tuple[str, str | None]]
    ) -> bool:
        schemes = (description.data.get("components") or {}).get("securitySchemes") or {}
        definition = description.resolve_ref(schemes.get(name))
        if not isinstance(definition, Mapping) or _is_sigv4(definition):
            return False
        kind = definition.get("type")
        if kind in ("http", "oauth2", "openIdConnect"):
            return ("authorization", "header") in sent
        if kind == "apiKey":
            where, param = str(definition.get("in", "")), str(definition.get("name", ""))
            return (param.lower() if where == "header" else param, where) in sent
        return False

    def scheme_label(self, description: OpenAPIDescription, operation: Operation) -> str | None:
        """The scheme(s) ``operation`` would use, or the alternatives it needs; never raises
        for missing credentials (for dry runs)."""
        try:
            return self.for_operation(description, operation).scheme
        except AuthError:
            requirements = operation.security or ()
            names = [" + ".join(r) for r in requirements if r]
            return " | ".join(names) + " (no credentials)" if names else None

    # -- resolution -----------------------------------------------------------------------

    def _resolve(
        self,
        description: OpenAPIDescription,
        operation: Operation,
        sent: Collection[tuple[str, str | None]] = (),
    ) -> SourceAuth:
        requirements = operation.security
        if requirements is None:
            scheme = sigv4_scheme(description.data)
            if scheme is None:
                return SourceAuth()
            requirements = ({scheme.scheme_name: []},)
        if not requirements:
            return SourceAuth()
        problems: list[str] = []
        setup: _Unsatisfied | None = None
        for requirement in requirements:
            if not isinstance(requirement, Mapping) or not requirement:
                return SourceAuth()
            try:
                return self._combine(description, operation, requirement, sent)
            except _Unsatisfied as exc:
                problems.append(str(exc))
                setup = exc
        if len(problems) == 1 and isinstance(setup, _AwsSetup):
            # An AWS set-up problem: lead with its fix, in a short message.
            what = operation.operation_id or operation.describe()
            raise AuthError(f"{setup} (source {description.name!r}, operation {what})")
        names = " or ".join(" + ".join(repr(n) for n in r) for r in requirements)
        where = description.loaded.location(operation.pointer)
        raise AuthError(
            f"operation {operation.describe()} of source {description.name!r} needs security "
            f"scheme {names} and no credentials were given: " + "; ".join(problems),
            where,
        )

    def _combine(
        self,
        description: OpenAPIDescription,
        operation: Operation,
        requirement: Mapping[str, Any],
        sent: Collection[tuple[str, str | None]] = (),
    ) -> SourceAuth:
        flows: list[httpx.Auth] = []
        base_url: str | None = None
        variables: dict[str, str] = {}
        labels: list[str] = []
        for name, scopes in requirement.items():
            if sent and self._sent_by_step(description, str(name), sent):
                labels.append(f"{name} (sent by the step)")
                continue
            flow, extra = self._scheme(description, str(name), scopes)
            if flow is not None:
                flows.append(flow)
            if extra is not None:
                base_url = base_url or extra.base_url
                variables.update(extra.server_variables)
                labels.append(extra.scheme or str(name))
            else:
                labels.append(str(name))
        auth: httpx.Auth | None
        if not flows:
            auth = None
        elif len(flows) == 1:
            auth = flows[0]
        else:
            auth = MultiAuth(flows)
        return SourceAuth(auth, base_url, variables, " + ".join(labels))

    def _scheme(
        self, description: OpenAPIDescription, name: str, scopes: Any
    ) -> tuple[httpx.Auth | None, SourceAuth | None]:
        key = (description.uri, description.name, name)
        if key in self._flows:
            return self._flows[key]
        built = self._build(description, name, scopes)
        self._flows[key] = built
        return built

    def _definition(self, description: OpenAPIDescription, name: str) -> Mapping[str, Any]:
        components = description.data.get("components")
        schemes = components.get("securitySchemes") if isinstance(components, Mapping) else None
        raw = schemes.get(name) if isinstance(schemes, Mapping) else None
        pointer = f"/components/securitySchemes/{name}"
        if raw is None:
            raise DocumentError(
                f"a security requirement names scheme {name!r}, which is not defined under "
                "components.securitySchemes",
                description.loaded.location("/components"),
            )
        definition = description.resolve_ref(raw, pointer)
        if not isinstance(definition, Mapping):
            raise DocumentError(
                f"security scheme {name!r} is not an object", description.loaded.location(pointer)
            )
        return definition

    def _hint(self, source: str, name: str, fields: str) -> str:
        example = env_name(source, name, fields.split("/")[0])
        return (
            f"scheme {name!r} needs {fields} (auth={{{name!r}: ...}}, --auth "
            f"{source}:{name}.{fields.split('/')[0]}=..., a credentials file, or {example})"
        )

    def _build(
        self, description: OpenAPIDescription, name: str, scopes: Any
    ) -> tuple[httpx.Auth | None, SourceAuth | None]:
        source = self.source_key(description)
        definition = self._definition(description, name)
        kind = str(definition.get("type", "")).strip()
        if _is_sigv4(definition):
            return self._sigv4(description, name, definition)
        if kind == "mutualTLS":
            if not self.client_cert:
                raise _Unsatisfied(
                    f"scheme {name!r} (mutualTLS) needs a client certificate "
                    "(cert= / --cert and --key, or a 'cert' credential field)"
                )
            return None, SourceAuth(scheme=f"{name} (mutualTLS)")
        creds = self.store.lookup(source, name, definition)
        if creds is None:
            raise _Unsatisfied(self._hint(source, name, _needed(definition)))
        for secret in creds.secrets():
            self.redactor.add_value(secret)
        if creds.auth is not None:
            return creds.auth, SourceAuth(scheme=f"{name} (caller's auth)")
        label = f"{name} ({kind}"
        if kind == "apiKey":
            value = creds.value or creds.shorthand or creds.token
            location = str(definition.get("in", ""))
            param = str(definition.get("name", ""))
            if not value:
                raise _Unsatisfied(self._hint(source, name, "value"))
            if location not in ("header", "query", "cookie") or not param:
                raise DocumentError(
                    f"apiKey scheme {name!r} needs 'name' and 'in' (header, query or cookie)",
                    description.loaded.location(f"/components/securitySchemes/{name}"),
                )
            if location == "header":
                self.redactor.add_header(param)
            else:
                self.redactor.add_param(param)
            return ApiKeyAuth(param, location, value), SourceAuth(
                scheme=f"{label} in {location} {param!r})"
            )
        if kind == "http":
            http_scheme = str(definition.get("scheme", "")).strip().lower()
            label = f"{name} (http {http_scheme})"
            if http_scheme in ("basic", "digest"):
                username, password = creds.username, creds.password
                if username is None and creds.shorthand is not None:
                    username, _, password = creds.shorthand.partition(":")
                if username is None or password is None:
                    raise _Unsatisfied(self._hint(source, name, "username/password"))
                self.redactor.add_basic(username, password)  # as the header carries it
                flow: httpx.Auth = (
                    httpx.BasicAuth(username, password)
                    if http_scheme == "basic"
                    else httpx.DigestAuth(username, password)
                )
                return flow, SourceAuth(scheme=label)
            token = creds.token or creds.shorthand or creds.access_token or creds.value
            if not token:
                raise _Unsatisfied(self._hint(source, name, "token"))
            if http_scheme != "bearer":
                raise _Unsatisfied(
                    f"scheme {name!r}: http scheme {http_scheme!r} is not supported; pass an "
                    "httpx.Auth as its credentials"
                )
            return BearerAuth(token), SourceAuth(scheme=label)
        if kind in ("oauth2", "openIdConnect"):
            return self._oauth2(description, name, definition, creds, scopes), SourceAuth(
                scheme=f"{label})"
            )
        raise _Unsatisfied(f"scheme {name!r} has unsupported type {kind!r}")

    def _oauth2(
        self,
        description: OpenAPIDescription,
        name: str,
        definition: Mapping[str, Any],
        creds: Credentials,
        scopes: Any,
    ) -> OAuth2Auth:
        flows = definition.get("flows") if definition.get("type") == "oauth2" else None
        flows = flows if isinstance(flows, Mapping) else {}
        discovery = definition.get("openIdConnectUrl")

        def url_of(flow_name: str) -> str | None:
            flow = flows.get(flow_name)
            if isinstance(flow, Mapping):
                value = flow.get("refreshUrl") if flow_name == "_refresh" else flow.get("tokenUrl")
                return str(value) if value else None
            return None

        any_url = next(
            (
                url_of(n)
                for n in ("clientCredentials", "password", "authorizationCode")
                if url_of(n)
            ),
            None,
        )
        access_token = creds.access_token or creds.shorthand or creds.token
        if creds.username and creds.password is not None:
            grant, token_url = "password", url_of("password") or any_url
        elif creds.client_id and not creds.refresh_token:
            grant, token_url = "client_credentials", url_of("clientCredentials") or any_url
        elif creds.refresh_token:
            grant, token_url = "refresh_token", any_url
        elif access_token:
            grant, token_url = "access_token", any_url
        else:
            raise _Unsatisfied(
                self._hint(
                    description.name,
                    name,
                    "client_id/client_secret, username/password, refresh_token or access_token",
                )
            )
        token_url = creds.token_url or token_url
        if token_url is None and not isinstance(discovery, str) and grant != "access_token":
            raise _Unsatisfied(f"scheme {name!r}: no tokenUrl for the {grant} grant")
        scope = creds.scope
        if scope is None and isinstance(scopes, list) and scopes:
            scope = " ".join(str(s) for s in scopes)
        settings = OAuth2Settings(
            grant=grant,
            token_url=token_url,
            discovery_url=discovery if isinstance(discovery, str) and not token_url else None,
            client_id=creds.client_id,
            client_secret=creds.client_secret,
            username=creds.username,
            password=creds.password,
            refresh_token=creds.refresh_token,
            access_token=access_token if grant == "access_token" else None,
            scope=scope,
            label=f"security scheme {name!r} of source {description.name!r}",
        )
        return OAuth2Auth(settings, on_secret=self.redactor.add_value)

    def _sigv4(
        self, description: OpenAPIDescription, name: str, definition: Mapping[str, Any]
    ) -> tuple[httpx.Auth | None, SourceAuth | None]:
        only = {**description.data, "components": {"securitySchemes": {name: definition}}}
        scheme = sigv4_scheme(only)
        assert scheme is not None
        from ..aws.config import resolve_aws  # botocore, only when a source signs with SigV4

        try:
            binding = resolve_aws(scheme, self.aws)
        except AuthError as exc:
            raise _AwsSetup(exc.message) from None
        for secret in (
            self.aws.secret_access_key if self.aws else None,
            self.aws.session_token if self.aws else None,
        ):
            self.redactor.add_value(secret)
        return binding.auth, SourceAuth(
            auth=binding.auth,
            base_url=binding.endpoint_url,
            server_variables=dict(binding.server_variables),
            scheme=f"{scheme.scheme_name} (AWS SigV4, signing name {scheme.signing_name})",
        )


def _needed(definition: Mapping[str, Any]) -> str:
    kind = definition.get("type")
    if kind == "apiKey":
        return "value"
    if kind == "http":
        scheme = str(definition.get("scheme", "")).lower()
        return "username/password" if scheme in ("basic", "digest") else "token"
    if kind in ("oauth2", "openIdConnect"):
        return "client_id/client_secret, username/password, refresh_token or access_token"
    return "credentials"
