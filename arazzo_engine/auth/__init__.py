"""Authentication for outgoing requests, from the OpenAPI security schemes.

`.sources` picks the scheme(s) of each operation, `.credentials` finds what the caller
supplied (``auth=``, ``--auth``, a credentials file, ``ARAZZO_AUTH_*`` variables),
`.schemes` and `.oauth2` are the httpx auth flows, `.sigv4` signs for AWS. `resolve_aws` and
`AwsBinding` come from `arazzo_engine.aws.config`, imported (with botocore) on first use.
"""

from __future__ import annotations

from arazzo_engine.auth.credentials import Credentials, CredentialStore, env_name
from arazzo_engine.auth.oauth2 import OAuth2Auth, OAuth2Settings
from arazzo_engine.auth.schemes import ApiKeyAuth, BearerAuth, MultiAuth
from arazzo_engine.auth.sigv4 import (
    SigV4Auth,
    SigV4Scheme,
    SigV4Signature,
    sign_request,
    sigv4_scheme,
)
from arazzo_engine.aws.settings import AwsSettings

__all__ = [
    "ApiKeyAuth",
    "AwsBinding",
    "AwsSettings",
    "BearerAuth",
    "CredentialStore",
    "Credentials",
    "MultiAuth",
    "OAuth2Auth",
    "OAuth2Settings",
    "SigV4Auth",
    "SigV4Scheme",
    "SigV4Signature",
    "env_name",
    "resolve_aws",
    "sign_request",
    "sigv4_scheme",
]


def __getattr__(name: str) -> object:
    if name in ("AwsBinding", "resolve_aws"):
        from arazzo_engine.aws import config

        return getattr(config, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
