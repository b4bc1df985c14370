"""Authentication for outgoing requests: AWS Signature Version 4 (see :mod:`.sigv4`)."""

from __future__ import annotations

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
    "AwsBinding",
    "AwsSettings",
    "SigV4Auth",
    "SigV4Scheme",
    "SigV4Signature",
    "resolve_aws",
    "sign_request",
    "sigv4_scheme",
]
