"""Binding a run before it starts: check the options, resolve every operation's base URL and
auth, and hand the core a plain [`RunBinding`][arazzo_engine.run.binding.RunBinding] and the
drivers a table of auth flows (auth key -> ``httpx.Auth``).

This is where the errors a run raises before any request come from (a ``servers`` entry for a
source the workflow does not use, a credential name that matches nothing, a missing credential,
a bad server variable). The dry run and ``resolve_urls`` use `bind_for_dry_run`, which never
raises and never needs a secret.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from ..auth.credentials import CredentialStore
from ..auth.sources import AuthResolver, SourceAuth
from ..document.plan import StepPlan, WorkflowPlan
from ..errors import ArazzoError, ConfigurationError
from ..openapi.servers import server_url
from ..redact import Redactor
from .binding import RunBinding, StepBinding, reachable

if TYPE_CHECKING:
    import httpx

    from .core import RunOptions

__all__ = ["AuthTable", "Prepared", "bind", "bind_for_dry_run"]

AuthTable = Mapping[str, "httpx.Auth"]
"""What the drivers apply per `HttpExchange.auth` key."""


@dataclass(frozen=True)
class Prepared:
    """A bound run: the plain ``binding`` the core reads and the ``auth`` table the drivers
    apply (keys are `StepBinding.auth`)."""

    binding: RunBinding
    auth: Mapping[str, httpx.Auth] = field(default_factory=dict)

    def merged(self, other: Prepared) -> Prepared:
        """Both bindings and auth tables together (several workflows of one run)."""
        return Prepared(self.binding.merged(other.binding), {**self.auth, **other.auth})


class _Binder:
    def __init__(self, options: RunOptions, redactor: Redactor | None) -> None:
        self.options = options
        self.resolver = AuthResolver(
            options.auth,
            options.aws,
            store=options.credential_store or CredentialStore(options.auth),
            redactor=redactor or options.redactor or Redactor(options.redact),
            client_cert=options.client_cert,
        )
        self.entry_sources: dict[str, str] = {}
        self.keys: dict[int, str] = {}
        self.table: dict[str, httpx.Auth] = {}

    def set_entry(self, plan: WorkflowPlan) -> None:
        """A source name in the options (servers, server variables, credentials) means a
        source of the document the run starts from."""
        self.entry_sources = {
            name: source.openapi.uri
            for name, source in plan.document.sources.items()
            if source.openapi is not None
        }
        self.resolver.entry_sources = self.entry_sources

    def operation_auth(self, plan: WorkflowPlan, step: StepPlan) -> SourceAuth:
        operation = step.operation
        assert operation is not None
        description = plan.document.sources[operation.source_name].openapi
        assert description is not None
        sent = {p.key for p in step.parameters if p.location is not None}
        if self.resolver.supplied_by_step(description, operation, sent):
            # The step sends the credential itself (a token a login step returned, say): it
            # satisfies the scheme, and no configured credential replaces it.
            return SourceAuth()
        return self.resolver.for_operation(description, operation, sent)

    def base_url(self, plan: WorkflowPlan, step: StepPlan, auth: SourceAuth) -> str:
        operation = step.operation
        assert operation is not None
        description = plan.document.sources[operation.source_name].openapi
        assert description is not None
        # A source name in `servers` / `server_variables` means the entry document's source
        # (or one reading the same description file), never a namesake in another document.
        named = self.entry_sources.get(operation.source_name) == description.uri
        override = (named and self.options.servers.get(operation.source_name)) or auth.base_url
        if override:
            return override
        variables = dict(auth.server_variables)
        if named:
            variables.update(self.options.server_variables.get(operation.source_name, {}))
        return server_url(operation.servers, description.uri, variables, step.location)

    def key(self, plan: WorkflowPlan, step: StepPlan, auth: SourceAuth) -> str | None:
        """The table key of an auth flow: its source and scheme, numbered when two flows
        share them. Deterministic for a given plan and options."""
        if auth.auth is None:
            return None
        found = self.keys.get(id(auth.auth))
        if found is None:
            assert step.operation is not None
            scheme = (auth.scheme or "auth").split(" (", 1)[0].replace(" ", "")
            base = f"{step.operation.source_name}:{scheme}"
            found, n = base, 1
            while found in self.table:
                n += 1
                found = f"{base}#{n}"
            self.keys[id(auth.auth)] = found
            self.table[found] = auth.auth
        return found


def _check_options(options: RunOptions, plan: WorkflowPlan, found: list[WorkflowPlan]) -> None:
    known = set(plan.document.sources)
    for option, given in (
        ("servers", options.servers),
        ("server_variables", options.server_variables),
    ):
        unknown = sorted(set(given) - known)
        if unknown:
            raise ConfigurationError(
                f"{option} names source(s) {', '.join(map(repr, unknown))}, which this "
                f"workflow does not use (sources: {', '.join(sorted(known)) or 'none'})"
            )
    for source, url in options.servers.items():
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ConfigurationError(
                f"servers[{source!r}] = {url!r}: a base URL must be http(s)://host[...]"
            )
    for name, value, zero_ok in (
        ("timeout", options.timeout, False),
        ("max_wait", options.max_wait, True),
        ("max_steps", options.max_steps, False),
        ("max_body", options.max_body, False),
    ):
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not (value >= 0 if zero_ok else value > 0):
            floor = "0 or more" if zero_ok else "above 0"
            raise ConfigurationError(f"{name} must be a number {floor}, not {value!r}")
    if isinstance(options.auth, Mapping):
        _check_credential_names(options.auth, found)


def _check_credential_names(auth: Mapping[str, Any], found: list[WorkflowPlan]) -> None:
    """Every key of an ``auth`` mapping names a source, a security scheme, or
    ``SOURCE:SCHEME`` of the documents this run uses: a typo would otherwise send nothing, or
    the wrong credential, without a word."""
    sources: set[str] = set()
    schemes: set[str] = set()
    for workflow in found:
        for name, source in workflow.document.sources.items():
            sources.add(name)
            data = source.openapi.data if source.openapi is not None else {}
            components = data.get("components") or {}
            for scheme in components.get("securitySchemes") or {}:
                schemes.add(str(scheme))
                schemes.add(f"{name}:{scheme}")
    unknown = sorted(k for k in auth if k not in sources and k not in schemes)
    if unknown:
        names = ", ".join(sorted(n for n in schemes if ":" in n)) or "none"
        raise ConfigurationError(
            f"credentials given for {', '.join(map(repr, unknown))}, which names no source or "
            f"security scheme of this workflow (SOURCE:SCHEME: {names})"
        )


def bind(plan: WorkflowPlan, options: RunOptions, redactor: Redactor | None = None) -> Prepared:
    """Bind every operation step ``plan`` can reach (its own, those of the workflows it can
    start), before any request: the options are checked, and the auth and base URL of every
    operation resolved, so that missing credentials or a bad server variable stop the run
    before it sends anything. Secrets met go to ``redactor`` (default: the options')."""
    found = reachable(plan)
    binder = _Binder(options, redactor)
    binder.set_entry(plan)
    _check_options(options, plan, found)
    steps: dict[tuple[str, str, str], StepBinding] = {}
    for workflow in found:
        for step in workflow.steps:
            operation = step.operation
            if operation is None:
                continue
            auth = binder.operation_auth(workflow, step)
            base = binder.base_url(workflow, step, auth)
            steps[(workflow.document.uri, workflow.workflow_id, step.step_id)] = StepBinding(
                step.step_id,
                workflow.workflow_id,
                operation.method.upper(),
                operation.request_path,
                base,
                binder.key(workflow, step, auth),
                auth.scheme,
            )
    return Prepared(RunBinding(steps), dict(binder.table))


def bind_for_dry_run(plan: WorkflowPlan, options: RunOptions) -> RunBinding:
    """The binding a run would use, for dry runs, ``resolve_urls`` and ``describe``: never
    raises, never signs. ``security`` is the scheme label (``... (no credentials)`` when
    credentials are missing); a base URL that cannot be resolved is ``<reason>`` with the
    reason in ``problem``. No auth keys (there is no driver)."""
    binder = _Binder(options, None)
    binder.set_entry(plan)
    steps: dict[tuple[str, str, str], StepBinding] = {}
    for workflow in reachable(plan):
        for step in workflow.steps:
            operation = step.operation
            if operation is None:
                continue
            description = workflow.document.sources[operation.source_name].openapi
            assert description is not None
            sent = {p.key for p in step.parameters if p.location is not None}
            auth, label = binder.resolver.for_dry_run(description, operation, sent)
            problem = None
            try:
                base = binder.base_url(workflow, step, auth)
            except ArazzoError as exc:
                base, problem = f"<{exc.message}>", exc.message
            steps[(workflow.document.uri, workflow.workflow_id, step.step_id)] = StepBinding(
                step.step_id,
                workflow.workflow_id,
                operation.method.upper(),
                operation.request_path,
                base,
                None,
                label,
                problem,
            )
    return RunBinding(steps)


def with_redactor(options: RunOptions) -> RunOptions:
    """``options`` with a redactor of its own (so the binding and the core share it)."""
    if options.redactor is not None:
        return options
    return dataclasses.replace(options, redactor=Redactor(options.redact))
