"""What a cassette may hold: no secrets ever, and (by default) pseudonyms for personal data.

Secrets (tokens, keys, passwords, signatures, auth headers) become
"[redacted]" whether or not redaction is on: credentials pass through the
proxy unchanged and are never written. With redaction on (the default),
personal data is replaced by pseudonyms derived from a random per-cassette
key that is never written, so the same value maps to the same pseudonym
within a cassette and nowhere else:

    phone numbers   same length, same country prefix: "79097480066" -> "79562013847"
    names           a Russian full name stays a full name (Faker ru_RU, gender kept)
    e-mails         a plausible address at example.org
    recording links the same URL shape with its ids and hashes replaced
    hex ids         (recording files, link hashes: whoever has one can fetch the audio)
    logins          user<hex>
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from mockpbx.record.faces import REDACTED, is_secret_key

if TYPE_CHECKING:
    from faker import Faker

__all__ = ["Redactor"]

_PHONE = re.compile(r"^\+?[1-9]\d{9,14}$")
_HASH = re.compile(r"^[0-9a-f]{24,}$")  # recording file ids and link hashes: bearer secrets
_PHONE_IN_TEXT = re.compile(r"(?<![\d.])(\+?[78]\d{10})(?![\d.])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CYR = r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?"
_NAME = re.compile(rf"^{_CYR} {_CYR}(?: {_CYR})?$")
_LATIN_NAME = re.compile(r"^[A-Z][a-z]+ [A-Z][a-z]+(?: [A-Z][a-z]+)?$")
_NAME_KEYS = ("full_name", "fio", "patient", "employee", "operator", "contact", "person", "caller")
_NOT_NAME_KEYS = ("region", "country", "city", "site", "campaign", "group", "scenario", "type")
_PART_KEYS = {"first_name", "last_name", "middle_name", "patronymic", "surname"}
_PART_INDEX = {"last_name": 0, "surname": 0, "first_name": 1, "patronymic": 2, "middle_name": 2}
_LINK_HINTS = ("record", "link", "url", "file", "media", "location")
_ID_SUFFIXES = ("id", "_at", "time", "timestamp", "seq")


class Redactor:
    """Applies the rules above to one cassette's exchanges (`enabled=False`: secrets only)."""

    def __init__(self, *, enabled: bool = True, key: bytes | None = None) -> None:
        self.enabled = enabled
        self._key = key or secrets.token_bytes(32)
        self._memo: dict[tuple[str, str], str] = {}
        self._faker: Faker | None = None

    # -- walking ---------------------------------------------------------------------
    def value(self, value: Any, key: str = "", *, request: bool = False) -> Any:
        """`value` (any JSON value found under field `key`) with the rules applied."""
        if key and is_secret_key(key, request=request) and value is not None:
            return REDACTED
        if isinstance(value, dict):
            if self.enabled and "full_name" in value:
                self._align_parts(value)
            return {k: self.value(v, str(k), request=request) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, key, request=request) for v in value]
        if isinstance(value, str) and self.enabled:
            return self._string(value, key.lower())
        return value

    def _align_parts(self, row: dict[str, Any]) -> None:
        """Name parts next to a full name get the parts of its pseudonym."""
        full = row.get("full_name")
        if not isinstance(full, str) or not _NAME.match(full):
            return
        real, pseudo = full.split(" "), self.name(full).split(" ")
        for key, i in _PART_INDEX.items():
            part = row.get(key)
            if isinstance(part, str) and i < min(len(real), len(pseudo)) and part == real[i]:
                self._memo.setdefault((key, part), pseudo[i])

    def headers(self, headers: dict[str, str]) -> dict[str, str]:
        return {k: REDACTED if is_secret_key(k) else self.value(v, k) for k, v in headers.items()}

    def text(self, text: str) -> str:
        """Free text (CSV bodies): phone numbers and e-mails replaced."""
        if not self.enabled:
            return text
        text = _PHONE_IN_TEXT.sub(lambda m: self.phone(m.group(1)), text)
        return _EMAIL.sub(lambda m: self.email(m.group(0)), text)

    def _string(self, value: str, key: str) -> str:
        if _PHONE.match(value) and not key.endswith(_ID_SUFFIXES):
            return self.phone(value)
        if _HASH.match(value):
            return self._memoized("hash", value, lambda d: _scramble(value, d, 0))
        if key == "login" and value:
            return self._memoized("login", value, lambda d: f"user{d.hex()[:8]}")
        if key in _PART_KEYS and value:
            return self._name_part(value, key)
        if self._is_name(value, key):
            return self.name(value)
        if value.startswith(("http://", "https://")) and _is_link(value, key):
            return self.link(value)
        if "@" in value:
            return _EMAIL.sub(lambda m: self.email(m.group(0)), value)
        return _PHONE_IN_TEXT.sub(lambda m: self.phone(m.group(1)), value)

    @staticmethod
    def _is_name(value: str, key: str) -> bool:
        if _NAME.match(value):
            return not any(h in key for h in _NOT_NAME_KEYS)
        named = any(h in key for h in _NAME_KEYS) and not any(h in key for h in _NOT_NAME_KEYS)
        return named and bool(_LATIN_NAME.match(value))

    # -- pseudonyms ------------------------------------------------------------------
    def _digest(self, kind: str, value: str) -> bytes:
        return hmac.new(self._key, f"{kind}\0{value}".encode(), hashlib.sha256).digest()

    def _memoized(self, kind: str, value: str, make: Any) -> str:
        got = self._memo.get((kind, value))
        if got is None:
            got = self._memo[(kind, value)] = make(self._digest(kind, value))
        return got

    def phone(self, value: str) -> str:
        """Same length and country/area prefix; the subscriber digits replaced."""

        def make(d: bytes) -> str:
            plus = "+" if value.startswith("+") else ""
            digits = value.lstrip("+")
            keep = 2 if len(digits) >= 11 else 1
            tail = str(int.from_bytes(d, "big")).zfill(len(digits))[: len(digits) - keep]
            out = plus + digits[:keep] + tail
            return out if out != value else plus + digits[:keep] + tail[::-1]

        return self._memoized("phone", value, make)

    def name(self, value: str) -> str:
        """A full name of the same number of parts (and gender, by the patronymic)."""

        def make(d: bytes) -> str:
            fake = self._seeded(d)
            parts = value.split(" ")
            female = parts[-1].endswith(("вна", "чна", "а", "я")) if len(parts) == 3 else False
            if _LATIN_NAME.match(value):
                return " ".join([fake.last_name_male(), fake.first_name_male()][: len(parts)])
            if female:
                last, first, middle = (
                    fake.last_name_female(),
                    fake.first_name_female(),
                    fake.middle_name_female(),
                )
            else:
                last, first, middle = (
                    fake.last_name_male(),
                    fake.first_name_male(),
                    fake.middle_name_male(),
                )
            return " ".join([last, first, middle][: len(parts)])

        return self._memoized("name", value, make)

    def _name_part(self, value: str, key: str) -> str:
        def make(d: bytes) -> str:
            fake = self._seeded(d)
            if key in ("first_name",):
                return str(fake.first_name())
            if key in ("middle_name", "patronymic"):
                return str(fake.middle_name())
            return str(fake.last_name())

        return self._memoized(key, value, make)

    def email(self, value: str) -> str:
        return self._memoized("email", value, lambda d: f"user{d.hex()[:10]}@example.org")

    def link(self, value: str) -> str:
        """The same URL shape; path segments and query values that carry ids replaced."""

        def make(d: bytes) -> str:
            parts = urlsplit(value)
            path = "/".join(_scramble(seg, d, i) for i, seg in enumerate(parts.path.split("/")))
            query = urlencode(
                [(k, _scramble(v, d, 100 + i)) for i, (k, v) in enumerate(parse_qsl(parts.query))]
            )
            return urlunsplit((parts.scheme, parts.netloc, path, query, ""))

        return self._memoized("link", value, make)

    def _seeded(self, d: bytes) -> Faker:
        if self._faker is None:
            from faker import Faker

            self._faker = Faker("ru_RU")
        self._faker.seed_instance(int.from_bytes(d[:8], "big"))
        return self._faker


def _is_link(value: str, key: str) -> bool:
    return any(h in key for h in _LINK_HINTS) or any(h in value for h in ("/media/", "record"))


def _scramble(segment: str, d: bytes, salt: int) -> str:
    """A segment with a digit in it (an id or hash) replaced by one of the same length."""
    if len(segment) < 4 or not any(c.isdigit() for c in segment):
        return segment
    stream = hashlib.sha256(d + salt.to_bytes(2, "big")).hexdigest() * 4
    if segment.isdigit():
        return "".join(str(int(c, 16) % 10) for c in stream[: len(segment)])
    return stream[: len(segment)]
