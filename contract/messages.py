# ruff: noqa: E501  -- a catalog of sentences: splitting them would hurt translation review
"""Every text the verifier shows, in English and Russian, for a clinic's administrator.

`text(msg, lang)` renders a `Msg`; a missing key or parameter falls back to
something readable rather than failing the report.
"""

from __future__ import annotations

from typing import Any

from contract.results import Capability, Msg, Requirement, Status, Support, Verdict

__all__ = [
    "LANGS",
    "capability_name",
    "progress_line",
    "requirement_title",
    "status_word",
    "support_note",
    "support_word",
    "text",
    "title",
    "ui",
    "verdict_text",
    "why",
]

LANGS = ("en", "ru")

REQUIREMENTS: dict[Requirement, tuple[str, str]] = {
    Requirement.HISTORY: (
        "(a) Call history for any period",
        "(а) История звонков за любой период",
    ),
    Requirement.CURRENT: ("(b) Current calls", "(б) Текущие звонки"),
    Requirement.RECORDINGS: (
        "(c) Recordings with public links",
        "(в) Записи разговоров по публичным ссылкам",
    ),
    Requirement.TRACKING: (
        "(d) UTM tags and referrer of every call",
        "(г) UTM-метки и источник перехода для каждого звонка",
    ),
    Requirement.ACCESS: ("Access and errors", "Доступ и ошибки"),
    Requirement.EXTRAS: (
        "Site leads, schedule and click to call",
        "Заявки с сайта, расписание и звонок по клику",
    ),
    Requirement.STABILITY: ("Stability", "Стабильность"),
}

CAPABILITIES: dict[Capability, tuple[str, str]] = {
    Capability.REPORTS: ("Call-history reports", "Отчёты по истории звонков"),
    Capability.CALLER_CARD: ("Caller card during a call", "Карточка звонящего во время звонка"),
    Capability.RECORDINGS: ("Listening to recordings", "Прослушивание записей разговоров"),
    Capability.TRACKING: (
        "Dynamic call tracking (UTM tags)",
        "Динамический коллтрекинг (UTM-метки)",
    ),
    Capability.CLICK_TO_CALL: (
        "Click to call (provider callback)",
        "Звонок по клику (обратный звонок провайдера)",
    ),
}

SUPPORT: dict[Support, tuple[str, str]] = {
    Support.YES: ("supported", "поддерживается"),
    Support.BROKEN: ("offered but broken", "есть, но работает с ошибками"),
    Support.NO: ("not offered", "не поддерживается"),
    Support.UNCONFIRMED: ("not confirmed", "не подтверждено"),
}

SUPPORT_NOTES: dict[tuple[Capability, Support], tuple[str, str]] = {
    (Capability.CALLER_CARD, Support.NO): (
        "The provider gives no current calls: the clinic sees calls only after they end.",
        "Провайдер не отдаёт текущие звонки: клиника видит звонки только после их завершения.",
    ),
    (Capability.CALLER_CARD, Support.UNCONFIRMED): (
        "No call was in progress while we watched; run again at a busy hour.",
        "Пока мы наблюдали, не было ни одного идущего звонка; повторите в часы звонков.",
    ),
    (Capability.RECORDINGS, Support.NO): (
        "Calls come without recording links: the clinic cannot listen to them.",
        "Звонки приходят без ссылок на записи: клиника не сможет их прослушать.",
    ),
    (Capability.RECORDINGS, Support.UNCONFIRMED): (
        "No conversation in the period to look for a recording.",
        "В периоде нет разговоров, у которых могла бы быть запись.",
    ),
    (Capability.TRACKING, Support.NO): (
        "No call carries UTM tags: the advertising report cannot tell which ad brought a call (or the clinic had no ad calls in this period).",
        "Ни у одного звонка нет UTM-меток: отчёт по рекламе не узнает, какая реклама привела звонок (или в этом периоде не было звонков с рекламы).",
    ),
    (Capability.CLICK_TO_CALL, Support.NO): (
        "No provider callback: the clinic's software uses callto: links (a softphone dials).",
        "Обратного звонка нет: программа клиники использует ссылки callto: (звонит софтфон).",
    ),
    (Capability.CLICK_TO_CALL, Support.UNCONFIRMED): (
        "Not checked (it rings real phones): run with --allow-calls. callto: links work anyway.",
        "Не проверялось (звонит на реальные телефоны): запустите с --allow-calls. Ссылки callto: работают в любом случае.",
    ),
}

VERDICTS: dict[Verdict, tuple[str, str]] = {
    Verdict.PASSED: (
        "Passed: the provider meets the contract; every feature of the clinic's software works with it.",
        "Пройдено: провайдер соответствует требованиям; все функции программы клиники с ним работают.",
    ),
    Verdict.PARTIAL: (
        "Passed for what it offers: {works} work; {missing} do not (the provider does not offer them).",
        "Пройдено в том, что провайдер предлагает: {works} — работает; {missing} — нет (провайдер этого не предлагает).",
    ),
    Verdict.FAILED: (
        "Not passed: {n} problem(s) would lose, repeat or corrupt calls or break a feature. See what to ask your provider to fix.",
        "Не пройдено: проблем, из-за которых звонки теряются, повторяются, искажаются или ломается функция: {n}. Смотрите, что попросить исправить провайдера.",
    ),
}

