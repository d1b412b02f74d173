"""Every tag colour keeps its text readable (WCAG AA, 4.5:1)."""

from __future__ import annotations

import pytest

from tags import colours


@pytest.mark.parametrize("colour", [c.value for c in colours.PALETTE])
def test_every_palette_colour_is_readable(colour: str) -> None:
    assert colours.contrast(colour, colours.text_colour(colour)) >= colours.MIN_CONTRAST
    assert colours.is_readable(colour)


def test_contrast_matches_the_wcag_reference_values() -> None:
    assert colours.contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert colours.contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_dark_text_on_light_colours_and_light_text_on_dark_ones() -> None:
    assert colours.text_colour("#f2c12e") == colours.DARK_TEXT
    assert colours.text_colour("#0b5cad") == colours.LIGHT_TEXT


@pytest.mark.parametrize("colour", ["#7a7a7a", "#7f7f7f", "#e24a3b", "#2e8b57"])
def test_a_colour_on_which_neither_text_reads_well_is_refused(colour: str) -> None:
    assert not colours.is_readable(colour)


@pytest.mark.parametrize("colour", ["", "blue", "#12345", "#1234567", "#gg0000", "0b5cad"])
def test_malformed_colours_are_refused(colour: str) -> None:
    assert not colours.is_readable(colour)
