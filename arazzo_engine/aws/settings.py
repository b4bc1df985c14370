"""`AwsSettings`: explicit AWS configuration, a plain dataclass (importing it loads no botocore)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AwsSettings"]

_MASK = "****"


def _mask_key_id(value: str | None) -> str | None:
    if value is None:
        return None
    return _MASK + value[-4:] if len(value) > 8 else _MASK


@dataclass(frozen=True, repr=False)
class AwsSettings:
    """Explicit AWS configuration; every field left ``None`` falls back to the standard chain.

    ``region`` and ``endpoint_url`` override ``AWS_REGION`` / ``AWS_ENDPOINT_URL*``;
    ``profile`` selects a named profile of the shared config files; ``access_key_id`` and
    ``secret_access_key`` (with an optional ``session_token``) bypass the credential chain.
    The repr masks the secret key and the session token.
    """

    region: str | None = None
    profile: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    endpoint_url: str | None = None

    def __repr__(self) -> str:
        secret = _MASK if self.secret_access_key is not None else None
        token = _MASK if self.session_token is not None else None
        return (
            f"AwsSettings(region={self.region!r}, profile={self.profile!r}, "
            f"access_key_id={_mask_key_id(self.access_key_id)!r}, "
            f"secret_access_key={secret!r}, session_token={token!r}, "
            f"endpoint_url={self.endpoint_url!r})"
        )
