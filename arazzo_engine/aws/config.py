"""The AWS configuration chain: region, credentials and endpoint for a SigV4 source, resolved once.

`resolve_aws` follows the standard AWS rules (see its docstring) with botocore. What it finds
is kept and reused by later runs, keyed by the explicit `AwsSettings` (profile, keys, region,
endpoint), every ``AWS_*`` environment variable, and the identity (path, size, modification
time) of the shared config and credentials files. A run with a different ``aws=``, a changed
environment variable or an edited config file therefore resolves again; a run with the same
ones reuses the same botocore session and the same credentials object. Those are botocore's
own credential objects, refreshable where the source expires (assume-role, SSO, container and
instance metadata, ``credential_process``): each request takes a fresh frozen copy, so they
renew as they would in boto3. No botocore session is built per run. `clear_aws_cache()`
forgets everything.

Cold start. Keys in ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` without
``AWS_CREDENTIAL_EXPIRATION`` (and no profile named) are what botocore's chain returns first, as
static keys: they are read without importing ``botocore.credentials`` or ``botocore.session``
(`EnvironmentCredentials`, the same values botocore's ``EnvProvider`` gives; the tests compare
them with botocore's full chain). Everything else goes through botocore, imported then.

Set-up errors (no region, no credentials, a broken profile) are short and lead with the fix.
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from arazzo_engine.auth.sigv4 import CredentialSource, SigV4Auth, SigV4Scheme
from arazzo_engine.aws.settings import AwsSettings
from arazzo_engine.errors import AuthError

__all__ = ["AwsBinding", "clear_aws_cache", "resolve_aws"]

_REGION_RE = re.compile(r"^[A-Za-z0-9-]{1,64}$")
#: Resolved configurations kept (least recently used first out).
MAX_CONFIGS = 16


@dataclass(frozen=True)
class AwsBinding:
    """What a SigV4 source description needs at run time.

    ``auth`` signs requests; ``region`` is the signing region; ``endpoint_url`` replaces the
    description's server URL when set (``None`` means use the description's server);
    ``server_variables`` fills server URL templates such as
    ``https://api.ecr.{region}.amazonaws.com``.
    """

    auth: SigV4Auth
    region: str
    endpoint_url: str | None
    server_variables: dict[str, str]
    signing_name: str


#: The variables botocore's ``EnvProvider`` reads (a test checks them against botocore's own).
ENV_ACCESS_KEY = "AWS_ACCESS_KEY_ID"
ENV_SECRET_KEY = "AWS_SECRET_ACCESS_KEY"
ENV_TOKENS = ("AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN")
ENV_EXPIRY_TIME = "AWS_CREDENTIAL_EXPIRATION"
ENV_ACCOUNT_ID = "AWS_ACCOUNT_ID"


class FrozenEnvironmentCredentials(NamedTuple):
    """The fields of botocore's ``ReadOnlyCredentials``."""

    access_key: str
    secret_key: str
    token: str | None
    account_id: str | None = None


class EnvironmentCredentials:
    """Static keys from the environment: what botocore's ``EnvProvider().load()`` returns when
    ``AWS_CREDENTIAL_EXPIRATION`` is not set (a plain ``Credentials`` with the same access key,
    secret key, first non-empty token of ``AWS_SECURITY_TOKEN`` / ``AWS_SESSION_TOKEN`` and
    ``AWS_ACCOUNT_ID``), without importing ``botocore.credentials``, which also imports
    botocore's config, endpoint and model modules (about 9 ms of a fresh process)."""

    method = "env"

    def __init__(self, environ: Mapping[str, str]) -> None:
        token = next((environ[name] for name in ENV_TOKENS if environ.get(name)), None)
        self._frozen = FrozenEnvironmentCredentials(
            environ[ENV_ACCESS_KEY],
            environ[ENV_SECRET_KEY],
            token,
            environ.get(ENV_ACCOUNT_ID) or None,
        )

    def get_frozen_credentials(self) -> FrozenEnvironmentCredentials:
        """The keys, as botocore's ``Credentials.get_frozen_credentials()``."""
        return self._frozen

    def __repr__(self) -> str:
        return "<EnvironmentCredentials (from AWS_ACCESS_KEY_ID)>"


