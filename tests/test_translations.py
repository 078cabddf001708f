"""The catalogues: every marked string translated in French, German and Spanish, .mo up to date.

Strings are extracted the way ``makemessages`` does for the ``django`` domain: ``.py`` files with
xgettext's Python keywords plus the ones makemessages adds, ``.html`` and ``.txt`` templates
through Django's own ``templatize()``. Babel stands in for GNU gettext (xgettext, msgfmt), so this
runs on a machine with only Python. The client gets its strings from the server; no English may
hide in its scripts or in a template outside ``{% translate %}``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import translation
from django.utils.translation.template import templatize

import sessions_live
from sessions_live.admin import dashboard_strings
from sessions_live.web.client_config import client_config, duration_text, signed_out_message

APP = Path(sessions_live.__file__).resolve().parent
LOCALE = APP / "locale"
LANGUAGES = ("fr", "de", "es")
#: The Plural-Forms header of each catalogue: GNU gettext's (and Django's own) rule.
PLURAL_FORMS = {
    "fr": "nplurals=2; plural=(n > 1);",
    "de": "nplurals=2; plural=(n != 1);",
    "es": "nplurals=2; plural=(n != 1);",
}
#: xgettext's keywords for Python and those makemessages passes it (babel's notation).
KEYWORDS: dict[str, Any] = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}
SCRIPTS = sorted((APP / "static").rglob("*.js"))
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")

#: (context, msgid) or (context, (singular, plural)).
Key = tuple[str | None, Any]


def _python_messages(source: str) -> Iterator[Key]:
    for _lineno, message, _comments, context in extract(
        "python", io.BytesIO(source.encode()), keywords=KEYWORDS
    ):
        yield context, tuple(message) if isinstance(message, tuple | list) else message


def source_messages() -> set[Key]:
    """Every message the app marks, as makemessages would find it."""
    found: set[Key] = set()
    for path in sorted(APP.rglob("*")):
        if "locale" in path.relative_to(APP).parts or not path.is_file():
            continue
        if path.suffix == ".py":
            found.update(_python_messages(path.read_text(encoding="utf-8")))
        elif path.suffix in (".html", ".txt"):
            code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
            found.update(_python_messages(code))
    return found


def catalogue(language: str) -> Catalog:
    path = LOCALE / language / "LC_MESSAGES" / "django.po"
    assert path.is_file(), f"missing catalogue {path.relative_to(APP.parent)}"
    with path.open("rb") as file:
        return read_po(file)


def entries(catalog: Catalog) -> dict[Key, Any]:
    """The translated messages of a catalogue, header aside."""
    return {
        (m.context, tuple(m.id) if isinstance(m.id, tuple | list) else m.id): (
            tuple(m.string) if isinstance(m.string, tuple | list) else m.string
        )
        for m in catalog
        if m.id
    }


@pytest.fixture(scope="module")
def marked() -> set[Key]:
    found = source_messages()
    assert len(found) > 50, "extraction found too little: is the keyword list right?"
    return found


def test_extraction_reads_python_templates_plurals_and_contexts(marked: set[Key]) -> None:
    assert (None, "Stay signed in") in marked  # a template
    assert (None, "Your session has ended.") in marked  # client_config.py
    assert (None, ("%(count)d second", "%(count)d seconds")) in marked
    assert ("session state", "active") in marked
    assert (
        None,
        (
            "This ends %(counter)s live session. Its tabs go to the login page at once.",
            "This ends %(counter)s live sessions. Their tabs go to the login page at once.",
        ),
    ) in marked


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_holds_exactly_the_marked_strings(language: str, marked: set[Key]) -> None:
    catalog = catalogue(language)
    present = set(entries(catalog))
    refresh = f"refresh it (docs/translations.md): sessions_live/locale/{language}"
    assert not sorted(map(str, marked - present)), f"missing from {refresh}"
    assert not sorted(map(str, present - marked)), f"no longer in the source: {refresh}"
    assert not catalog.obsolete, f"obsolete (#~) entries in {language}: {list(catalog.obsolete)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_translated_and_not_fuzzy(language: str) -> None:
    catalog = catalogue(language)
    headers = dict(catalog.mime_headers)
    assert headers["Language"] == language
    assert headers["Plural-Forms"] == PLURAL_FORMS[language]
    assert not catalog.fuzzy, "the header is marked fuzzy"
    for message in catalog:
        if not message.id:
            continue
        assert not message.fuzzy, f"fuzzy in {language}: {message.id!r}"
        if isinstance(message.id, tuple | list):
            forms = list(message.string)
            assert len(forms) == 2, f"{language}: {message.id!r} needs 2 plural forms"
            wanted = set(PLACEHOLDER.findall(message.id[1]))
        else:
            forms = [message.string]
            wanted = set(PLACEHOLDER.findall(message.id))
        for form in forms:
            assert form, f"untranslated in {language}: {message.id!r}"
            # Same named placeholders, or the string would fail or lose a value at run time.
            assert set(PLACEHOLDER.findall(form)) == wanted, f"{language}: {form!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_its_source(language: str) -> None:
    compiled = LOCALE / language / "LC_MESSAGES" / "django.mo"
    assert compiled.is_file(), f"missing {compiled.relative_to(APP.parent)}: compile it"
    fresh = io.BytesIO()
    write_mo(fresh, catalogue(language))
    fresh.seek(0)
    with compiled.open("rb") as file:
        committed = read_mo(file)
    expected = read_mo(fresh)
    assert entries(committed) == entries(expected), f"{compiled} is stale: compile it again"
    assert dict(committed.mime_headers)["Plural-Forms"] == PLURAL_FORMS[language]


def _string_literals(script: str) -> Iterator[str]:
    """The contents of a script's string and template literals (comments skipped)."""
    token = re.compile(
        r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`", re.S
    )
    for match in token.finditer(script):
        text = match.group()
        if text[0] in "\"'`":
            yield re.sub(r"\$\{[^}]*\}", "", text[1:-1])


#: Literals that look like words but are names the browser defines.
NOT_PROSE = {"Tab"}


def looks_like_prose(literal: str) -> bool:
    """Two words in a row, or a capitalised word: text for people, not a name for code."""
    if literal in NOT_PROSE:
        return False
    return bool(
        re.search(r"[^\W\d_]{2,}\s+[^\W\d_]{2,}", literal) or re.search(r"\b[A-Z][a-z]+\b", literal)
    )


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_scripts_hold_no_english(script: Path) -> None:
    literals = _string_literals(script.read_text(encoding="utf-8"))
    prose = [literal for literal in literals if looks_like_prose(literal)]
    assert prose == [], f"{script.name} shows text it did not get from the server"


def unmarked_text(source: str) -> list[str]:
    """Words of a template that reach the page without {% translate %}: visible text, and
    the attributes people read or hear."""
    # {% plural %} and the text around it are inside blocktranslate: drop those blocks whole.
    text = re.sub(r"\{% blocktranslate.*?\{% endblocktranslate %\}", "", source, flags=re.S)
    text = re.sub(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", "", text, flags=re.S)
    labels = re.findall(r'(?:aria-label|title|placeholder|alt)="([^"{]*[A-Za-z][^"]*)"', text)
    return labels + re.findall(r"[A-Za-z]{2,}", re.sub(r"<[^>]*>", " ", text))


@pytest.mark.parametrize(
    "template", sorted((APP / "templates").rglob("*.html")), ids=lambda path: path.name
)
def test_templates_mark_every_visible_word(template: Path) -> None:
    assert unmarked_text(template.read_text(encoding="utf-8")) == []


def test_the_english_detectors_detect_english() -> None:
    script = 'a = "Stay signed in"; // "a comment"\nb = `${n} Continue`; c = "[data-x=\'y\']"'
    assert list(_string_literals(script)) == ["Stay signed in", " Continue", "[data-x='y']"]
    assert [looks_like_prose(s) for s in _string_literals(script)] == [True, True, False]
    assert not looks_like_prose("sessions-live:warning")
    template = '{% load i18n %}<p title="Close">Hello {{ name }}</p>{% translate "Fine" %}'
    assert unmarked_text(template) == ["Close", "Hello"]


# What a French, German or Spanish user is told ------------------------------------------------


def po_translation(language: str, msgid: str, context: str | None = None) -> str:
    string = entries(catalogue(language))[context, msgid]
    assert isinstance(string, str)
    return string


def leaves(strings: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in strings.items():
        if isinstance(value, dict):
            flat.update(leaves(value, f"{prefix}{key}."))
        else:
            flat[prefix + key] = value
    return flat


#: For each language: the countdown template, 30 s and 2 min announced, plural forms at 0 and 1.
SPOKEN = {
    "fr": (
        "Votre session se fermera dans %(time)s.",
        "Votre session se fermera dans 40 secondes.",
        "Votre session se fermera dans 2 minutes.",
        ("0 seconde", "1 minute"),
    ),
    "de": (
        "Sie werden in %(time)s abgemeldet.",
        "Sie werden in 40 Sekunden abgemeldet.",
        "Sie werden in 2 Minuten abgemeldet.",
        ("0 Sekunden", "1 Minute"),
    ),
    "es": (
        "Su sesión se cerrará en %(time)s.",
        "Su sesión se cerrará en 40 segundos.",
        "Su sesión se cerrará en 2 minutos.",
        ("0 segundos", "1 minuto"),
    ),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_client_strings_come_translated(language: str, settings: Any) -> None:
    settings.SESSIONS_LIVE = {"WARN_AFTER": 300, "EXPIRE_AFTER": 600}
    with translation.override("en"):
        english = leaves(client_config()["strings"])
    with translation.override(language):
        translated = leaves(client_config()["strings"])
        zero, one = duration_text(0), duration_text(60)
    assert translated.keys() == english.keys()
    countdown, forty, two_minutes, plurals = SPOKEN[language]
    assert translated["countdown"] == countdown
    assert translated["announce.40"] == forty
    assert translated["announce.120"] == two_minutes
    assert (zero, one) == plurals
    for key, text in english.items():
        if not key.startswith("announce."):
            assert translated[key] == po_translation(language, text), key
        assert translated[key] != text, key


@pytest.mark.parametrize("language", LANGUAGES)
def test_dashboard_and_login_page_strings_come_translated(language: str, settings: Any) -> None:
    settings.SESSIONS_LIVE = {"EXPIRE_AFTER": 600}
    with translation.override("en"):
        english = leaves(dashboard_strings())
    with translation.override(language):
        translated = leaves(dashboard_strings())
        message = signed_out_message("idle")
    assert translated.keys() == english.keys()
    for key, text in english.items():
        context = "session state" if key.startswith("states.") else None
        assert translated[key] == po_translation(language, text, context), key
    expected = po_translation(language, "You were signed out after %(duration)s of inactivity.")
    with translation.override(language):
        assert message == expected % {"duration": duration_text(600)}


def test_the_dialog_renders_in_the_active_language(make_user: Any) -> None:
    request = RequestFactory().get("/")
    request.user = make_user()
    script = Template("{% load sessions_live %}{% sessions_live_script %}")
    with translation.override("fr"):
        html = script.render(Context({"request": request}))
    assert "Êtes-vous toujours là\u00a0?" in html
    assert ">Rester connecté</button>" in html
    assert "Votre session se fermera dans %(time)s." in html  # the config, for the script
    anonymous = RequestFactory().get("/")
    anonymous.user = AnonymousUser()
    assert script.render(Context({"request": anonymous})).strip() == ""