STATUS: dict[Status, tuple[str, str]] = {
    Status.PASS: ("PASSED", "ПРОЙДЕНО"),
    Status.FAIL: ("FAIL", "ОШИБКА"),
    Status.WARNING: ("WARNING", "ВНИМАНИЕ"),
    Status.SKIPPED: ("NOT CHECKED", "НЕ ПРОВЕРЯЛОСЬ"),
    Status.ABSENT: ("NOT OFFERED", "НЕ ПОДДЕРЖИВАЕТСЯ"),
}

UI: dict[str, tuple[str, str]] = {
    "heading": ("Clinic provider API check", "Проверка API телефонии для клиники"),
    "target": ("Provider", "Провайдер"),
    "period": ("Period", "Период"),
    "period_value": ("{start} — {end} (UTC{tz})", "{start} — {end} (UTC{tz})"),
    "started": ("Started", "Начало проверки"),
    "capabilities": ("What the clinic can use", "Что клиника сможет использовать"),
    "feature": ("Feature", "Функция"),
    "support": ("Support", "Поддержка"),
    "note": ("Note", "Пояснение"),
    "ask": ("What to ask your provider to fix", "Что попросить исправить провайдера"),
    "ask_none": ("Nothing: no check found a defect.", "Ничего: проверки не нашли дефектов."),
    "ask_item": ("{title} ({check}): {summary}", "{title} ({check}): {summary}"),
    "ask_warning": ("worth fixing, not blocking", "стоит исправить, не мешает работе"),
    "readings": (
        "How this provider reads the open points (findings, not failures)",
        "Как провайдер понимает открытые вопросы описания (наблюдения, не ошибки)",
    ),
    "details": ("Details of every check", "Подробности по каждой проверке"),
    "evidence": ("Evidence", "Доказательства"),
    "duration": (
        "Took {seconds} s, {requests} requests",
        "Заняло {seconds} с, запросов: {requests}",
    ),
    "verdict_ok": (
        "Verdict: the provider meets the contract. Clinic software can use it.",
        "Итог: провайдер соответствует требованиям. Клиника может его подключать.",
    ),
    "verdict_bad": (
        "Verdict: the provider does NOT meet the contract yet. See the failures below.",
        "Итог: провайдер пока НЕ соответствует требованиям. Смотрите ошибки ниже.",
    ),
    "check": ("Check", "Проверка"),
    "status": ("Result", "Результат"),
    "found": ("What we found", "Что обнаружено"),
    "optional": ("optional", "необязательно"),
    "checking": ("checking…", "проверка…"),
    "checking_one": ("checking: {what}", "проверка: {what}"),
    "conformance_running": (
        "generated requests (Schemathesis)",
        "сгенерированные запросы (Schemathesis)",
    ),
    "conformance": (
        "Answers match the published spec: {operation}",
        "Ответы соответствуют спецификации: {operation}",
    ),
}

TITLES: dict[str, tuple[str, str]] = {
    "missing_or_wrong_keys_are_refused": (
        "Requests without the key, or with a wrong key, are refused",
        "Запросы без ключа или с неверным ключом отклоняются",
    ),
    "bad_requests_are_refused_with_4xx": (
        "Wrong parameters are reported as errors (4xx), never as data",
        "Неверные параметры дают ошибку (4xx), а не данные",
    ),
    "period_filter_is_honoured_at_its_edges": (
        "Only calls of the requested period are returned, exactly at its edges",
        "Возвращаются только звонки запрошенного периода, точно по его границам",
    ),
    "pages_are_complete_and_stable": (
        "Page by page, every call comes exactly once, in a stable order",
        "По страницам каждый звонок приходит ровно один раз, в неизменном порядке",
    ),
    "a_short_page_ends_the_data": (
        "A short page is only ever the last one",
        "Неполная страница бывает только последней",
    ),
    "times_carry_offsets": (
        "Every time carries its time zone offset",
        "Каждое время указано с часовым поясом",
    ),
    "offset_is_accepted_in_both_spellings": (
        "Which spelling of the page offset is read: offset or offSet",
        "Какое написание смещения страницы читается: offset или offSet",
    ),
    "call_fields_readings": (
        "How the fields the description leaves open are filled",
        "Как заполняются поля, которые описание оставляет открытыми",
    ),
    "provider_is_stable": (
        "The provider answers without server errors, timeouts or dropped connections",
        "Провайдер отвечает без ошибок сервера, таймаутов и обрывов соединения",
    ),
    "ongoing_calls_appear_while_live_and_disappear_after": (
        "Calls in progress are listed while they last and disappear when they end",
        "Идущие звонки видны, пока длятся, и исчезают после завершения",
    ),
    "recording_links_open_without_auth_and_return_audio": (
        "Recording links open in a browser without a key and play audio",
        "Ссылки на записи открываются в браузере без ключа и отдают звук",
    ),
    "recording_links_are_unguessable": (
        "Recording links cannot be guessed",
        "Ссылки на записи невозможно подобрать",
    ),
    "utm_and_referrer_are_present_on_tracked_calls": (
        "Calls from ads carry their UTM tags and referrer",
        "Звонки с рекламы приходят с UTM-метками и источником перехода",
    ),
    "ticket_ids_are_unique_and_stable": (
        "Every site lead has its own, unchanging Id (GetTickets)",
        "У каждой заявки с сайта свой неизменный Id (GetTickets)",
    ),
    "timetable_is_accepted": (
        "The clinic's schedule is accepted (PostTimeTable)",
        "Расписание клиники принимается (PostTimeTable)",
    ),
    "callback_places_a_call_listed_as_current": (
        "Click to call places a call that shows among current calls (StartCallback)",
        "Звонок по клику создаёт вызов, который виден в текущих звонках (StartCallback)",
    ),
}

