"""The crawl of issue 14's quality gate: every page of the demo, as each demo role, in each offered
language, compared with the same page in English. A visible sentence left identical to English
is counted; the share of them must stay under 5% in every language.

What cannot be translated is not counted: the demo's own data (names of people, organizations,
products, tags, offer requests, addresses: every text value stored in the database), product and
technical names (kAuth, API, CHF...), numbers and dates, and the names of the languages in the
language menu, which are written in their own language on purpose. What is left is our text.

    uv run pytest tests/test_language_crawl.py -s     # prints the figures the README quotes
"""

from __future__ import annotations

import os
import re
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.test import Client

from accounts.models import User
from portal import demo
from tests.conftest import signed_in

# The figure the README quotes must stay under this, in every language.
MAX_SHARE_IDENTICAL = 0.05
# Bounds of one role's crawl (GET only, breadth first, the links a person can click).
MAX_PAGES = 45
MAX_VARIANTS_PER_PATH = 2
NOT_PAGES = re.compile(
    r"^/(static|media)/|^/api/|/download/|\.(pdf|csv|json|ya?ml|txt|ics|png|svg)$"
    r"|^/security/verify/|^/admin/(logout|password_change|jsi18n)/|/history/$"
    r"|^/accounts/(logout|language)/"
)
ADMIN_OBJECT = re.compile(r"^/admin/[^/]+/[^/]+/[^/]+/")
START = {
    "alice": ["/orgs/", "/accounts/profile/", "/security/two-factor/", "/security/"],
    "bob": ["/orgs/", "/accounts/profile/"],
    "carol": ["/orgs/", "/partners/offers/"],
    "dave": ["/orgs/"],
    "support": ["/admin/"],
}
# Names that stay the same in every language: products, protocols, units, the currency, and
# "Portal", the name of the site in its top bar and page titles.
TECHNICAL = re.compile(
    r"\b(Portal|kAuth|kDrive|API|REST|SMS|TOTP|WebAuthn|FIDO2?|YubiKey|CHF|EUR|2FA|IP|URL|JSON|HTTP|"
    r"OpenAPI|Swagger|ReDoc|CalDAV|CardDAV|IMAP|SMTP|DNS|SSL|TLS|iOS|Android|Django|OK|ID|"
    r"Thunderbird|Outlook|Apple|Google|Microsoft|Authenticator|Infomaniak|Bearer|Token)\b"
)
LETTERS = re.compile(r"[^\W\d_]{2,}")
VISIBLE_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
# Alternative texts Django's admin writes in English in every language (the yes/no icons of a
# list, the magnifier of the search box): in Django's code, not in any catalogue.
DJANGO_ADMIN_ALT = {"True", "False", "None", "Search"}


class _Text(HTMLParser):
    """The visible sentences of a page (text and the attributes people read), and its links."""

    SKIP = {"script", "style", "template", "svg", "select"}

    def __init__(self) -> None:
        super().__init__()
        self.segments: list[str] = []
        self.links: list[str] = []
        self._skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in self.SKIP:
            self._skipping.append(tag)
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))
        for name in VISIBLE_ATTRIBUTES:
            if name == "alt" and values.get(name) in DJANGO_ADMIN_ALT:
                continue
            if values.get(name):
                self.segments.append(str(values[name]))
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.segments.append(str(values["value"]))

    def handle_endtag(self, tag: str) -> None:
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self._skipping:
            self.segments.append(text)


