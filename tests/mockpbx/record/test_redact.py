"""Redaction: secrets always removed, personal data pseudonymized consistently, formats kept."""

from __future__ import annotations

import re

from mockpbx.record.faces import REDACTED
from mockpbx.record.redact import Redactor

FULL_NAME = re.compile(r"^[А-ЯЁ][а-яё-]+ [А-ЯЁ][а-яё-]+ [А-ЯЁ][а-яё-]+$")


def test_secrets__are_removed_even_without_redaction() -> None:
    """Tokens, passwords, keys and signatures never survive, whatever the mode."""
    for r in (Redactor(), Redactor(enabled=False)):
        body = {
            "access_token": "t0k",
            "params": {"password": "p", "vpbx_api_key": "k", "sign": "s"},
        }
        assert r.value(body) == {
            "access_token": REDACTED,
            "params": {"password": REDACTED, "vpbx_api_key": REDACTED, "sign": REDACTED},
        }
        assert r.headers({"IDENT-Integration-Key": "abc", "Content-Type": "a/b"}) == {
            "IDENT-Integration-Key": REDACTED,
            "Content-Type": "a/b",
        }


def test_phone__keeps_length_prefix_and_maps_consistently() -> None:
    """An E.164 number stays a plausible one of the same country; the same number maps alike."""
    r = Redactor(key=b"k" * 32)
    a = r.value({"contact_phone_number": "79097480066"})["contact_phone_number"]
    assert re.fullmatch(r"79\d{9}", a)
    assert a != "79097480066"
    assert r.value(["79097480066"]) == [a]
    assert r.phone("+74951234567").startswith("+74")
    assert len(r.phone("+74951234567")) == 12


def test_pseudonyms__differ_between_cassettes() -> None:
    """Another cassette (another random key) gives other pseudonyms, so none can be joined."""
    assert Redactor().phone("79097480066") != Redactor().phone("79097480066")


def test_name__a_russian_full_name_stays_one_with_its_gender() -> None:
    """A female full name becomes another female full name of three parts."""
    r = Redactor(key=b"x" * 32)
    out = r.value({"full_name": "Кошелева Эмилия Михайловна"})["full_name"]
    assert FULL_NAME.match(out)
    assert out != "Кошелева Эмилия Михайловна"
    assert out.split()[2].endswith("на")
    assert r.name("Кошелева Эмилия Михайловна") == out


def test_name_parts__are_replaced_too() -> None:
    """first_name, last_name and patronymic fields get pseudonyms of their own kind."""
    r = Redactor(key=b"y" * 32)
    parts = {"first_name": "Эмилия", "last_name": "Кошелева", "patronymic": "Михайловна"}
    out = r.value(parts)
    assert all(out[k] != v and out[k][0].isupper() for k, v in parts.items())
    assert out["patronymic"].endswith(("вич", "вна", "ична", "чна", "ич"))


def test_name_parts__agree_with_the_full_names_pseudonym() -> None:
    """A row's first name, last name and patronymic are the parts of its full name's pseudonym."""
    r = Redactor(key=b"z" * 32)
    row = {
        "first_name": "Эмилия",
        "last_name": "Кошелева",
        "patronymic": "Михайловна",
        "full_name": "Кошелева Эмилия Михайловна",
    }
    out = r.value(row)
    assert out["full_name"] == f"{out['last_name']} {out['first_name']} {out['patronymic']}"


def test_region_names__are_not_taken_for_people() -> None:
    """Place names and other non-personal text pass unchanged."""
    r = Redactor()
    body = {"cpn_region_name": "Москва и Московская область", "finish_reason": "no_operation"}
    assert r.value(body) == body


def test_email_and_recording_links__are_replaced_with_the_same_shape() -> None:
    """E-mails become example.org addresses; a recording link keeps its host and path shape."""
    r = Redactor()
    link = "https://app.uiscom.ru/system/media/talk/3963000000/0a1b2c3d4e5f67890a1b2c3d4e5f6789/"
    out = r.value({"email": "ivanov@clinic.ru", "full_record_file_link": link})
    assert out["email"].endswith("@example.org")
    assert "ivanov" not in out["email"]
    new = out["full_record_file_link"]
    assert new.startswith("https://app.uiscom.ru/system/media/talk/")
    assert len(new) == len(link)
    assert "3963000000" not in new
    assert "0a1b2c3d4e5f" not in new


def test_text__phones_and_emails_in_csv_are_replaced() -> None:
    """CSV bodies: numbers and e-mails replaced, epoch timestamps left alone."""
    r = Redactor()
    out = r.text("1715670000;79097480066;a@b.ru\n")
    assert out.startswith("1715670000;79")
    assert "79097480066" not in out
    assert "a@b.ru" not in out


def test_no_redact__keeps_personal_data() -> None:
    """With redaction off, only secrets change."""
    body = {"contact_phone_number": "79097480066", "full_name": "Кошелева Эмилия Михайловна"}
    assert Redactor(enabled=False).value(body) == body