WHY: dict[str, tuple[str, str]] = {
    "missing_or_wrong_keys_are_refused": (
        "Otherwise anyone on the internet could read the clinic's patients' phone numbers.",
        "Иначе кто угодно в интернете сможет читать телефоны пациентов клиники.",
    ),
    "bad_requests_are_refused_with_4xx": (
        "Clinic software reads any successful answer as data; an error answered as success silently loses calls.",
        "Программа клиники считает любой успешный ответ данными; ошибка, выданная как успех, незаметно теряет звонки.",
    ),
    "period_filter_is_honoured_at_its_edges": (
        "Reports for a day or a month must count each call once, in the right day.",
        "Отчёты за день или месяц должны учитывать каждый звонок один раз и в свой день.",
    ),
    "pages_are_complete_and_stable": (
        "Long periods are loaded in pages; a duplicate or a gap corrupts the reports.",
        "Длинные периоды загружаются по страницам; дубли или пропуски искажают отчёты.",
    ),
    "a_short_page_ends_the_data": (
        "The clinic stops loading at the first short page; calls after it would be lost.",
        "Клиника прекращает загрузку на первой неполной странице; звонки после неё будут потеряны.",
    ),
    "times_carry_offsets": (
        "Without the offset a call could land three hours off, in the wrong day.",
        "Без часового пояса звонок может сместиться на несколько часов и попасть не в тот день.",
    ),
    "offset_is_accepted_in_both_spellings": (
        "The description allows either; the clinic's software must send the spelling the provider reads.",
        "Описание допускает оба варианта; программа клиники должна отправлять то написание, которое читает провайдер.",
    ),
    "call_fields_readings": (
        "Any of these readings works; they are listed so the clinic's software can be set up to match.",
        "Любой из этих вариантов работает; они перечислены, чтобы программу клиники можно было настроить под них.",
    ),
    "provider_is_stable": (
        "Failed requests are retried; many of them slow the clinic's software down and can delay reports.",
        "Неудачные запросы повторяются; если их много, программа клиники работает медленнее, а отчёты могут задерживаться.",
    ),
    "ongoing_calls_appear_while_live_and_disappear_after": (
        "The front desk sees who is calling right now from this list.",
        "По этому списку администратор видит, кто звонит прямо сейчас.",
    ),
    "recording_links_open_without_auth_and_return_audio": (
        "The browser plays the recording itself and has no key to send.",
        "Браузер проигрывает запись сам, и ключа у него нет.",
    ),
    "recording_links_are_unguessable": (
        "A link without a key is protected only by its secret part.",
        "Ссылку без ключа защищает только её секретная часть.",
    ),
    "utm_and_referrer_are_present_on_tracked_calls": (
        "The advertising report needs to know which ad brought each call.",
        "Отчёт по рекламным каналам должен знать, какая реклама привела каждый звонок.",
    ),
    "ticket_ids_are_unique_and_stable": (
        "The clinic keeps one lead per Id: a repeated Id overwrites another patient's request.",
        "Клиника хранит одну заявку на Id: повторный Id затирает заявку другого пациента.",
    ),
    "timetable_is_accepted": (
        "Only checked with --allow-writes.",
        "Проверяется только с --allow-writes.",
    ),
    "callback_places_a_call_listed_as_current": (
        "Only checked with --allow-calls (it rings real phones). Whether the employee's phone rings first must be confirmed by ear: HTTP cannot show it.",
        "Проверяется только с --allow-calls (звонит на реальные телефоны). Что сначала звонит телефон сотрудника, нужно проверить на слух: по HTTP этого не видно.",
    ),
    "conformance": (
        "Generated requests, valid and invalid, get the documented answers; nothing crashes.",
        "Сгенерированные запросы, верные и неверные, получают описанные в спецификации ответы; ничего не падает.",
    ),
}

