"""RUC validation: scalar codes and messages, the natural-person rule, and the vectorised twin."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import exceptions as stdnum_errors
from stdnum.pe import ruc as stdnum_ruc

from pade.core.errors import PadeError
from pade.registry.ruc import InvalidRuc, check_array, is_natural_person, normalise, validate

VALID = "20512333797"


def test_normalise_strips_separators() -> None:
    assert normalise(" 20.512.333-797\t") == VALID
    assert normalise("20 512 333 797") == VALID
    assert normalise("20\u00a0512\u2013333\u2014797") == VALID  # no-break space, en and em dashes


@pytest.mark.parametrize("raw", [VALID, " 20512333797 ", "20-51233379-7", "20.512.333.797", "10054148289"])
def test_valid_rucs(raw: str) -> None:
    assert validate(raw) == normalise(raw)


@pytest.mark.parametrize(("raw", "code", "phrase"), [
    ("2051233379", "ruc_longitud", "no tiene 11 dígitos"),
    ("205123337970", "ruc_longitud", "no tiene 11 dígitos"),
    ("2051233379A", "ruc_formato", "caracteres distintos de dígitos"),
    ("30512333797", "ruc_tipo", "debe empezar con 10, 15, 17 o 20"),
    ("20131312956", "ruc_digito", "dígito verificador incorrecto"),
    ("", "requerido", "vacío"),
    (" - ", "requerido", "vacío"),
])
def test_each_error_code(raw: str, code: str, phrase: str) -> None:
    with pytest.raises(InvalidRuc) as err:
        validate(raw)
    assert err.value.code == code
    assert phrase in str(err.value)
    assert isinstance(err.value, PadeError) and isinstance(err.value, ValueError)


def test_message_says_how_to_fix() -> None:
    with pytest.raises(InvalidRuc) as err:
        validate("20131312956")
    assert str(err.value) == (
        "el RUC 20131312956 tiene un dígito verificador incorrecto; revise el número en la ficha RUC de SUNAT"
    )


def test_lookalike_digits_are_read_as_digits_like_stdnum() -> None:
    assert validate("２０５１２３３３７９７") == VALID  # fullwidth digits


@pytest.mark.parametrize(("ruc", "person"), [
    ("10054148289", True), ("15000000001", True), ("17000000001", True), (VALID, False),
])
def test_natural_person_prefixes(ruc: str, person: bool) -> None:
    assert is_natural_person(ruc) is person


def test_check_array_on_arrow_and_list() -> None:
    values = [VALID, None, "", "2051233379", "2051233379A", "30512333797", "20131312956", " 20-512333797 ",
              "２０５１２３３３７９７", "2051233379é"]
    expected_codes = [None, "requerido", "requerido", "ruc_longitud", "ruc_formato", "ruc_tipo", "ruc_digito",
                      None, None, "ruc_formato"]
    expected_norm = [VALID, None, None, None, None, None, None, VALID, VALID, None]
    for given_values in (values, pa.array(values), pa.chunked_array([values[:3], values[3:]])):
        normalised, codes = check_array(given_values)
        assert codes.tolist() == expected_codes
        assert normalised.tolist() == expected_norm


def test_check_array_of_nothing() -> None:
    normalised, codes = check_array([])
    assert normalised.tolist() == [] and codes.tolist() == []


# -- the vectorised check, the scalar one and stdnum agree on every input -----------

_STDNUM_CODE = {
    stdnum_errors.InvalidLength: "ruc_longitud",
    stdnum_errors.InvalidFormat: "ruc_formato",
    stdnum_errors.InvalidComponent: "ruc_tipo",
    stdnum_errors.InvalidChecksum: "ruc_digito",
}


def _stdnum_code(value: str | None) -> str | None:
    """stdnum's verdict on the normalised value, in our codes (its own empty-string answer is a length error)."""
    if value is None or not normalise(value):
        return "requerido"
    try:
        stdnum_ruc.validate(normalise(value))
    except stdnum_errors.ValidationError as e:
        return _STDNUM_CODE[type(e)]
    return None


def _scalar(value: str | None) -> tuple[str | None, str | None]:
    if value is None:
        return None, "requerido"
    try:
        return validate(value), None
    except InvalidRuc as e:
        return None, e.code


@st.composite
def _valid_ruc(draw: st.DrawFn) -> str:
    body = draw(st.sampled_from(["10", "15", "17", "20"])) + draw(st.text("0123456789", min_size=8, max_size=8))
    return body + str(stdnum_ruc.calc_check_digit(body))


@st.composite
def _messy(draw: st.DrawFn, ruc: str) -> str:
    """Insert separators (spaces, dashes, dots, tabs, Unicode spaces/dashes) into a RUC."""
    chars = list(ruc)
    for _ in range(draw(st.integers(0, 4))):
        pos = draw(st.integers(0, len(chars)))
        chars.insert(pos, draw(st.sampled_from([" ", "-", ".", "\t", "\n", "\u00a0", "\u2013", "\u3000"])))
    return "".join(chars)


@st.composite
def _corrupted(draw: st.DrawFn, ruc: str) -> str:
    """Change one character, drop one, add one, or swap the prefix."""
    i = draw(st.integers(0, len(ruc) - 1))
    how = draw(st.sampled_from(["digit", "drop", "add", "letter", "prefix"]))
    if how == "digit":
        return ruc[:i] + draw(st.sampled_from("0123456789")) + ruc[i + 1:]
    if how == "drop":
        return ruc[:i] + ruc[i + 1:]
    if how == "add":
        return ruc[:i] + draw(st.sampled_from("0123456789")) + ruc[i:]
    if how == "letter":
        return ruc[:i] + draw(st.sampled_from("AxZ*/_é٣２𝟎")) + ruc[i + 1:]
    return draw(st.text("0123456789", min_size=2, max_size=2)) + ruc[2:]


_values = st.one_of(
    _valid_ruc(),
    _valid_ruc().flatmap(_messy),
    _valid_ruc().flatmap(_corrupted),
    _valid_ruc().flatmap(_corrupted).flatmap(_messy),
    st.text("0123456789 -.", max_size=14),
    st.text(max_size=14),
    st.none(),
)


@settings(max_examples=300)
@given(st.lists(_values, max_size=40))
def test_vector_equals_scalar_equals_stdnum(values: list[str | None]) -> None:
    normalised, codes = check_array(values)
    scalar = [_scalar(v) for v in values]
    assert list(zip(normalised.tolist(), codes.tolist(), strict=True)) == scalar
    assert [c for _, c in scalar] == [_stdnum_code(v) for v in values]


@given(_valid_ruc().flatmap(_messy))
def test_valid_survives_separators(raw: str) -> None:
    assert validate(raw) == normalise(raw)
    assert check_array([raw])[1].tolist() == [None]
