"""The one seeded random source: every id, name, number and duration comes from here.

`Seeds(seed)` derives independent, reproducible streams by name, so that a
day of history generated lazily draws the same numbers whatever order days
are materialized in:

    seeds.random("day", "2026-11-27")   # a random.Random for that day only
    seeds.faker("staff")                 # a seeded ru_RU Faker

Secrets (credentials, recording link hashes, session and file tokens) are not
drawn from the seed, which anyone may know: `Secrets(key)` derives them from
a per-server key.

Names and phone numbers come from Faker's ru_RU locale. Faker is slow per
call, so bulk generators draw from pools built once (`name_parts`).

Ids here are neutral (world ids: call ids, leg ids); how a face spells them
on its wire lives in the face (`providers/mango/ids.py`).
"""

from __future__ import annotations

import hashlib
import random
import secrets
from dataclasses import dataclass
from functools import cache
from typing import Any

__all__ = [
    "NameParts",
    "Secrets",
    "Seeds",
    "name_parts",
    "phone_from",
]


class Secrets:
    """Derives the server's secrets (tokens, keys, link hashes) by name from one secret key.

    The key is random per server by default; a fixed key makes secrets repeat
    (golden runs). A key equal to str(seed) gives what `Seeds(seed).token_hex`
    gave before secrets had a key of their own.
    """

    def __init__(self, key: str) -> None:
        self.key = key

    @classmethod
    def random(cls) -> Secrets:
        """Secrets from a fresh 128-bit random key."""
        return cls(secrets.token_hex(16))

    def token_hex(self, *names: object, nbytes: int = 16) -> str:
        """An unguessable hex token (default 128 bits) for `names`."""
        key = ":".join(["token", self.key, *map(str, names)]).encode()
        return hashlib.blake2b(key, digest_size=nbytes).hexdigest()


class Seeds:
    """Derives named, independent, reproducible random streams from one seed."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)

    def derive(self, *names: object) -> int:
        """A 64-bit integer seed for the stream named by `names`."""
        key = ":".join([str(self.seed), *map(str, names)]).encode()
        return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")

    def random(self, *names: object) -> random.Random:
        """A `random.Random` for the stream named by `names`."""
        return random.Random(self.derive(*names))

    def faker(self, *names: object) -> Any:
        """A ru_RU Faker seeded for the stream named by `names`."""
        from faker import Faker

        fake = Faker("ru_RU")
        fake.seed_instance(self.derive("faker", *names))
        return fake

    def token_hex(self, *names: object, nbytes: int = 16) -> str:
        """An unguessable-looking hex token (default 128 bits) for `names`."""
        key = ":".join(["token", str(self.seed), *map(str, names)]).encode()
        return hashlib.blake2b(key, digest_size=nbytes).hexdigest()


@dataclass(frozen=True, slots=True)
class NameParts:
    """Name pools from Faker's ru_RU provider, for fast bulk name generation."""

    male_first: tuple[str, ...]
    male_last: tuple[str, ...]
    male_middle: tuple[str, ...]
    female_first: tuple[str, ...]
    female_last: tuple[str, ...]
    female_middle: tuple[str, ...]

    def draw(self, rnd: random.Random) -> tuple[str, str, str]:
        """(last, first, patronymic) of a random person."""
        if rnd.random() < 0.5:
            return (
                rnd.choice(self.female_last),
                rnd.choice(self.female_first),
                rnd.choice(self.female_middle),
            )
        return (
            rnd.choice(self.male_last),
            rnd.choice(self.male_first),
            rnd.choice(self.male_middle),
        )


@cache
def name_parts() -> NameParts:
    """The ru_RU name pools (read once from Faker's provider tables)."""
    from faker.providers.person.ru_RU import Provider as P

    def words(src: Any) -> tuple[str, ...]:
        return tuple(sorted(src.keys() if isinstance(src, dict) else src))

    return NameParts(
        male_first=words(P.first_names_male),
        male_last=words(P.last_names_male),
        male_middle=words(P.middle_names_male),
        female_first=words(P.first_names_female),
        female_last=words(P.last_names_female),
        female_middle=words(P.middle_names_female),
    )


# Russian mobile (9xx) and Moscow/St Petersburg landline prefixes.
_MOBILE_CODES = ("903", "905", "909", "915", "916", "925", "926", "977", "985", "999", "921")


def phone_from(rnd: random.Random, *, mobile: bool = True) -> str:
    """A Russian number in E.164 digits without '+', e.g. '79161234567'."""
    code = rnd.choice(_MOBILE_CODES) if mobile else rnd.choice(("495", "499", "812"))
    return f"7{code}{rnd.randrange(10_000_000):07d}"