MESSAGES: dict[str, tuple[str, str]] = {
    "raw": ("{text}", "{text}"),
    # summaries
    "sum.no_calls_in_period": (
        "There are no calls in the period, so this could not be checked. Choose a period with calls (--from/--to).",
        "В периоде нет звонков, проверить нельзя. Выберите период со звонками (--from/--to).",
    ),
    "sum.history_unreadable": (
        "The call history could not be read.",
        "Не удалось получить историю звонков.",
    ),
    "sum.keys_ok": (
        "Every endpoint refuses requests without the right key.",
        "Все методы отклоняют запросы без правильного ключа.",
    ),
    "sum.keys_bad": (
        "Keys are not enforced as required.",
        "Ключ проверяется не так, как требуется.",
    ),
    "sum.bad_input_ok": (
        "Every wrong parameter got a 4xx error.",
        "Каждый неверный параметр получил ошибку 4xx.",
    ),
    "sum.bad_input_bad": (
        "Some wrong parameters were not reported as errors.",
        "Некоторые неверные параметры не дали ошибку.",
    ),
    "sum.period_ok": (
        "{n} calls checked; the period edges are exact.",
        "Проверено звонков: {n}; границы периода соблюдаются точно.",
    ),
    "sum.period_bad": (
        "Calls outside the requested period are returned, or calls inside it are missing.",
        "Возвращаются звонки вне запрошенного периода или теряются звонки внутри него.",
    ),
    "sum.pages_ok": (
        "{n} calls read in pages of {limit}: none repeated, none missing, same order.",
        "Прочитано звонков: {n}, страницами по {limit}: без повторов, без пропусков, порядок тот же.",
    ),
    "sum.pages_bad": (
        "Paging loses, repeats or reorders calls.",
        "При постраничной выдаче звонки теряются, повторяются или меняют порядок.",
    ),
    "sum.short_page_ok": (
        "Short pages appear only at the end of the data.",
        "Неполные страницы бывают только в конце данных.",
    ),
    "sum.short_page_bad": (
        "A short page was returned while more data existed.",
        "Неполная страница пришла, хотя данные ещё были.",
    ),
    "sum.offsets_ok": (
        "{n} times checked, all with an offset.",
        "Проверено значений времени: {n}, у всех указан часовой пояс.",
    ),
    "sum.offsets_bad": (
        "Some times have no time zone offset.",
        "У некоторых значений времени нет часового пояса.",
    ),
    "sum.offset_spelling_both": (
        "Both offset and offSet page the same way.",
        "offset и offSet работают одинаково.",
    ),
    "sum.offset_spelling_offset": (
        "The provider reads offset (offSet is ignored).",
        "Провайдер читает offset (offSet игнорируется).",
    ),
    "sum.offset_spelling_offSet": (
        "The provider reads only offSet (offset is ignored); the verifier paged with offSet.",
        "Провайдер читает только offSet (offset игнорируется); проверка листала страницы через offSet.",
    ),
    "sum.offset_spelling_none": (
        "Neither offset nor offSet moves to the next page: paging does not work.",
        "Ни offset, ни offSet не переключают страницу: постраничная выдача не работает.",
    ),
    "sum.live_ok": (
        "Watched for {seconds} s ({polls} polls): {seen} calls appeared, {gone} disappeared when they ended.",
        "Наблюдали {seconds} с ({polls} опросов): появилось звонков: {seen}, исчезло после завершения: {gone}.",
    ),
    "sum.live_bad": (
        "Watched for {seconds} s ({polls} polls): the list of current calls is wrong.",
        "Наблюдали {seconds} с ({polls} опросов): список текущих звонков неверен.",
    ),
    "sum.live_unobserved": (
        "Warning: could not observe. No call was in progress during {seconds} s of watching; run again at a busy hour or with a longer --observe.",
        "Внимание: не удалось наблюдать. За {seconds} с не было ни одного идущего звонка; повторите в часы звонков или с бо́льшим --observe.",
    ),
    "sum.live_no_end_observed": (
        "Warning: {seen} calls were listed, but none ended during {seconds} s, so disappearing was not observed.",
        "Внимание: видели звонков: {seen}, но ни один не завершился за {seconds} с, исчезновение не проверено.",
    ),
    "sum.no_recordings": (
        "The provider gives no recordings: none of {n} calls has a recording link ({talked} had a conversation).",
        "Провайдер не даёт записей: ни у одного из {n} звонков нет ссылки на запись (с разговором: {talked}).",
    ),
    "sum.no_talks": (
        "None of {n} calls had a conversation, so no recording could be looked for.",
        "Ни в одном из {n} звонков не было разговора, записи искать не у чего.",
    ),
    "sum.history_absent": (
        "GetFinishedCalls is not offered (HTTP {status}): without call history nothing works.",
        "GetFinishedCalls не поддерживается (HTTP {status}): без истории звонков ничего не работает.",
    ),
    "sum.live_absent": (
        "The provider gives no current calls (GetOngoingCalls answers HTTP {status}).",
        "Провайдер не отдаёт текущие звонки (GetOngoingCalls отвечает HTTP {status}).",
    ),
    "sum.tickets_absent": (
        "The provider gives no site leads (GetTickets answers HTTP {status}); that is allowed.",
        "Провайдер не отдаёт заявки с сайта (GetTickets отвечает HTTP {status}); это допустимо.",
    ),
    "sum.operation_absent": (
        "{operation} is not offered (HTTP {status}): nothing to compare with the spec.",
        "{operation} не поддерживается (HTTP {status}): сравнивать со спецификацией нечего.",
    ),
    "sum.nothing_to_read": (
        "No endpoint to read was offered, so keys could not be checked.",
        "Нет ни одного метода для чтения, ключ проверить нельзя.",
    ),
    "sum.keys_odd_status": (
        "No data leaks without the key, but the refusal is not 401/403, so the clinic's software cannot tell a key problem.",
        "Без ключа данные не отдаются, но отказ не 401/403, и программа клиники не сможет понять, что дело в ключе.",
    ),
    "sum.not_judged_unstable": (
        "Not judged: the provider failed {n} request(s) during this check even after retries (see Stability).",
        "Не оценивалось: провайдер не ответил на запросы ({n}) во время этой проверки даже после повторов (см. «Стабильность»).",
    ),
    "sum.stable": (
        "{n} requests: no server error, timeout or dropped connection.",
        "Запросов: {n}; ни одной ошибки сервера, таймаута или обрыва соединения.",
    ),
    "sum.unstable": (
        "The provider is unstable: {failures} failed answers over {n} requests ({kinds}); {recovered} request(s) succeeded when retried, {persistent} never did.",
        "Провайдер работает нестабильно: неудачных ответов {failures} на {n} запросов ({kinds}); после повтора удалось: {recovered}, не удалось совсем: {persistent}.",
    ),
    "sum.readings": (
        "{n} calls read; what the provider chose where the description leaves a choice is listed under findings.",
        "Прочитано звонков: {n}; выбор провайдера там, где описание оставляет выбор, перечислен в наблюдениях.",
    ),
    "sum.conformance_lenient": (
        "{n} generated requests to {operation}: invalid requests are not always refused (a warning: the clinic's software never sends them).",
        "Сгенерированных запросов к {operation}: {n}; неверные запросы не всегда отклоняются (предупреждение: программа клиники их не отправляет).",
    ),
    # findings: the reading of an open point the provider follows
    "find.period_start_exclusive": (
        "The period filters calls by their start, from inclusive and to exclusive (as the spec reads).",
        "Период отбирает звонки по времени начала, dateTimeFrom включительно, dateTimeTo не включительно (как в спецификации).",
    ),
    "find.period_start_inclusive": (
        "dateTimeTo is inclusive: a call starting exactly at 00:00:00 comes with both days; the clinic's software keeps it once (it matches calls by start time and numbers).",
        "dateTimeTo включается: звонок, начавшийся ровно в 00:00:00, приходит в обоих днях; программа клиники сохраняет его один раз (сверяет звонки по времени начала и номерам).",
    ),
    "find.period_end_exclusive": (
        "The period filters calls by their end (start + wait + talk): a call crossing midnight is loaded with the day it ended; every call still comes exactly once.",
        "Период отбирает звонки по времени окончания (начало + ожидание + разговор): звонок через полночь загружается с днём окончания; каждый звонок по-прежнему приходит ровно один раз.",
    ),
    "find.period_end_inclusive": (
        "The period filters calls by their end, with dateTimeTo inclusive: a call ending exactly at 00:00:00 comes with both days and is kept once.",
        "Период отбирает звонки по времени окончания, dateTimeTo включается: звонок, закончившийся ровно в 00:00:00, приходит в обоих днях и сохраняется один раз.",
    ),
    "find.offset_both": (
        "Paging reads both offset and offSet.",
        "Постраничная выдача читает и offset, и offSet.",
    ),
    "find.offset_offset": (
        "Paging reads offset only: software that sends offSet (as some IDENT bridges do) would read the first page again and again.",
        "Постраничная выдача читает только offset: программа, отправляющая offSet (как некоторые мосты IDENT), будет снова и снова читать первую страницу.",
    ),
    "find.offset_offSet": (
        "Paging reads offSet only: the clinic's software must send offSet.",
        "Постраничная выдача читает только offSet: программа клиники должна отправлять offSet.",
    ),
    "find.auth_status": (
        "Requests without a valid key are refused with HTTP {status}.",
        "Запросы без верного ключа отклоняются с HTTP {status}.",
    ),
    "find.auth_status_split": (
        "Without a key the answer is HTTP {missing}; with a wrong key, HTTP {wrong}.",
        "Без ключа ответ HTTP {missing}; с неверным ключом — HTTP {wrong}.",
    ),
    "find.limit_refused": (
        "A limit above 1000 is refused (HTTP {status}).",
        "limit больше 1000 отклоняется (HTTP {status}).",
    ),
    "find.limit_clamped": (
        "A limit above 1000 is clamped: {n} calls came back.",
        "limit больше 1000 урезается: пришло звонков: {n}.",
    ),
    "find.limit_accepted": (
        "A limit above 1000 is accepted ({n} calls came back, all there were).",
        "limit больше 1000 принимается (пришло звонков: {n}, все, что были).",
    ),
    "find.limit_larger": (
        "Pages larger than 1000 are allowed ({n} calls came back for limit 1001).",
        "Разрешены страницы больше 1000 (на limit 1001 пришло звонков: {n}).",
    ),
    "find.times_offset": (
        "Times are given with the offset {offsets}.",
        "Время указывается со смещением {offsets}.",
    ),
    "find.missed_talk": (
        "TalkInSeconds of a call without a conversation: {values}.",
        "TalkInSeconds у звонка без разговора: {values}.",
    ),
    "find.phone_format": (
        "Phone numbers look like {formats}.",
        "Номера телефонов выглядят так: {formats}.",
    ),
    "find.line_description": (
        "LineDescription is filled in {n} of {total} calls.",
        "LineDescription заполнено у {n} из {total} звонков.",
    ),
    "find.call_ids": (
        "Calls carry an Id ({n} calls): the clinic's software matches calls by it.",
        "У звонков есть Id (звонков: {n}): программа клиники сверяет звонки по нему.",
    ),
    "find.no_call_ids": (
        "Calls carry no Id: the clinic's software matches them by start time, numbers and direction.",
        "У звонков нет Id: программа клиники сверяет их по времени начала, номерам и направлению.",
    ),
    "find.default_limit": (
        "Without limit, one page holds {n} of the period's {total} calls.",
        "Без limit на странице {n} из {total} звонков периода.",
    ),
    # cases of deliberately wrong requests
    "ev.case_missing_key": ("missing key", "без ключа"),
    "ev.case_wrong_key": ("wrong key", "неверный ключ"),
    "ev.case_from_missing": ("dateTimeFrom missing", "нет dateTimeFrom"),
    "ev.case_from_no_offset": ("dateTimeFrom without offset", "dateTimeFrom без часового пояса"),
    "ev.case_from_not_a_date": ("dateTimeFrom not a date", "dateTimeFrom — не дата"),
    "ev.case_limit_zero": ("limit = 0", "limit = 0"),
    "ev.case_limit_negative": ("limit = -1", "limit = -1"),
    "ev.case_limit_not_a_number": ("limit not a number", "limit — не число"),
    "ev.case_offset_negative": ("offset = -1", "offset = -1"),
    # the periods asked for around one call's edges
    "case.from_start_utc": ("from = start (UTC)", "начало периода = начало звонка (UTC)"),
    "case.to_start_plus5": ("to = start (+05:00)", "конец периода = начало звонка (+05:00)"),
    "case.from_start_plus_1s": (
        "from = start + 1 s",
        "начало периода = начало звонка + 1 с",
    ),
    "case.from_end_plus5": ("from = end (+05:00)", "начало периода = конец звонка (+05:00)"),
    "case.to_end_utc": ("to = end (UTC)", "конец периода = конец звонка (UTC)"),
    "case.whole_period": ("the period", "весь период"),
    # Schemathesis failure titles
    "conf.Server error": ("Server error", "Ошибка сервера"),
    "conf.Undocumented status code": (
        "Undocumented status code",
        "Код ответа не описан в спецификации",
    ),
    "conf.Undocumented Content-Type": (
        "Undocumented Content-Type",
        "Тип содержимого не описан в спецификации",
    ),
    "conf.Missing Content-Type header": (
        "Missing Content-Type header",
        "Нет заголовка Content-Type",
    ),
    "conf.Response violates schema": ("Response violates schema", "Ответ не соответствует схеме"),
    "conf.Schema-violating request accepted": (
        "Schema-violating request accepted",
        "Принят запрос, нарушающий схему",
    ),
    "conf.Schema-valid request rejected": (
        "Schema-valid request rejected",
        "Отклонён верный запрос",
    ),
    "conf.Missing required header accepted": (
        "Missing required header accepted",
        "Принят запрос без обязательного заголовка",
    ),
    "conf.Missing required response headers": (
        "Missing required response headers",
        "В ответе нет обязательных заголовков",
    ),
    "conf.JSON deserialization error": ("The body is not valid JSON", "Тело ответа — не JSON"),
    "conf.no answer": ("No answer", "Нет ответа"),
    "conf.Malformed media type": (
        "Malformed media type",
        "Тип содержимого записан с ошибкой",
    ),
    "conf.Content deserialization error": (
        "The body cannot be read in its declared type",
        "Тело ответа не читается в заявленном типе",
    ),
    "conf.Unknown discriminator value": (
        "Unknown discriminator value",
        "Неизвестное значение поля-дискриминатора",
    ),
    "conf.Response header does not conform to the schema": (
        "Response header does not conform to the schema",
        "Заголовок ответа не соответствует схеме",
    ),
    "conf.Server error on undeclared request Content-Type": (
        "Server error on an undeclared request Content-Type",
        "Ошибка сервера на неописанный Content-Type запроса",
    ),
    # a Schemathesis title without a translation: the title is shown quoted, as data
    "conf.other": ("{title}", 'Другая проверка Schemathesis: "{title}"'),
    "sum.links_ok": (
        "{n} recording links opened without a key and returned audio.",
        "Ссылок на записи открыто без ключа: {n}, все отдают звук.",
    ),
    "sum.links_bad": (
        "Recording links do not open as a browser needs.",
        "Ссылки на записи не открываются так, как нужно браузеру.",
    ),
    "sum.unguessable_ok": (
        "{n} links carry a long random secret; an altered secret opens nothing.",
        "Ссылок проверено: {n}; в каждой длинный случайный секрет, изменённая ссылка не открывается.",
    ),
    "sum.unguessable_bad": (
        "Recording links can be guessed, so strangers could listen.",
        "Ссылки на записи можно подобрать, и посторонние смогут их слушать.",
    ),
    "sum.utm_fields_absent": (
        "{n} calls lack the UTM or referrer fields entirely.",
        "У звонков ({n}) вообще нет полей UTM-меток или источника.",
    ),
    "sum.utm_never_filled": (
        "None of {n} calls carries UTM tags. If the clinic uses call tracking, the provider drops them (choose a period with ad calls if it does not).",
        "Ни у одного из {n} звонков нет UTM-меток. Если у клиники есть коллтрекинг, провайдер их теряет (если нет — выберите период со звонками с рекламы).",
    ),
    "sum.referrer_never_filled": (
        "{n} calls have UTM tags but none has a referrer.",
        "У звонков с UTM-метками ({n}) нигде нет источника перехода.",
    ),
    "sum.utm_ok": (
        "{tracked} of {n} calls carry UTM tags; {referred} also carry the referrer.",
        "UTM-метки есть у {tracked} из {n} звонков; источник перехода — у {referred}.",
    ),
    "sum.tickets_unreadable": (
        "The site leads could not be read.",
        "Не удалось получить заявки с сайта.",
    ),
    "sum.no_tickets": (
        "No site leads in the period: nothing to check (allowed).",
        "В периоде нет заявок с сайта: проверять нечего (это допустимо).",
    ),
    "sum.tickets_ok": (
        "{n} leads, each with its own Id, the same when read again in small pages.",
        "Заявок: {n}; у каждой свой Id, при повторном чтении малыми страницами — те же.",
    ),
    "sum.tickets_bad": (
        "Lead Ids repeat or change between reads.",
        "Id заявок повторяются или меняются между чтениями.",
    ),
    "sum.needs_allow_writes": (
        "Not checked: sends data to the provider; run with --allow-writes.",
        "Не проверялось: отправляет данные провайдеру; запустите с --allow-writes.",
    ),
    "sum.needs_allow_calls": (
        "Not checked: rings real phones; run with --allow-calls --callback-employee ... --callback-client ....",
        "Не проверялось: звонит на реальные телефоны; запустите с --allow-calls --callback-employee ... --callback-client ....",
    ),
    "sum.timetable_ok": (
        "The schedule was accepted; without a key it was refused.",
        "Расписание принято; без ключа отклонено.",
    ),
    "sum.timetable_bad": (
        "The schedule is not handled as the spec says.",
        "Расписание обрабатывается не так, как требует спецификация.",
    ),
    "sum.callback_ok": (
        "The callback was placed and showed in the current calls.",
        "Звонок по клику создан и появился в текущих звонках.",
    ),
    "sum.callback_bad": (
        "The callback request was not accepted with 202.",
        "Запрос звонка по клику не принят с кодом 202.",
    ),
    "sum.callback_not_listed": (
        "The callback was accepted but never showed in the current calls.",
        "Звонок по клику принят, но не появился в текущих звонках.",
    ),
    "sum.callback_not_offered": (
        "The provider does not offer callback (HTTP {status}); that is allowed.",
        "Провайдер не предлагает звонок по клику (HTTP {status}); это допустимо.",
    ),
    "sum.conformance_ok": (
        "{n} generated requests to {operation}: all answers as documented.",
        "Сгенерированных запросов к {operation}: {n}; все ответы соответствуют описанию.",
    ),
    "sum.conformance_bad": (
        "{n} generated requests to {operation}: some answers differ from the spec.",
        "Сгенерированных запросов к {operation}: {n}; часть ответов не соответствует спецификации.",
    ),
    "sum.conformance_unreachable": (
        "{operation} could not be reached.",
        "Метод {operation} недоступен.",
    ),
    # evidence
    "ev.not_an_item": (
        "{endpoint}: an item is not an object with a DateAndTime carrying an offset: {item}",
        "{endpoint}: элемент не является объектом с DateAndTime с часовым поясом: {item}",
    ),
    "ev.edge_held": (
        "Call {call}: returned for a period starting at its start (UTC and +05:00), not for one ending there",
        "Звонок {call}: возвращается для периода, начинающегося в момент его начала (UTC и +05:00), и не возвращается для периода, который там заканчивается",
    ),
    "ev.refused_as_expected": ("{case}: {exchange}", "{case}: {exchange}"),
    "ev.link_played": ("{url} -> {status} {type}", "{url} -> {status} {type}"),
    "ev.link_secret_held": (
        "{url}: about {bits} random bits; with the secret altered -> {status}",
        "{url}: около {bits} случайных бит; с изменённым секретом -> {status}",
    ),
    "ev.page_too_long": (
        "{got} items for limit {limit}: a page never holds more than limit ({exchange})",
        "{got} элементов при limit {limit}: на странице не бывает больше limit ({exchange})",
    ),
    "ev.bad_page": (
        "An answer was not a JSON list: {exchange}",
        "Ответ не является JSON-списком: {exchange}",
    ),
    "ev.key_refused": (
        "The right key was refused: {exchange}",
        "Правильный ключ отклонён: {exchange}",
    ),
    "ev.missing_key_answered": (
        "Without a key the answer was not 401/403: {exchange}",
        "Без ключа ответ не 401/403: {exchange}",
    ),
    "ev.wrong_key_answered": (
        "With a wrong key the answer was not 401/403: {exchange}",
        "С неверным ключом ответ не 401/403: {exchange}",
    ),
    "ev.bad_input_accepted": (
        "{case}: accepted as if valid: {exchange}",
        "{case}: принято как верное: {exchange}",
    ),
    "ev.bad_input_crashed": (
        "{case}: server error instead of 4xx: {exchange}",
        "{case}: ошибка сервера вместо 4xx: {exchange}",
    ),
    "ev.outside_period": (
        "Call {call} is outside the period asked for [{start}, {end})",
        "Звонок {call} вне запрошенного периода [{start}, {end})",
    ),
    "ev.edge_missing": (
        "Call {call} is missing for [{start}, {end}) ({case})",
        "Звонок {call} не вернулся для [{start}, {end}) ({case})",
    ),
    "ev.edge_extra": (
        "Call {call} was returned for [{start}, {end}) ({case}) but started outside it",
        "Звонок {call} вернулся для [{start}, {end}) ({case}), хотя начался вне периода",
    ),
    "ev.duplicate": (
        "Call {call} came twice (pages of {limit})",
        "Звонок {call} пришёл дважды (страницы по {limit})",
    ),
    "ev.gap": (
        "Call {call} never came (pages of {limit})",
        "Звонок {call} так и не пришёл (страницы по {limit})",
    ),
    "ev.extra": (
        "Call {call} came only in small pages",
        "Звонок {call} пришёл только на маленьких страницах",
    ),
    "ev.order_differs": (
        "The order differs between pages of {limit} and pages of 1000",
        "Порядок отличается между страницами по {limit} и по 1000",
    ),
    "ev.page_changed": (
        "The same page (offset {offset}, limit {limit}) returned different calls twice",
        "Одна и та же страница (offset {offset}, limit {limit}) дважды вернула разные звонки",
    ),
    "ev.not_sorted": (
        "Not ordered by start time: {call} after {before}",
        "Нет сортировки по времени начала: {call} после {before}",
    ),
    "ev.short_page_mid_data": (
        "{endpoint}: limit {limit}, offset {offset} gave only {got} items, yet {more} more followed",
        "{endpoint}: limit {limit}, offset {offset} вернул только {got}, но дальше было ещё {more}",
    ),
    "ev.time_without_offset": (
        "{where}: time without offset: {value}",
        "{where}: время без часового пояса: {value}",
    ),
    "ev.live_not_listed": (
        "Call {call} was in progress at {at} but not listed",
        "Звонок {call} шёл в {at}, но не был в списке",
    ),
    "ev.ended_still_listed": (
        "Call {call} was still listed at {at}, after it ended",
        "Звонок {call} был в списке в {at}, уже после завершения",
    ),
    "ev.link_not_absolute": (
        "Not an absolute http(s) link: {url}",
        "Не абсолютная http(s)-ссылка: {url}",
    ),
    "ev.link_refused": (
        "{url} answered {status} without a key",
        "{url} без ключа ответил {status}",
    ),
    "ev.link_not_audio": (
        "{url} did not return audio (type {type})",
        "{url} отдал не звук (тип {type})",
    ),
    "ev.link_guessable": (
        "{url}: about {bits} random bits, 64 needed",
        "{url}: около {bits} случайных бит, нужно 64",
    ),
    "ev.link_secret_ignored": (
        "{url}: the altered link still plays",
        "{url}: изменённая ссылка всё равно открывается",
    ),
    "ev.link_secret_shared": (
        "Every link shares the same secret {token}",
        "У всех ссылок один и тот же секрет {token}",
    ),
    "ev.fields_absent": ("Call {call} lacks {fields}", "У звонка {call} нет полей {fields}"),
    "ev.ticket_id_repeated": (
        "Id {id} is used by {times} leads",
        "Id {id} встречается у {times} заявок",
    ),
    "ev.ticket_ids_changed": (
        "Read again in small pages, {n} Ids became {m} different ones",
        "При повторном чтении малыми страницами {n} Id изменились ({m})",
    ),
    "ev.write_refused": ("The request was refused: {exchange}", "Запрос отклонён: {exchange}"),
    "ev.conformance": ("{title}. Example: {example}", "{title}. Пример: {example}"),
    # one request and its answer: the request, status and body stay as data
    "ev.answer": ("{request} -> {status} {body}", "{request} -> {status} {body}"),
    "ev.status": ("{request} -> {status}", "{request} -> {status}"),
    "ev.status_and_detail": ("{request} -> {status}: {detail}", "{request} -> {status}: {detail}"),
    "ev.tool_said": ("Schemathesis says {detail}", "сообщение Schemathesis: {detail}"),
    "ev.no_answer": ("{request}: no answer ({error})", "{request}: нет ответа ({error})"),
    "ev.not_sent": (
        "{request}: not sent, the provider had stopped answering",
        "{request}: не отправлен, провайдер перестал отвечать",
    ),
    "ev.network_failed": ("The network failed: {error}", "Сбой сети: {error}"),
    # kinds of failed answers counted as instability ("HTTP 503" is shown as is)
    "ev.kind_count": ("{kind}: {n}", "{kind}: {n}"),
    "kind.timeout": ("timeout", "таймаут"),
    "kind.reset": ("dropped connection", "обрыв соединения"),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "ru" else pair[0]


def text(msg: Msg, lang: str = "en") -> str:
    """A message in `lang`; parameters that are messages themselves are translated too."""
    pair = MESSAGES.get(msg.key)
    if pair is None:
        if msg.key.startswith("conf."):  # a Schemathesis title we hold no translation of
            return text(Msg("conf.other", {"title": msg.key[5:]}), lang)
        return f"{msg.key} {msg.params}"
    params = {k: _param(v, lang) for k, v in msg.params.items()}
    try:
        return _pick(pair, lang).format(**params)
    except (KeyError, IndexError):
        return f"{_pick(pair, lang)} {params}"


def _param(value: Any, lang: str) -> Any:
    """A parameter as shown: messages translated, a list of them joined with commas."""
    if isinstance(value, Msg):
        return text(value, lang)
    if isinstance(value, list):
        return ", ".join(str(_param(v, lang)) for v in value)
    return value


def title(check_id: str, lang: str = "en", **params: Any) -> str:
    if check_id.startswith("conformance:"):
        return ui("conformance", lang, operation=check_id.split(":", 1)[1])
    pair = TITLES.get(check_id)
    return _pick(pair, lang) if pair else check_id


def progress_line(check_id: str, lang: str = "en") -> str:
    """The terminal's progress line while a check (or the conformance run) is under way."""
    what = ui("conformance_running", lang) if check_id == "conformance" else title(check_id, lang)
    return ui("checking_one", lang, what=what)


def why(check_id: str, lang: str = "en") -> str:
    pair = WHY.get(check_id.split(":", 1)[0])
    return _pick(pair, lang) if pair else ""


def ui(key: str, lang: str = "en", **params: Any) -> str:
    return _pick(UI[key], lang).format(**params)


def requirement_title(requirement: Requirement, lang: str = "en") -> str:
    return _pick(REQUIREMENTS[requirement], lang)


def status_word(status: Status, lang: str = "en") -> str:
    return _pick(STATUS[status], lang)


def capability_name(capability: Capability, lang: str = "en") -> str:
    return _pick(CAPABILITIES[capability], lang)


def support_word(support: Support, lang: str = "en") -> str:
    return _pick(SUPPORT[support], lang)


def support_note(capability: Capability, support: Support, lang: str = "en") -> str:
    pair = SUPPORT_NOTES.get((capability, support))
    return _pick(pair, lang) if pair else ""


def verdict_text(verdict: Verdict, lang: str = "en", **params: Any) -> str:
    return _pick(VERDICTS[verdict], lang).format(**params)
