"""The adapter's error tree. Every error a caller can see is one of these.

    AdapterError                 base of everything the adapter raises on purpose
    ├── ConfigError              a setting is missing or wrong (names the setting),
    │                            or a URL/proxy httpx cannot send to (not retried)
    ├── StoreError               the cache database failed or has a newer schema
    ├── CapabilityError          the provider cannot do this (e.g. Mango has no
    │                            call list; a provider without callback)
    └── ProviderError            the provider did not give us what we asked for
        ├── AuthError            credentials refused (bad key, sign, login, blocked token)
        ├── RateLimitedError     the provider says "too many requests"; `retry_after`
        │                        seconds, when it said how long to wait
        ├── UnavailableError     transient: network error, timeout, reset, 5xx,
        │                        truncated body, provider-side internal error
        └── ProtocolError        the answer is not what the provider's API promises
                                 (unknown error code, bad shape, invalid params,
                                 an undecodable body, a redirect loop)

Clients retry `UnavailableError` and `RateLimitedError` with backoff before
letting them out; `AuthError` is retried once after a session renewal where
the provider has sessions (UIS `login.user`). Third-party exceptions are
translated at the boundary with `raise ... from exc`; for httpx, one table
in `adapter.providers._http` says which error each of its exceptions becomes
(its stream and cookie errors are our misuse of httpx, a bug, and stay as is).
"""

from __future__ import annotations

__all__ = [
    "AdapterError",
    "AuthError",
    "CapabilityError",
    "ConfigError",
    "ProtocolError",
    "ProviderError",
    "RateLimitedError",
    "StoreError",
    "UnavailableError",
]


class AdapterError(Exception):
    """Base of every error the adapter raises on purpose."""


class ConfigError(AdapterError):
    """A setting is missing or has a wrong value; the message names the setting."""

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting


class StoreError(AdapterError):
    """The cache database failed, or its schema is newer than this adapter."""


class CapabilityError(AdapterError):
    """The provider (or this configuration of it) cannot do what was asked."""


class ProviderError(AdapterError):
    """The provider did not answer as asked; `provider` names it."""

    def __init__(self, message: str, *, provider: str = "", code: str | int | None = None) -> None:
        super().__init__(message)
        self.provider = provider
        self.code = code


class AuthError(ProviderError):
    """The provider refused the credentials (key, sign, login or token)."""


class RateLimitedError(ProviderError):
    """The provider asked us to slow down; wait `retry_after` seconds if known."""

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        code: str | int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, provider=provider, code=code)
        self.retry_after = retry_after


class UnavailableError(ProviderError):
    """A transient failure: network, timeout, reset, 5xx, truncated body, internal error."""


class ProtocolError(ProviderError):
    """The provider answered something its API does not promise (or refused our params)."""