def _env_true(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() == "true"


class _LazySession:
    """Create the botocore session only if some setting has to come from it."""

    def __init__(self, profile: str | None) -> None:
        self._profile = profile
        self._session: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        with self._lock:
            if self._session is None:
                # here: a run whose credentials and region come from the environment needs no
                # session, nor the client, waiter, docs and region modules it imports (~17 ms)
                import botocore.session

                self._session = botocore.session.Session(profile=self._profile)
            return self._session

    def config(self, name: str) -> Any:
        import botocore.exceptions

        try:
            return self.get().get_config_variable(name)
        except botocore.exceptions.BotoCoreError as exc:
            raise AuthError(f"AWS configuration error: {exc}") from None


def _resolve_region(settings: AwsSettings, session: _LazySession) -> str:
    region: Any = (
        settings.region
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or session.config("region")
    )
    if not region:
        raise AuthError(
            "no AWS region configured: set AWS_REGION or pass --aws-region "
            "(Python: AwsSettings(region=...); or 'region' in the AWS profile)"
        )
    text = str(region).strip()
    if not _REGION_RE.match(text):
        raise AuthError(f"invalid AWS region {text!r}: set AWS_REGION or pass --aws-region")
    return text


def _service_key(service_id: str) -> str:
    return re.sub(r"[\s-]+", "_", service_id.strip())


def _resolve_endpoint(
    scheme: SigV4Scheme, settings: AwsSettings, session: _LazySession
) -> str | None:
    if settings.endpoint_url:
        return settings.endpoint_url
    if _env_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"):
        return None
    if scheme.service_id:
        value = os.environ.get(f"AWS_ENDPOINT_URL_{_service_key(scheme.service_id).upper()}")
        if value:
            return value
    value = os.environ.get("AWS_ENDPOINT_URL")
    if value:
        return value
    # The shared config file: a `services` section entry, then the profile's endpoint_url.
    config_file = os.environ.get("AWS_CONFIG_FILE") or os.path.expanduser("~/.aws/config")
    if not os.path.exists(config_file):
        return None
    import botocore.exceptions

    try:
        ignore = session.get().get_config_variable("ignore_configured_endpoint_urls")
        if ignore is True or str(ignore).strip().lower() == "true":
            return None
        scoped = session.get().get_scoped_config()
        full = session.get().full_config
    except botocore.exceptions.BotoCoreError:
        # A broken or missing profile is reported by region/credential resolution.
        return None
    section_name = scoped.get("services")
    if section_name and scheme.service_id:
        section = full.get("services", {}).get(section_name, {})
        entry = section.get(_service_key(scheme.service_id).lower(), {})
        if isinstance(entry, Mapping) and entry.get("endpoint_url"):
            return str(entry["endpoint_url"])
    global_url = scoped.get("endpoint_url")
    return str(global_url) if global_url else None


def _resolve_credentials(settings: AwsSettings, session: _LazySession) -> CredentialSource:
    if settings.access_key_id or settings.secret_access_key:
        if not (settings.access_key_id and settings.secret_access_key):
            raise AuthError(
                "incomplete AWS credentials: AwsSettings needs both "
                "access_key_id and secret_access_key"
            )
        import botocore.credentials

        explicit: CredentialSource = botocore.credentials.Credentials(
            settings.access_key_id, settings.secret_access_key, settings.session_token
        )
        return explicit
    if settings.session_token:
        raise AuthError(
            "incomplete AWS credentials: a session token was given "
            "without access_key_id and secret_access_key"
        )
    if (
        not settings.profile
        and not os.environ.get("AWS_PROFILE")
        and os.environ.get(ENV_ACCESS_KEY)
        and os.environ.get(ENV_SECRET_KEY)
    ):
        # botocore's chain would take these first: its own environment provider, without the
        # cost of a session. Without an expiration (the usual case) that provider returns
        # plain static keys, read here without importing botocore.credentials; with one, its
        # refreshable credentials.
        if ENV_EXPIRY_TIME not in os.environ:
            return EnvironmentCredentials(os.environ)
        import botocore.credentials

        from_env = botocore.credentials.EnvProvider().load()
        if from_env is not None:
            env_credentials: CredentialSource = from_env
            return env_credentials
    import botocore.exceptions

    try:
        credentials = session.get().get_credentials()
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        raise AuthError(f"cannot load AWS credentials: {exc}") from None
    if credentials is None:
        raise AuthError(
            "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a "
            "profile (AWS_PROFILE / --aws-profile / AwsSettings(profile=...))"
        )
    found: CredentialSource = credentials
    return found


@dataclass
class _Chain:
    """What one configuration key resolved to: kept and shared by every later run."""

    session: _LazySession
    region: str
    credentials: CredentialSource
    bindings: dict[SigV4Scheme, AwsBinding]


_chains: OrderedDict[tuple[Any, ...], _Chain] = OrderedDict()
_lock = threading.Lock()


def _file_identity(path: str) -> tuple[str, int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return path, found.st_size, found.st_mtime_ns


def _aws_environment() -> tuple[tuple[Any, Any], ...]:
    """Every ``AWS_*`` variable and its value, without decoding the whole environment."""
    raw = getattr(os.environ, "_data", None)  # the undecoded mapping behind os.environ
    if isinstance(raw, dict):
        prefix: Any = b"AWS_" if os.name != "nt" else "AWS_"
        return tuple(sorted((k, v) for k, v in raw.items() if k.startswith(prefix)))
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_")))


def _config_key(settings: AwsSettings) -> tuple[Any, ...]:
    """Everything the chain's answer depends on, cheaply (a few microseconds)."""
    environ = _aws_environment()
    config = os.environ.get("AWS_CONFIG_FILE") or os.path.expanduser("~/.aws/config")
    shared = os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or os.path.expanduser(
        "~/.aws/credentials"
    )
    return settings, environ, _file_identity(config), _file_identity(shared)


def _chain(settings: AwsSettings) -> _Chain:
    key = _config_key(settings)
    with _lock:
        found = _chains.get(key)
        if found is not None:
            _chains.move_to_end(key)
            return found
    session = _LazySession(settings.profile)
    chain = _Chain(
        session, _resolve_region(settings, session), _resolve_credentials(settings, session), {}
    )
    with _lock:
        chain = _chains.setdefault(key, chain)
        _chains.move_to_end(key)
        while len(_chains) > MAX_CONFIGS:
            _chains.popitem(last=False)
    return chain


def clear_aws_cache() -> None:
    """Forget every resolved AWS configuration (the next run resolves again)."""
    with _lock:
        _chains.clear()


def resolve_aws(scheme: SigV4Scheme, settings: AwsSettings | None = None) -> AwsBinding:
    """Resolve region, credentials and endpoint for a SigV4 scheme; return an `AwsBinding`.

    * Region: ``settings.region``, ``AWS_REGION``, ``AWS_DEFAULT_REGION``, the profile's
      ``region`` (botocore session), else [`AuthError`][arazzo_engine.errors.AuthError].
    * Credentials: ``settings`` keys if given, else botocore's standard chain for
      ``settings.profile`` (environment, shared credentials/config files, profiles,
      ``credential_process``, SSO, assume-role, container and instance metadata). Each request
      takes a fresh frozen copy, so refreshable credentials rotate. Missing credentials raise
      ``AuthError`` now, before any request.
    * Endpoint: ``settings.endpoint_url``, else ``AWS_ENDPOINT_URL_<SERVICE_ID>``, else
      ``AWS_ENDPOINT_URL``, else the shared config file (``services`` section, then the
      profile's ``endpoint_url``); all but the explicit setting are skipped when
      ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`` (or ``ignore_configured_endpoint_urls``) is true.

    The answer is kept and reused (the same binding, session and credentials object) while the
    settings, the ``AWS_*`` environment variables and the shared config files are unchanged;
    see the module docstring.
    """
    settings = settings or AwsSettings()
    chain = _chain(settings)
    binding = chain.bindings.get(scheme)
    if binding is not None:
        return binding
    endpoint_url = _resolve_endpoint(scheme, settings, chain.session)
    auth = SigV4Auth(
        chain.credentials,
        scheme.signing_name,
        chain.region,
        label=f"security scheme {scheme.scheme_name!r}",
    )
    binding = AwsBinding(
        auth=auth,
        region=chain.region,
        endpoint_url=endpoint_url,
        server_variables={"region": chain.region},
        signing_name=scheme.signing_name,
    )
    return chain.bindings.setdefault(scheme, binding)
