"""Which authentication applies to the request of an operation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..openapi.description import OpenAPIDescription, Operation
from .sigv4 import AwsSettings, resolve_aws, sigv4_scheme

__all__ = ["AuthResolver", "SourceAuth"]


@dataclass(frozen=True)
class SourceAuth:
    """How to reach and authenticate one operation: an httpx auth flow, a base URL override
    (for example ``AWS_ENDPOINT_URL_ECR``), and server variables (for example the AWS region)."""

    auth: httpx.Auth | None = None
    base_url: str | None = None
    server_variables: dict[str, str] = field(default_factory=dict)
    scheme: str | None = None


class AuthResolver:
    """Resolves, once per run, the auth of each operation a run calls.

    ``credentials`` is what the caller supplied (see :func:`arazzo_engine.run_workflow`'s
    ``auth=``); ``aws`` the AWS settings for SigV4 sources.
    """

    def __init__(self, credentials: Mapping[str, Any] | None, aws: AwsSettings | None) -> None:
        self.credentials = credentials or {}
        self.aws = aws
        self._cache: dict[tuple[str, str], SourceAuth] = {}

    def for_operation(self, description: OpenAPIDescription, operation: Operation) -> SourceAuth:
        """The auth of ``operation``. Raises AuthError when a required credential is missing."""
        key = (description.uri, description.name)
        found = self._cache.get(key)
        if found is None:
            found = self._resolve(description)
            self._cache[key] = found
        return found

    def _resolve(self, description: OpenAPIDescription) -> SourceAuth:
        scheme = sigv4_scheme(description.data)
        if scheme is None:
            return SourceAuth()
        binding = resolve_aws(scheme, self.aws)
        return SourceAuth(
            auth=binding.auth,
            base_url=binding.endpoint_url,
            server_variables=dict(binding.server_variables),
            scheme=f"{scheme.scheme_name} (AWS SigV4, signing name {scheme.signing_name})",
        )