def _parse(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


@dataclass
class Tally:
    segments: int = 0
    identical: list[tuple[str, str]] = field(default_factory=list)  # (page, sentence)

    @property
    def share(self) -> float:
        return len(self.identical) / self.segments if self.segments else 0.0


def _stored_texts() -> list[str]:
    """Every text value in the database (the demo's data) and the initials of its people (the
    avatar of the account menu), longest first."""
    found: set[str] = {user.initials for user in User.objects.all()}
    for model in apps.get_models():
        texts = [
            f.name
            for f in model._meta.get_fields()
            if isinstance(f, models.CharField | models.TextField) and not f.choices
        ]
        if texts and model._meta.app_label not in ("sessions", "contenttypes", "otp_static"):
            for row in model._default_manager.values_list(*texts):
                found.update(str(v) for v in row if v and len(str(v)) > 1)
    return sorted(found, key=len, reverse=True)


def _ours(segment: str, stored: list[str]) -> bool:
    """Whether the sentence has words of ours once data, names and numbers are taken out."""
    if segment.startswith("{"):  # a stored JSON value (the audit log's data) in the admin
        return False
    for value in stored:
        if len(value) <= 3:  # first names, initials, country codes: whole words only
            segment = re.sub(rf"\b{re.escape(value)}\b", " ", segment)
        elif value in segment:
            segment = segment.replace(value, " ")
    return bool(LETTERS.search(TECHNICAL.sub(" ", segment)))


def _crawl(client: Client, start: list[str]) -> list[str]:
    """The pages a person reaches by following links (in English), breadth first."""
    seen: list[str] = []
    variants: dict[str, int] = {}
    queue = deque(start)
    queued = set(start)
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        seen.append(url)
        for href in _parse(response.content.decode()).links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            if NOT_PAGES.search(parts.path):
                continue
            link = parts.path + (f"?{parts.query}" if parts.query else "")
            key = ADMIN_OBJECT.match(parts.path)
            family = key.group(0).rsplit("/", 2)[0] if key else parts.path
            if link in queued or variants.get(family, 0) >= MAX_VARIANTS_PER_PATH:
                continue
            variants[family] = variants.get(family, 0) + 1
            queued.add(link)
            queue.append(link)
    return seen


@pytest.fixture
def demo_cast(db: None) -> dict[str, User]:
    demo.seed()
    return {email.split("@")[0]: User.objects.get(email=email) for email, *_ in demo.DEMO_LOGINS}


def _client(name: str, user: User) -> Client:
    # Alice and support have two-factor methods: their sessions passed the second step.
    return signed_in(user, verified=name in ("alice", "support"))


def _set_language(user: User, language: str) -> None:
    User.objects.filter(pk=user.pk).update(language=language)


def test_every_language_leaves_under_5_percent_of_sentences_in_english(
    demo_cast: dict[str, User],
) -> None:
    stored = _stored_texts()
    languages = [code for code, _name in settings.LANGUAGES if code != "en"]
    tallies = {language: Tally() for language in languages}
    pages = 0
    for name, user in demo_cast.items():
        client = _client(name, user)
        _set_language(user, "en")
        urls = _crawl(client, START[name])
        pages += len(urls)
        english = {url: set(_parse(client.get(url).content.decode()).segments) for url in urls}
        for language in languages:
            _set_language(user, language)
            for url in urls:
                for segment in _parse(client.get(url).content.decode()).segments:
                    if not _ours(segment, stored):
                        continue
                    tallies[language].segments += 1
                    if segment in english[url]:
                        tallies[language].identical.append((url, segment))
        _set_language(user, "en")

    print(f"\n{pages} pages, {len(demo_cast)} roles")
    for language, tally in tallies.items():
        print(
            f"{language}: {len(tally.identical)} of {tally.segments} sentences identical to "
            f"English ({tally.share:.1%})"
        )
    if dump := os.environ.get("LANGUAGE_CRAWL_DUMP"):
        with open(dump, "w") as out:
            for language, tally in tallies.items():
                for (url, sentence), n in Counter(tally.identical).most_common():
                    out.write(f"{language}\t{n}\t{url}\t{sentence}\n")
    assert pages >= 60, "the crawl reached too few pages to say anything"
    for language, tally in tallies.items():
        worst = sorted({sentence for _url, sentence in tally.identical})[:40]
        assert tally.share < MAX_SHARE_IDENTICAL, f"{language}: {tally.share:.1%}: {worst}"


def test_the_tally_sees_an_english_sentence_and_skips_names() -> None:
    stored = ["Acme SA", "example3.ch"]
    assert _ours("Automatic renewal", stored)
    assert not _ours("Acme SA", stored)
    assert not _ours("example3.ch · CHF 15.00", stored)
    assert not _ours("kAuth", stored)
    assert not _ours("1003 Lausanne CH", ["1003", "Lausanne", "CH"])
    assert _ours("CHANGE", ["CH"])
    assert _parse("<p>Hello</p><select><option>Deutsch</option></select>").segments == ["Hello"]
