"""The password rules of the settings: 12 to 128 characters, no common password, not only the
words of this service. Checked through `validate_password`, the way every form checks them."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.validators import DomainWordsValidator, MaximumLengthValidator

# Random-looking characters: no dictionary word, no common password, no part of a name.
RANDOM = "kq8#vz!m2pwXj7%tL0n$Yb4rGs9@eHu3&cWf6*Da1^Ni5(Oo2)Tk8_Mq7+Ze4=Ry"
PASSPHRASE = "velvet otters juggle cinnamon beneath quiet lanterns "


def refusal_codes(password: str, user: User | None = None) -> set[str]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return {e.code for e in exc.error_list if e.code}
    return set()


def test_validate_password_refuses_11_characters() -> None:
    assert refusal_codes(RANDOM[:11]) == {"password_too_short"}


def test_validate_password_accepts_12_characters() -> None:
    assert refusal_codes(RANDOM[:12]) == set()


@pytest.mark.parametrize("length", [64, 128])
def test_validate_password_accepts_long_passwords(length: int) -> None:
    password = (PASSPHRASE * 3)[:length]
    assert len(password) == length
    assert refusal_codes(password) == set()


def test_validate_password_refuses_129_characters() -> None:
    password = (PASSPHRASE * 3)[:129]
    assert refusal_codes(password) == {"password_too_long"}


def test_validate_password_refuses_common_password() -> None:
    assert refusal_codes("1qaz2wsx3edc") == {"password_too_common"}


@pytest.mark.parametrize(
    "password", ["hosting-portal-2026", "Admin.Password!2026", "webmail webmail webmail"]
)
def test_validate_password_refuses_only_domain_words(password: str) -> None:
    assert "password_domain_words" in refusal_codes(password)


def test_validate_password_accepts_passphrase_with_one_domain_word() -> None:
    assert refusal_codes("my cat keeps the hosting bill under her purple teacup") == set()


@pytest.mark.django_db
def test_validate_password_refuses_password_like_the_user_email() -> None:
    user = User(email="annalisa.bernasconi@example.com", first_name="Annalisa")
    assert "password_too_similar" in refusal_codes("annalisa.bernasconi", user)


def test_maximum_length_validator_message_names_the_limit() -> None:
    with pytest.raises(ValidationError) as caught:
        MaximumLengthValidator(max_length=20).validate("x" * 21)
    assert "at most 20 characters" in caught.value.messages[0]


def test_domain_words_validator_ignores_digits_only() -> None:
    # No word at all: this rule has nothing to say (length and common list decide).
    DomainWordsValidator().validate("20262026202620262026")
