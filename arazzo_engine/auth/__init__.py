"""Authentication for outgoing requests, from the OpenAPI security schemes.

`.sources` picks the scheme(s) of each operation, `.credentials` finds what the caller
supplied (``auth=``, ``--auth``, a credentials file, ``ARAZZO_AUTH_*`` variables),
`.schemes` and `.oauth2` are the httpx auth flows, `.sigv4` signs for AWS.
"""

from __future__ import annotations

from arazzo_engine.auth.credentials import Credentials, CredentialStore, env_name
from arazzo_engine.auth.oauth2 import OAuth2Auth, OAuth2Settings
from arazzo_engine.auth.schemes import ApiKeyAuth, BearerAuth, MultiAuth
from arazzo_engine.auth.sigv4 import (
    AwsBinding,
    AwsSettings,
    SigV4Auth,
    SigV4Scheme,
    SigV4Signature,
    resolve_aws,
    sign_request,
    sigv4_scheme,
)

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
