"""The HTML reports' words in Russian and English, and how numbers, money and times are written.

Russian is the default (the clinic's language). Numbers use a no-break space
as the thousands separator (so "1 543" never wraps), Russian a decimal
comma; money carries "₽"; times are the account's wall time to the second.
Definitions are printed under each table so that a figure means one thing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "LANGS",
    "MONEY",
    "PERCENT",
    "SECONDS",
    "Words",
    "words",
]

LANGS = ("ru", "en")
NBSP = "\u00a0"
MONEY = frozenset({"revenue", "spend", "cost_per_call", "cost_per_patient"})
PERCENT = frozenset({"roi_pct", "conversion_pct"})
SECONDS = frozenset({"wait_s", "talk_s"})

_HEADERS: dict[str, dict[str, tuple[str, str]]] = {
    "ad-channels": {
        "channel": ("Канал", "Channel"),
        "source": ("Источник", "Source"),
        "medium": ("Тип трафика", "Medium"),
        "campaign": ("Кампания", "Campaign"),
        "calls": ("Звонки", "Calls"),
        "unique_callers": ("Уникальные звонящие", "Unique callers"),
        "new_patients": ("Новые пациенты", "New patients"),
        "booked": ("Записались", "Booked"),
        "visited": ("Пришли", "Visited"),
        "revenue": ("Выручка", "Revenue"),
        "spend": ("Расход на рекламу", "Ad spend"),
        "cost_per_call": ("Цена звонка", "Cost per call"),
        "cost_per_patient": ("Цена нового пациента", "Cost per new patient"),
        "roi_pct": ("ROI", "ROI"),
    },
    "admin-conversion": {
        "employee_id": ("ID", "ID"),
        "employee": ("Администратор", "Administrator"),
        "incoming_new": ("Звонки новых", "Calls from new callers"),
        "answered": ("Отвечено", "Answered"),
        "booked": ("Записались", "Booked"),
        "visited": ("Пришли", "Visited"),
        "conversion_pct": ("Конверсия", "Conversion"),
    },
    "contact-history": {
        "time": ("Время", "Time"),
        "direction": ("Направление", "Direction"),
        "phone": ("Телефон", "Phone"),
        "patient": ("Пациент", "Patient"),
        "employee": ("Сотрудник", "Employee"),
        "wait_s": ("Ожидание, с", "Wait, s"),
        "talk_s": ("Разговор, с", "Talk, s"),
        "status": ("Статус", "Status"),
        "called_back": ("Перезвонили", "Called back"),
        "comment": ("Комментарий", "Comment"),
        "recording_url": ("Запись", "Recording"),
        # totals (printed as a summary: they are not columns)
        "calls": ("Звонков", "Calls"),
        "communications": ("Обращений (человек за день)", "Communications (person per day)"),
        "answered": ("Отвечено", "Answered"),
        "missed": ("Пропущено", "Missed"),
        "missed_called_back": ("Пропущенных, по которым перезвонили", "Missed, called back"),
        "missed_not_called_back": ("Пропущенных без перезвона", "Missed, not called back"),
    },
}

_TITLES = {
    "ad-channels": ("Рекламные каналы и источники", "Advertising channels and sources"),
    "admin-conversion": ("Конверсия администраторов", "Administrator conversion"),
    "contact-history": ("История обращений", "Contact history"),
}

_VALUES = {
    "in": ("входящий", "incoming"),
    "out": ("исходящий", "outgoing"),
    "internal": ("внутренний", "internal"),
    "answered": ("отвечен", "answered"),
    "missed": ("пропущен", "missed"),
    "(missed, no administrator)": (
        "(пропущенные, без администратора)",
        "(missed, no administrator)",
    ),
}

_DEFINITIONS: dict[str, list[tuple[str, str]]] = {
    "ad-channels": [
        (
            "Звонки — входящие звонки за период, приписанные строке по правилам каналов.",
            "Calls: the period's incoming calls attributed to the row by the channel rules.",
        ),
        (
            "Уникальные звонящие — разные номера среди звонков строки. В итоге — разные номера по "
            "всем строкам: номер, звонивший по двум каналам, считается один раз, поэтому итог "
            "меньше суммы столбца.",
            "Unique callers: distinct numbers among the row's calls. The total counts distinct "
            "numbers over all rows (a number that called through two channels counts once), so "
            "it is less than the column's sum.",
        ),
        (
            "Записались — звонки строки (любых звонящих), которым приписана хотя бы одна запись: "
            "запись создана в течение {booking_days} дн. после отвеченного звонка.",
            "Booked: the row's calls (from any caller) with at least one appointment attributed: "
            "booked within {booking_days} day(s) after an answered call.",
        ),
        (
            "Пришли — из них звонки, по записи которых был визит. Выручка — сумма этих визитов.",
            "Visited: of those, calls whose appointment has a visit. Revenue: the sum of those "
            "visits.",
        ),
        (
            "Новые пациенты — пациенты, чья первая запись приписана звонку строки.",
            "New patients: patients whose first appointment is attributed to the row's call.",
        ),
        (
            "Цена звонка = расход / звонки; цена нового пациента = расход / новые пациенты; "
            "ROI = (выручка − расход) / расход × 100 %.",
            "Cost per call = spend / calls; cost per new patient = spend / new patients; "
            "ROI = (revenue − spend) / spend × 100 %.",
        ),
        (
            "В итоге эти три показателя считаются только по строкам с известным расходом "
            "(расход, звонки, пациенты и выручка этих строк); строки без расхода в них не входят.",
            "In the totals these three are computed over the rows with a known spend only (their "
            "spend, calls, patients and revenue); rows without spend are left out of them.",
        ),
    ],
    "admin-conversion": [
        (
            "Звонки новых — входящие звонки от новых звонящих (номер ещё не принадлежал пациенту), "
            "принятые администратором или пропущенные на его линии.",
            "Calls from new callers: incoming calls from numbers that were not a patient's yet, "
            "taken by the administrator or missed on their line.",
        ),
        (
            "Записались — из них звонки, которым приписана запись, созданная в течение "
            "{booking_days} дн. Здесь считаются только новые звонящие, поэтому число меньше, чем "
            "«Записались» в отчёте по рекламным каналам за тот же период.",
            "Booked: of those, calls with an appointment attributed, booked within {booking_days} "
            'day(s). Only new callers count here, so it is less than "Booked" in the '
            "advertising channels report for the same period.",
        ),
        (
            "Пришли — из записавшихся звонков те, по записи которых был визит.",
            "Visited: of the booked calls, those whose appointment has a visit.",
        ),
        (
            "Конверсия = записались / звонки новых × 100 %; в итоге — из итоговых сумм.",
            "Conversion = booked / calls from new callers × 100 %; the total's from the totals.",
        ),
    ],
    "contact-history": [
        (
            "Обращение — все звонки одного номера за один день.",
            "A communication: every call of one number in one day.",
        ),
        (
            "Перезвонили — для пропущенного входящего: был ли исходящий звонок на этот номер в "
            "течение {callback_hours} ч.",
            "Called back: for a missed incoming call, whether an outgoing call to that number "
            "followed within {callback_hours} hour(s).",
        ),
    ],
}

_TEXT = {
    "no_calls": ("Нет звонков за этот период.", "No calls in this period."),
    "no_new_calls": ("Нет звонков новых звонящих за этот период.",
                     "No calls from new callers in this period."),
    "total": ("Итого", "Total"),
    "listen": ("слушать", "listen"),
    "yes": ("да", "yes"),
    "no": ("нет", "no"),
    "definitions": ("Как считаются показатели", "How the figures are computed"),
    "totals": ("Итоги", "Totals"),
    "cache": ("Кэш: звонков — {n}, до {until}", "Cache: {n} call(s) before {until}"),
    "synced": ("синхронизация {at}", "synced {at}"),
    "never": ("ещё не синхронизирован", "never synced"),
    "provider": ("провайдер: звонков — {n}, с {since}", "provider: {n} call(s) from {since}"),
    "nothing": ("звонки не читались", "no calls read"),
    "times": ("Время — {tz}.", "Times are {tz}."),
    "chart_calls": ("Звонки и новые пациенты по каналам", "Calls and new patients by channel"),
    "chart_money": ("Выручка и расход на рекламу", "Revenue against ad spend"),
    "chart_admins": ("Новые звонящие, записи и визиты по администраторам",
                     "New callers, bookings and visits by administrator"),
    "chart_days": ("Звонки по дням", "Calls per day"),
}  # fmt: skip


class Words:
    """The words and number formats of one language."""

    def __init__(self, lang: str) -> None:
        if lang not in LANGS:
            raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
        self.lang = lang
        self._i = LANGS.index(lang)

    def text(self, key: str, **fields: Any) -> str:
        return _TEXT[key][self._i].format(**fields)

    def title(self, report: str) -> str:
        return _TITLES[report][self._i] if report in _TITLES else report

    def header(self, report: str, column: str) -> str:
        pair = _HEADERS.get(report, {}).get(column)
        return pair[self._i] if pair else column

    def definitions(self, report: str, options: dict[str, Any]) -> list[str]:
        fields = {"booking_days": 7, "callback_hours": 24, **options}
        return [pair[self._i].format(**fields) for pair in _DEFINITIONS.get(report, [])]

    def value(self, value: str) -> str:
        pair = _VALUES.get(value)
        return pair[self._i] if pair else value

    # -- numbers ---------------------------------------------------------------------
    def number(self, value: float, places: int = 0) -> str:
        """`value` with `places` decimals, no-break thousands, the language's decimal mark."""
        text = f"{value:,.{places}f}".replace(",", NBSP)
        return text.replace(".", ",") if self.lang == "ru" else text

    def money(self, value: float) -> str:
        return self.number(value, 2) + NBSP + "₽"

    def percent(self, value: float) -> str:
        """A percentage as the report computed it (to 0.1)."""
        return self.number(value, 1) + NBSP + "%"

    def day(self, value: date) -> str:
        return value.strftime("%d.%m.%Y") if self.lang == "ru" else value.isoformat()

    def moment(self, value: datetime, tz: ZoneInfo, seconds: bool = True) -> str:
        """A moment as the account's wall time (date, no-break space, time)."""
        local = value.astimezone(tz)
        clock = local.strftime("%H:%M:%S" if seconds else "%H:%M")
        return self.day(local.date()) + NBSP + clock


def words(lang: str) -> Words:
    return Words(lang)
