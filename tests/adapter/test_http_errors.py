"""Every httpx exception, sent through each real provider client, lands in the adapter's
error tree with the right retry decision; provider URL settings are checked up front."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from click.testing import CliRunner

from adapter.accounts import parse_account
from adapter.config import URL_SETTINGS, load_settings
from adapter.errors import AdapterError, ConfigError, ProtocolError, UnavailableError
from adapter.providers._http import retrying, send
from adapter.providers.base import RetryPolicy
from adapter.providers.clinic import ClinicClient
from adapter.providers.mango import MangoClient, MangoSettings
from adapter.providers.uis import UisClient, UisSettings

FAST = RetryPolicy(attempts=3, initial=0.0, maximum=0.0, timeout=5)
URL = "https://pbx.example.com/api"
ESCAPES = None  # not translated: only misuse of httpx raises it, a bug to see as is

# What each httpx exception becomes, and whether the client retried it. A class a
# future httpx adds is missing here, and `test_every_httpx_exception_is_listed` fails.
EXPECTED: dict[str, tuple[type[Exception] | None, bool]] = {
    "HTTPError": (ESCAPES, False),
    "RequestError": (ProtocolError, False),
    "TransportError": (UnavailableError, True),
    "TimeoutException": (UnavailableError, True),
    "ConnectTimeout": (UnavailableError, True),
    "ReadTimeout": (UnavailableError, True),
    "WriteTimeout": (UnavailableError, True),
    "PoolTimeout": (UnavailableError, True),
    "NetworkError": (UnavailableError, True),
    "ConnectError": (UnavailableError, True),
    "ReadError": (UnavailableError, True),
    "WriteError": (UnavailableError, True),
    "CloseError": (UnavailableError, True),
    "ProtocolError": (UnavailableError, True),
    "RemoteProtocolError": (UnavailableError, True),
    "LocalProtocolError": (ConfigError, False),
    "UnsupportedProtocol": (ConfigError, False),
    "ProxyError": (ConfigError, False),
    "InvalidURL": (ConfigError, False),
    "DecodingError": (ProtocolError, False),
    "TooManyRedirects": (ProtocolError, False),
    "HTTPStatusError": (ESCAPES, False),
    "CookieConflict": (ESCAPES, False),
    "StreamError": (ESCAPES, False),
    "StreamConsumed": (ESCAPES, False),
    "StreamClosed": (ESCAPES, False),
    "ResponseNotRead": (ESCAPES, False),
    "RequestNotRead": (ESCAPES, False),
}


def httpx_exceptions() -> dict[str, type[Exception]]:
    """Every exception class httpx defines: those it exports, and all their subclasses."""
    todo = [c for c in vars(httpx).values() if isinstance(c, type) and issubclass(c, Exception)]
    found: dict[str, type[Exception]] = {}
    while todo:
        cls = todo.pop()
        if cls.__module__.split(".")[0] == "httpx" and cls.__name__ not in found:
            found[cls.__name__] = cls
            todo.extend(cls.__subclasses__())
    return found


def make(cls: type[Exception], request: httpx.Request) -> Exception:
    """An instance of `cls` as httpx would raise it for `request`."""
    if issubclass(cls, httpx.HTTPStatusError):
        return cls("boom", request=request, response=httpx.Response(500, request=request))
    if issubclass(cls, httpx.RequestError):
        return cls("boom", request=request)
    try:
        return cls("boom")
    except TypeError:  # the StreamError family takes no message
        return cls()


async def _no_sleep(_: float) -> None:
    return None


Call = Callable[[httpx.AsyncClient], Awaitable[Any]]


async def _uis(http: httpx.AsyncClient) -> Any:
    client = UisClient(
        http, UisSettings(data_api_url=URL, access_token="t"), retry=FAST, sleep=_no_sleep
    )
    return await client.rpc(URL, "get.account", {})


async def _mango(http: httpx.AsyncClient) -> Any:
    settings = MangoSettings(url=URL, api_key="k", api_salt="s")
    return await MangoClient(http, settings, retry=FAST, sleep=_no_sleep).request("stats", {})


async def _clinic(http: httpx.AsyncClient) -> Any:
    zone = ZoneInfo("Europe/Moscow")
    client = ClinicClient(http, url=URL, key="k", timezone=zone, retry=FAST, sleep=_no_sleep)
    return await client.current_calls()


CLIENTS: dict[str, Call] = {"uis": _uis, "mango": _mango, "clinic": _clinic}


def test_every_httpx_exception_is_listed() -> None:
    """The table above names exactly the exception classes of the installed httpx."""
    assert set(httpx_exceptions()) == set(EXPECTED)


@pytest.mark.parametrize("provider", sorted(CLIENTS))
@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_httpx_exception__becomes_its_adapter_error(provider: str, name: str) -> None:
    """A transport raising it gives the listed adapter error, retried only if transient."""
    cls = httpx_exceptions()[name]
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise make(cls, request)

    expected, retried = EXPECTED[name]
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        with pytest.raises(expected or cls) as caught:
            await CLIENTS[provider](http)
    if expected is None:
        assert type(caught.value) is cls
    else:
        assert type(caught.value) is expected
        assert isinstance(caught.value.__cause__, cls)
        assert URL in str(caught.value)
    assert calls == (FAST.attempts if retried else 1)


async def test_url_without_scheme__is_one_config_error_over_real_httpx() -> None:
    """A scheme-less URL reaches httpx's own transport once and names the URL, no retries."""
    attempts = 0

    async def post(http: httpx.AsyncClient) -> None:
        nonlocal attempts
        async for attempt in retrying(FAST, sleep=_no_sleep):
            with attempt:
                attempts += 1
                await send(http, "POST", "dataapi.uis.st/v2.0", provider="uis", timeout=1)

    async with httpx.AsyncClient() as http:
        with pytest.raises(ConfigError, match=r"http:// or https:// scheme.*dataapi\.uis\.st/v2"):
            await post(http)
    assert attempts == 1


