"""RUC (Registro Único de Contribuyentes): normalisation, validation and the natural-person rule.

:func:`validate` is the reference: python-stdnum's ``stdnum.pe.ruc`` on the
normalised text, with each failure mapped to a stable issue code
(``requerido``, ``ruc_longitud``, ``ruc_formato``, ``ruc_tipo``, ``ruc_digito``;
the codes of ``pade.records.issues``). :func:`check_array` gives the same
verdict for a whole column at once, fast enough for the importer.

A RUC starting with 10, 15 or 17 belongs to a natural person: the RUC and the
name are personal data (``docs/decisions/0004-ruc-personal-data.md``).

Example:
    >>> validate(" 20512333-797 ")
    '20512333797'
    >>> is_natural_person("10054148289")
    True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]  # no stubs; pyproject may list it later
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]  # no stubs; pyproject may list it later
from stdnum import exceptions as stdnum_errors
from stdnum.pe import ruc as stdnum_ruc

from pade.core.errors import PadeError
from pade.core.i18n import t

PREFIXES = ("10", "15", "17", "20")
NATURAL_PERSON_PREFIXES = frozenset({"10", "15", "17"})

# What normalise() deletes: every character for which str.isspace() is true, the
# hyphen/dash family (spreadsheets turn "-" into "–") and the dot.
_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
               "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"
_DELETE = str.maketrans("", "", _WHITESPACE + _DASHES + ".")
# The same deletion restricted to ASCII, for the vectorised path (RE2 syntax; non-ASCII
# values take the scalar path, so only the ASCII part has to match).
_ASCII_DELETE_RE = r"[\t\n\x0b\x0c\r\x1c-\x1f .\-]"
_WEIGHTS = np.array([5, 4, 3, 2, 7, 6, 5, 4, 3, 2], dtype=np.int64)


class InvalidRuc(PadeError, ValueError):
    """A RUC that is not valid. ``code`` is the stable issue code, ``ruc`` the text as given."""

    http_status = 422

    def __init__(self, code: str, ruc: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.ruc = ruc


def normalise(raw: str) -> str:
    """Delete whitespace, dashes and dots: ``" 20512333-797 "`` → ``"20512333797"``."""
    return raw.translate(_DELETE)


def _message(code: str, shown: str) -> str:
    if code == "requerido":
        return t("the RUC is empty; write its 11 digits")
    if code == "ruc_longitud":
        return t("the RUC {ruc} does not have 11 digits; check the number on the SUNAT RUC record", ruc=shown)
    if code == "ruc_formato":
        return t("the RUC {ruc} contains characters other than digits; write only its 11 digits", ruc=shown)
    if code == "ruc_tipo":
        return t("the RUC {ruc} must start with 10, 15, 17 or 20; check the number", ruc=shown)
    return t("the RUC {ruc} has a wrong check digit; check the number on the SUNAT RUC record", ruc=shown)


def _code_of(raw: str) -> tuple[str | None, str]:
    """``(issue code or None, normalised value)`` for one non-null value: the single source of truth."""
    number = normalise(raw)
    if not number:
        return "requerido", number
    try:
        # stdnum also maps look-alike Unicode digits (fullwidth, mathematical) to ASCII.
        return None, str(stdnum_ruc.validate(number))
    except stdnum_errors.InvalidLength:
        return "ruc_longitud", number
    except stdnum_errors.InvalidFormat:
        return "ruc_formato", number
    except stdnum_errors.InvalidComponent:
        return "ruc_tipo", number
    except stdnum_errors.InvalidChecksum:
        return "ruc_digito", number


def validate(raw: str) -> str:
    """The normalised RUC if ``raw`` is valid.

    Raises:
        InvalidRuc: with ``code`` ``requerido`` (nothing but separators), ``ruc_longitud``
            (not 11 characters), ``ruc_formato`` (not only digits), ``ruc_tipo`` (prefix
            not 10/15/17/20) or ``ruc_digito`` (wrong check digit).

    Example:
        >>> validate("20131312956")
        Traceback (most recent call last):
        ...
        pade.registry.ruc.InvalidRuc: el RUC 20131312956 tiene un dígito verificador incorrecto; ...
    """
    code, number = _code_of(raw)
    if code is not None:
        raise InvalidRuc(code, raw, _message(code, number or raw.strip()))
    return number


def is_natural_person(ruc: str) -> bool:
    """True for a natural person's RUC (prefix 10, 15 or 17), whose RUC and name are personal data."""
    return ruc[:2] in NATURAL_PERSON_PREFIXES


