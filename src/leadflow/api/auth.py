"""Who is calling and what they may do: the API key decides the workspace, its role the routes.

Every request names its key with ``Authorization: Bearer lf_<key_id>_<secret>``. The key's
workspace is the request's: an ``X-Workspace`` header may repeat it, never name another
(403). Each route states the one permission it needs with ``Allow(...)`` (see
``leadflow.auth.keys.PERMISSIONS``); ``create_app`` refuses to build an app with a route
that has none, except the public ones in ``PUBLIC``.

::

    no key, malformed, unknown, wrong or revoked key   -> 401 (WWW-Authenticate: Bearer)
    X-Workspace naming another workspace               -> 403
    a role without the route's permission              -> 403

``InsecureNoAuth`` (``leadflow serve --insecure-no-auth``, loopback only, and tests that say
so) skips keys: every request is the admin of one workspace.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

import fastapi.routing
from fastapi import Depends, FastAPI, Header, Request, params
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from leadflow.auth import KeyRing, Principal, Role
from leadflow.exceptions import AuthFailed, ConfigError, Refused

PUBLIC = frozenset({"/healthz"})
"""Paths served without a key: they say nothing but that the service is up."""


@dataclass(frozen=True)
class InsecureNoAuth:
    """No API keys: every request acts as the admin of ``workspace``. Never on a shared network.

    ``hosts``: the ``Host`` names answered besides the loopback ones (``leadflow serve`` passes
    its bind address), or ``None`` for any (tests). A request naming another host is refused: a
    web page that rebinds its own name to 127.0.0.1 would otherwise be same-origin and admin.
    """

    workspace: str
    hosts: tuple[str, ...] | None = None

    def serves(self, host_header: str, origin: str | None = None, cors_origins: tuple[str, ...] = ()) -> bool:
        """Whether a request with this ``Host`` header (and ``Origin``, which a browser sends on
        every cross-origin POST, preflighted or not) may be answered."""
        if self.hosts is None:
            return True
        allowed = {"localhost", "127.0.0.1", "::1", *(h.strip().strip("[]").lower() for h in self.hosts)}
        host = host_header.strip().lower()
        if host.startswith("["):  # [::1]:8000
            host = host[1:].partition("]")[0]
        elif host.count(":") == 1:  # 127.0.0.1:8000, localhost:8000
            host = host.partition(":")[0]
        if host not in allowed:
            return False
        if origin is None or origin in cors_origins:
            return True
        try:
            return (urlsplit(origin.strip()).hostname or "") in allowed  # "null" and other sites: no
        except ValueError:
            return False


AuthMode = KeyRing | InsecureNoAuth

_bearer = HTTPBearer(auto_error=False, description="an API key: `leadflow keys create --workspace W --role R`")


def _note(request: Request, **values: object) -> None:
    """Leave what the audit middleware needs on the request (``leadflow.api.audit``)."""
    for name, value in values.items():
        setattr(request.state, f"audit_{name}", value)


def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    x_workspace: Annotated[str | None, Header(alias="X-Workspace")] = None,
) -> Principal:
    """The caller, from its key; refused (401/403) unless the key is live and the workspace its own."""
    mode: AuthMode = request.app.state.auth
    if isinstance(mode, InsecureNoAuth):
        cors: tuple[str, ...] = tuple(request.app.state.runtime.settings.cors_origins)
        if not mode.serves(request.headers.get("host", ""), request.headers.get("origin"), cors):
            raise Refused("this server answers only requests addressed to a loopback name from a loopback "
                          "page or a configured origin (--insecure-no-auth)")
        principal = Principal(workspace=mode.workspace, role=Role.ADMIN)
    else:
        if credentials is None:
            raise AuthFailed("an API key is required: send Authorization: Bearer <key>")
        verdict = mode.check(credentials.credentials)
        if verdict.key is None:
            if verdict.claimed is not None:  # a real key id: its workspace learns of the attempt
                claimed = verdict.claimed
                _note(request, principal=Principal(workspace=claimed.workspace_id, role=claimed.role,
                                                   key_id=claimed.key_id), detail=verdict.reason)
            raise AuthFailed("missing, wrong or revoked API key")
        principal = Principal(workspace=verdict.key.workspace_id, role=verdict.key.role, key_id=verdict.key.key_id)
    _note(request, principal=principal)
    if x_workspace not in (None, "", principal.workspace):
        _note(request, detail=f"X-Workspace names another workspace ({x_workspace[:64]!r})")
        raise Refused("this key is for another workspace; X-Workspace cannot change it")
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (``127.0.0.0/8``, ``::1``, ``localhost``)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


class Allow:
    """A route's permission check: ``dependencies=[allow(LEADS_WRITE, "lead.create")]``.

    ``action`` names the route in the audit log; requests that change state are logged always,
    reads only when refused.
    """

    def __init__(self, permission: str, action: str) -> None:
        self.permission = permission
        self.action = action

    def __call__(self, request: Request, principal: PrincipalDep) -> Principal:
        _note(request, action=self.action)
        if not principal.can(self.permission):
            _note(request, detail=f"role {principal.role.value} lacks {self.permission}")
            raise Refused(f"a {principal.role.value} key may not do this (needs {self.permission})")
        return principal


def allow(permission: str, action: str) -> params.Depends:
    """``Depends(Allow(permission, action))``, for a route's ``dependencies`` list."""
    dep: params.Depends = Depends(Allow(permission, action))
    return dep


def check_guarded(app: FastAPI) -> dict[Callable[..., Any], str]:
    """Refuse an app with a route that checks no permission (outside ``PUBLIC``).

    Returns each guarded endpoint's audit action, for the audit middleware to name a request
    refused before its ``Allow`` ran (a wrong key, another workspace).
    """
    actions: dict[Callable[..., Any], str] = {}
    for route in _routes(app):
        path = getattr(route, "path", None)
        if path in PUBLIC:
            continue
        dependant = getattr(route, "dependant", None)
        pending, guard = list(dependant.dependencies) if dependant is not None else [], None
        while pending and guard is None:
            dep = pending.pop()
            guard = dep.call if isinstance(dep.call, Allow) else None
            pending.extend(dep.dependencies)
        if guard is None:
            methods = sorted(getattr(route, "methods", None) or ())
            raise ConfigError(f"route {methods} {path} checks no permission: add Allow(...) (or list it in PUBLIC)")
        actions[route.endpoint] = guard.action
    return actions


def _routes(app: FastAPI) -> list[Any]:
    """Every route of the app, through included routers (FastAPI keeps those nested since 0.1xx)."""
    iter_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if iter_contexts is None:
        return list(app.routes)
    return list(iter_contexts(app.routes))