async def test_undecodable_body__is_a_protocol_error_once() -> None:
    """A gzip-labelled body that is not gzip fails httpx's decoding: not retried."""
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=b"not gzip")

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        with pytest.raises(ProtocolError, match="cannot be decoded") as caught:
            await _clinic(http)
    assert isinstance(caught.value.__cause__, httpx.DecodingError)
    assert calls == 1


BAD_URLS = ["dataapi.uis.st/v2.0", "ftp://dataapi.uis.st/", "https://", "http://[::1"]


@pytest.mark.parametrize("value", BAD_URLS)
@pytest.mark.parametrize("name", URL_SETTINGS)
def test_bad_url_setting__is_refused_by_name(name: str, value: str) -> None:
    """Every URL setting needs http(s) and a host; the error names the setting."""
    with pytest.raises(ConfigError, match=name) as caught:
        load_settings({name: value}, environ={})
    assert caught.value.setting == name


def test_good_url_settings__are_kept() -> None:
    """http and https URLs with a host (and a port, a path) pass unchanged."""
    values = dict.fromkeys(URL_SETTINGS, "http://127.0.0.1:8080/v2.0")
    values["clinic_url"] = "https://pbx.example.com/ident/v1"
    settings = load_settings(values, environ={})
    assert {n: getattr(settings, n) for n in URL_SETTINGS} == values


@pytest.mark.parametrize("value", BAD_URLS)
def test_bad_url_in_the_environment__is_a_cli_usage_error(value: str, tmp_path: Path) -> None:
    """A CLI command refuses a bad URL with a message naming the setting, exit status 2."""
    from adapter.cli import main

    env = {"PBX_ADAPTER_MANGO_URL": value, "PBX_ADAPTER_STORE": f"sqlite:///{tmp_path}/c.db"}
    result = CliRunner().invoke(main, ["sync", "--provider", "mango"], env=env)
    assert result.exit_code == 2
    assert "mango_url" in result.output
    assert "Traceback" not in result.output


PROVIDER_SETTINGS: dict[str, Callable[[str], object]] = {
    "uis.data_api_url": lambda u: UisSettings(data_api_url=u, access_token="t"),
    "uis.call_api_url": lambda u: UisSettings(data_api_url=URL, call_api_url=u, access_token="t"),
    "mango.url": lambda u: MangoSettings(url=u, api_key="k", api_salt="s"),
    "clinic.url": lambda u: ClinicClient(
        httpx.AsyncClient(), url=u, key="k", timezone=ZoneInfo("UTC")
    ),
}


@pytest.mark.parametrize("value", BAD_URLS)
@pytest.mark.parametrize("setting", sorted(PROVIDER_SETTINGS))
def test_provider_settings__refuse_a_bad_url(setting: str, value: str) -> None:
    """Each provider's own settings check its URLs too (accounts, mock credentials)."""
    with pytest.raises(ConfigError, match=setting.replace(".", r"\.")) as caught:
        PROVIDER_SETTINGS[setting](value)
    assert caught.value.setting == setting


def test_account_credentials__refuse_a_bad_url_by_field() -> None:
    """A fleet account's URL credential is checked when the account is read."""
    raw = {"name": "a", "provider": "clinic", "credentials": {"url": "pbx.example", "key": "k"}}
    with pytest.raises(ConfigError) as caught:
        parse_account(raw, "accounts[0]")
    assert caught.value.setting == "accounts[0].credentials.url"


def test_adapter_errors__are_what_the_table_promises() -> None:
    """The expected errors are all in the adapter's tree (or deliberately escape)."""
    assert all(e is None or issubclass(e, AdapterError) for e, _ in EXPECTED.values())
