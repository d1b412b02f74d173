"""The API token format `ptk_<32 base62><6-character CRC32 checksum>`: what a secret scanner
checks offline, and the randomness behind it."""

from __future__ import annotations

import math
import random
import string
import zlib

import pytest

from tokens import format as token_format

BASE62 = set(string.digits + string.ascii_letters)


def test_generate_has_the_prefix_the_length_and_the_alphabet() -> None:
    for _ in range(200):
        token = token_format.generate()

        assert token.startswith("ptk_")
        assert len(token) == 4 + 32 + 6
        assert set(token[4:]) <= BASE62


def test_generate_carries_at_least_128_random_bits() -> None:
    assert token_format.RANDOM_LENGTH * math.log2(len(token_format.ALPHABET)) >= 128
    # Every position takes many values: the random part is random, not a counter or a pattern.
    randoms = [token_format.generate()[4:36] for _ in range(2000)]
    assert len(set(randoms)) == len(randoms)
    for position in range(32):
        assert len({r[position] for r in randoms}) >= 50, position


def test_generate_ends_with_the_crc32_of_the_random_part_in_base62() -> None:
    """Recomputed here without the module's helper, as a scanner written elsewhere would. The
    digits of base62 are 0-9, then a-z, then A-Z (the README's "[0-9A-Za-z]" names the characters,
    not their order)."""
    alphabet = string.digits + string.ascii_lowercase + string.ascii_uppercase
    for _ in range(200):
        token = token_format.generate()
        random_part, check = token[4:36], token[36:]
        number = zlib.crc32(random_part.encode())
        expected = ""
        for _ in range(6):
            number, rest = divmod(number, 62)
            expected = alphabet[rest] + expected

        assert check == expected


def test_is_well_formed_accepts_generated_tokens() -> None:
    assert all(token_format.is_well_formed(token_format.generate()) for _ in range(500))


def test_is_well_formed_refuses_any_changed_character() -> None:
    """One character of the random part or of the checksum replaced by another of the alphabet:
    the checksum no longer matches. CRC32 catches every single-character change, so not one of
    these random mutations may pass."""
    rng = random.Random(20260101)
    alphabet = token_format.ALPHABET
    passed: list[str] = []
    for _ in range(5000):
        token = token_format.generate()
        position = rng.randrange(4, len(token))
        replacement = rng.choice([c for c in alphabet if c != token[position]])
        mutated = token[:position] + replacement + token[position + 1 :]
        random_part, check = mutated[4:36], mutated[36:]
        if token_format.checksum(random_part) == check or token_format.is_well_formed(mutated):
            passed.append(f"{token} -> {mutated}")

    assert passed == []


def test_is_well_formed_refuses_a_changed_prefix() -> None:
    rng = random.Random(11)
    for _ in range(500):
        token = token_format.generate()
        position = rng.randrange(4)
        replacement = rng.choice([c for c in token_format.ALPHABET + "_-" if c != token[position]])

        assert not token_format.is_well_formed(
            token[:position] + replacement + token[position + 1 :]
        )


def test_is_well_formed_refuses_two_swapped_characters() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        token = token_format.generate()
        i = rng.randrange(4, len(token) - 1)
        if token[i] == token[i + 1]:
            continue
        swapped = token[:i] + token[i + 1] + token[i] + token[i + 2 :]

        assert not token_format.is_well_formed(swapped), (token, swapped)


@pytest.mark.parametrize(
    "candidate",
    [
        "",
        "ptk_",
        "ptk_" + "a" * 38,  # right length and alphabet, wrong checksum
        "PTK_" + "a" * 38,
        "xyz_" + "a" * 38,
        "ptk-" + "a" * 38,
    ],
)
def test_is_well_formed_refuses_look_alikes(candidate: str) -> None:
    assert not token_format.is_well_formed(candidate)


def test_is_well_formed_refuses_wrong_length_or_foreign_characters() -> None:
    token = token_format.generate()
    random_part = token[4:36]

    assert not token_format.is_well_formed(token[:-1])
    assert not token_format.is_well_formed(token + "a")
    assert not token_format.is_well_formed(" " + token[1:])
    assert not token_format.is_well_formed(token[:-1] + "\u0661")  # ARABIC-INDIC DIGIT ONE
    # A random part of other characters with the checksum computed for it: still refused.
    foreign = "-" + random_part[1:]
    assert not token_format.is_well_formed(f"ptk_{foreign}{token_format.checksum(foreign)}")


def test_is_well_formed_accepts_a_hand_built_token_with_a_correct_checksum() -> None:
    """The checksum alone decides between two otherwise identical candidates: what a scanner
    relies on, documented in the README."""
    random_part = "0123456789abcdefghijABCDEFGHIJzZ"
    right = f"ptk_{random_part}{token_format.checksum(random_part)}"
    wrong = f"ptk_{random_part}{'000000' if not right.endswith('000000') else '000001'}"

    assert token_format.is_well_formed(right)
    assert not token_format.is_well_formed(wrong)