def _as_string_array(values: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        return pa.array(values, type=pa.string())
    if values.type != pa.string():
        values = values.cast(pa.string())
    return values


def check_array(
    values: pa.Array | pa.ChunkedArray | Sequence[str | None],
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """Check a whole column of RUCs; the vectorised twin of :func:`validate`.

    Returns ``(normalised, codes)``: ``normalised[i]`` is what ``validate`` returns, or
    None where the value is missing or invalid; ``codes[i]`` is None where valid,
    ``"requerido"`` where null or empty, else the code ``validate`` would raise with.
    ASCII values are checked with pyarrow and numpy on an ``n × 11`` digit matrix;
    the rare non-ASCII value goes through :func:`validate` itself.
    """
    arr = _as_string_array(values)
    n = len(arr)
    codes = np.full(n, None, dtype=object)
    if n == 0:
        return np.full(0, None, dtype=object), codes

    present = arr.is_valid().to_numpy(zero_copy_only=False)
    ascii_ = pc.fill_null(pc.string_is_ascii(arr), False).to_numpy(zero_copy_only=False)
    cleaned = pc.replace_substring_regex(arr, pattern=_ASCII_DELETE_RE, replacement="")
    length = pc.fill_null(pc.binary_length(cleaned), 0).to_numpy(zero_copy_only=False)

    valid = np.zeros(n, dtype=bool)
    codes[~present] = "requerido"
    codes[ascii_ & (length == 0)] = "requerido"
    codes[ascii_ & (length != 0) & (length != 11)] = "ruc_longitud"
    eleven = ascii_ & (length == 11)
    rows = np.flatnonzero(eleven)
    if rows.size:
        code11, valid11 = _codes_of_digits(_digit_matrix(cleaned.filter(pa.array(eleven))))
        codes[rows] = code11
        valid[rows] = valid11

    normalised = cleaned.to_numpy(zero_copy_only=False)
    for i in np.flatnonzero(present & ~ascii_):
        code, number = _code_of(arr[int(i)].as_py())
        codes[i] = code
        valid[i] = code is None
        normalised[i] = number
    normalised[~valid] = None
    return normalised, codes


def _digit_matrix(strings: pa.Array) -> npt.NDArray[np.int64]:
    """``n × 11`` byte values minus ``"0"`` of a string array whose values are all 11 ASCII characters."""
    n = len(strings)
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32)[strings.offset: strings.offset + n + 1]
    start = int(offsets[0])
    data = np.frombuffer(strings.buffers()[2], dtype=np.uint8)[start: start + 11 * n]
    return data.reshape(n, 11).astype(np.int64) - ord("0")


def _codes_of_digits(digits: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.bool_]]:
    """Issue code per row of an ``n × 11`` digit matrix, in the order stdnum checks them, and the valid rows."""
    out = np.full(len(digits), None, dtype=object)
    is_digits = ((digits >= 0) & (digits <= 9)).all(axis=1)
    prefix = digits[:, 0] * 10 + digits[:, 1]
    known_prefix = np.isin(prefix, [int(p) for p in PREFIXES])
    check = (11 - (digits[:, :10] @ _WEIGHTS) % 11) % 10
    out[~is_digits] = "ruc_formato"
    out[is_digits & ~known_prefix] = "ruc_tipo"
    bad_check = check != digits[:, 10]
    out[is_digits & known_prefix & bad_check] = "ruc_digito"
    return out, is_digits & known_prefix & ~bad_check
