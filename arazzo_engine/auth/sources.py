"""Which authentication applies to the requests of a source description."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from ..openapi.description import OpenAPIDescription
from .sigv4 import AwsSettings, resolve_aws, sigv4_scheme

__all__ = ["SourceAuth", "source_auth"]


@dataclass(frozen=True)
class SourceAuth:
    """How to reach and authenticate to one source: an httpx auth flow, a base URL override
    (for example ``AWS_ENDPOINT_URL_ECR``), and server variables (for example the AWS region)."""

    auth: httpx.Auth | None = None
    base_url: str | None = None
    server_variables: dict[str, str] = field(default_factory=dict)
    scheme: str | None = None


def source_auth(description: OpenAPIDescription, aws: AwsSettings | None) -> SourceAuth:
    """Resolve the auth of a source. Raises AuthError when a required credential is missing."""
    scheme = sigv4_scheme(description.data)
    if scheme is None:
        return SourceAuth()
    binding = resolve_aws(scheme, aws)
    return SourceAuth(
        auth=binding.auth,
        base_url=binding.endpoint_url,
        server_variables=dict(binding.server_variables),
        scheme=f"{scheme.scheme_name} (AWS SigV4, signing name {scheme.signing_name})",
    )
