"""Read an uploaded CSV or XLSX file into a :class:`RawTable` of strings: the importer's first stage.

Nothing is typed here: every cell comes back as stripped text (or null when
blank), so validation sees what the entity wrote. What the reader decides
about the file (encoding, delimiter, decimal comma, sheet, header row) is
recorded in :class:`SourceMeta`, and every data row keeps the line (CSV) or
row (XLSX) number it has in the original file, so messages point at it.

CSV is parsed by ``pyarrow.csv`` in one pass with no per-row Python: about
0.4 s for a million rows of six columns. The file is read once into memory.
XLSX goes through openpyxl's read-only mode, row by row (~20,000 rows/s).
Both formats share the header rules and the :class:`RawTable` contract, which
is why they live in one module a little over the usual size.

Example:
    >>> raw = read_table(Path("inscripciones.csv"), expected_columns=["ruc", "fecha_inscripcion"])
    >>> raw.columns, raw.meta.delimiter, raw.row_numbers[:2]
    (['ruc', 'razon_social', 'fecha_de_inscripcion'], ';', array([2, 3]))
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import logging
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]
import pyarrow.csv as pacsv  # type: ignore[import-untyped, unused-ignore]
from openpyxl import load_workbook  # type: ignore[import-untyped, unused-ignore]
from openpyxl.utils.cell import range_boundaries  # type: ignore[import-untyped, unused-ignore]
from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped, unused-ignore]

from pade.core.errors import PadeError
from pade.core.i18n import t

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".csv", ".txt", ".xlsx")
HEADER_SEARCH_ROWS = 20  # the header must start within the first 20 rows (lines) of the file
SAMPLE_BYTES = 1 << 20  # the head of a CSV used to detect delimiter, header and column count
SAMPLE_RECORDS = 100
DECIMAL_SAMPLE_ROWS = 5_000
DELIMITERS = (";", ",", "\t")  # in order of preference on a tie
UNDEFINED_IN_CP1252 = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
MATCH_STOPWORDS = frozenset({"de", "del", "la", "el"})  # same words validate.canonical() ignores
# A number written with a decimal comma: "1.234,56", "-0,5", "1500,50". Not "1,234" in a "," file:
# the check only runs when the delimiter is not ",", where an unquoted comma can only be a decimal mark.
DECIMAL_COMMA = r"^-?\d{1,3}(\.\d{3})*,\d+$|^-?\d+,\d+$"
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')


class UnreadableFile(PadeError, ValueError):
    """The uploaded file cannot be read as a table (missing, empty, corrupt or of an unsupported type)."""

    http_status = 422


@dataclass(frozen=True)
class SourceMeta:
    """What the reader found out about the file."""

    format: str  # "csv" | "xlsx"
    encoding: str | None  # "utf-8", "utf-8-sig", "cp1252", "latin-1" (None for xlsx)
    delimiter: str | None  # ",", ";" or "\t" (None for xlsx)
    decimal_comma: bool  # numbers in this file use "," as the decimal separator
    sheet: str | None
    header_row: int  # 1-based line (CSV) or row (XLSX) of the header in the original file


@dataclass(frozen=True)
class RawTable:
    """A file's records as text. ``data`` has one ``pa.string()`` column per name in ``columns``."""

    columns: list[str]  # normalised header names, in file order
    original_columns: list[str]  # as written in the file
    data: pa.Table  # stripped values; blank cells are null; fully blank rows are dropped
    row_numbers: npt.NDArray[np.int64]  # 1-based line (CSV) or row (XLSX) of each data row
    meta: SourceMeta
    file_hash: str  # sha256 of the file bytes
    bad_lines: list[tuple[int, str]] = field(default_factory=list)  # CSV records with the wrong number of fields


def normalise_header(name: str) -> str:
    """Header text as a column name: ``"Fecha de Inscripción"`` -> ``"fecha_de_inscripcion"``.

    Accents are stripped (NFKD), the text is lowercased, and every run of
    characters other than ``a-z`` and ``0-9`` becomes one ``_``, trimmed at both
    ends except for a leading underscore written in the file: PADE's own columns
    (``_cuarentena_id`` in a quarantine export) keep it.
    """
    decomposed = unicodedata.normalize("NFKD", name.strip())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    body = _NOT_WORD.sub("_", plain).strip("_")
    return f"_{body}" if body and plain.startswith("_") else body


def read_table(path: Path, *, sheet: str | None = None, expected_columns: Sequence[str] = ()) -> RawTable:
    """Read a CSV (``.csv``, ``.txt``) or Excel (``.xlsx``) file into a :class:`RawTable`.

    Args:
        path: the uploaded file.
        sheet: the worksheet to read (XLSX only); by default the one whose header
            has the most ``expected_columns``.
        expected_columns: column names the caller wants; they choose the sheet and
            the header row (a title above the header is skipped).

    Raises:
        UnreadableFile: the file is missing, empty, damaged, of an unsupported
            type, or ``sheet`` does not exist. A CSV record with the wrong number
            of fields is not an error: it is returned in ``bad_lines``.
    """
    if not path.is_file():
        raise UnreadableFile(t("{file}: file not found", file=path.name))
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableFile(t("{file}: unsupported file type {suffix}; supported types: {supported}",
                               file=path.name, suffix=suffix or "-", supported=", ".join(SUPPORTED_SUFFIXES)))
    expected = {_match_key(normalise_header(c)) for c in expected_columns} - {""}
    try:
        raw = _read_xlsx(path, sheet, expected) if suffix == ".xlsx" else _read_csv(path, path.read_bytes(), expected)
    except OSError as e:
        raise UnreadableFile(t("{file}: the file cannot be read ({error})", file=path.name,
                               error=e.strerror or e)) from e
    log.info("read file format=%s rows=%d bad_lines=%d columns=%d header_row=%d", raw.meta.format,
             raw.data.num_rows, len(raw.bad_lines), len(raw.columns), raw.meta.header_row)
    return raw


# -- header --------------------------------------------------------------------------------------


def _match_key(name: str) -> str:
    return "_".join(w for w in name.split("_") if w not in MATCH_STOPWORDS)


def _column_names(originals: Sequence[str]) -> list[str]:
    """Normalised, unique names: blanks become ``columna_N``, repeats get ``_2``, ``_3``."""
    seen: set[str] = set()
    names = []
    for position, original in enumerate(originals, start=1):
        base = normalise_header(original) or f"columna_{position}"
        name, suffix = base, 2
        while name in seen:
            name, suffix = f"{base}_{suffix}", suffix + 1
        seen.add(name)
        names.append(name)
    return names


def _pick_header(rows: Sequence[Sequence[str | None]], expected: set[str]) -> int | None:
    """Index of the header among the first rows of a file, or None when they are all blank.

    With ``expected`` columns: the first row with the most cells naming one of them.
    Otherwise (or when no row names any): the first row with two or more non-empty
    cells, which skips a title above the header; else the first non-empty row.
    """
    filled = [sum(1 for c in row if c and c.strip()) for row in rows]
    if expected:
        scores = [sum(1 for c in row if c and _match_key(normalise_header(c)) in expected) for row in rows]
        if max(scores, default=0) > 0:
            return scores.index(max(scores))
    for minimum in (2, 1):
        for i, n in enumerate(filled):
            if n >= minimum:
                return i
    return None


# -- CSV -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Record:
    line: int  # first line of the record (1-based)
    end_line: int  # last line
    end_char: int  # offset in the sample text just after the record's line break
    cells: list[str]


@dataclass(frozen=True)
class _Layout:
    """Where the header and the body of a CSV file are, and how to read them."""

    encoding: str
    delimiter: str
    header_line: int
    first_line: int  # line of the first record after the header
    originals: list[str]  # header cells, fitted to the data's field count
    start: int  # byte offsets of the body (after the header, before trailing blank lines)
    end: int


def _read_csv(path: Path, data: bytes, expected: set[str]) -> RawTable:
    file_hash = hashlib.sha256(data).hexdigest()
    layout = _csv_layout(path, data, expected)
    names = _column_names(layout.originals)
    meta = SourceMeta(format="csv", encoding=layout.encoding, delimiter=layout.delimiter, decimal_comma=False,
                      sheet=None, header_row=layout.header_line)
    if layout.start >= layout.end:  # header only
        empty = pa.table({n: pa.array([], pa.string()) for n in names})
        return RawTable(names, layout.originals, empty, np.empty(0, np.int64), meta, file_hash)
    quoted = data.find(b'"', layout.start, layout.end) != -1
    table, invalid = _parse_body(path, data, layout, names, quoted=quoted)
    starts, breaks = _record_lines(table, invalid, data, layout, quoted=quoted)
    if len(breaks) and breaks[-1]:
        _refuse_unclosed_quote(path, data, layout, line=int(starts[-1]), breaks=int(breaks[-1]))
    kept = np.ones(len(starts), dtype=bool)
    kept[[number - 1 for number, _ in invalid]] = False
    bad_lines = [(int(starts[number - 1]), text) for number, text in invalid if text.strip()]
    table, lines = _drop_blank_rows(_clean(table), starts[kept])
    meta = replace(meta, decimal_comma=layout.delimiter != "," and _has_decimal_comma(table))
    return RawTable(names, layout.originals, table, lines, meta, file_hash, bad_lines)


def _csv_layout(path: Path, data: bytes, expected: set[str]) -> _Layout:
    """Detect the encoding, the delimiter and the header on the head of the file."""
    encoding = _detect_encoding(path, data)
    text = _sample(data, encoding)
    delimiter = _detect_delimiter(text)
    records = _sample_records(text, delimiter)
    index = _pick_header([r.cells for r in records if r.line <= HEADER_SEARCH_ROWS], expected)
    if index is None:
        raise UnreadableFile(t("{file}: the file is empty", file=path.name))
    header = records[index]
    originals = _settle_width(header.cells, [r.cells for r in records[index + 1:] if any(c.strip() for c in r.cells)])
    start = len(text[: header.end_char].encode("utf-8" if encoding == "utf-8-sig" else encoding))
    start += len(codecs.BOM_UTF8) if encoding == "utf-8-sig" else 0
    end = _content_end(data, b" \r\n" if delimiter == "\t" else b" \t\r\n")
    return _Layout(encoding, delimiter, header.line, header.end_line + 1, originals, start, end)


def _content_end(data: bytes, blank: bytes) -> int:
    """Offset after the last byte that is not trailing blank space or an empty line (without copying ``data``)."""
    end = len(data)
    while end and data[end - 1] in blank:
        end -= 1
    return end


def _detect_encoding(path: Path, data: bytes) -> str:
    """BOM -> utf-8-sig; valid UTF-8 -> utf-8; else cp1252, or latin-1 if a byte cp1252 leaves undefined occurs."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or data.find(b"\x00", 0, SAMPLE_BYTES) != -1:
        raise UnreadableFile(t("{file}: this is not a text CSV file (it is UTF-16 or binary). Save it from Excel "
                               "as CSV UTF-8 or upload the .xlsx workbook", file=path.name))
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    # Arrow validates UTF-8 over the whole buffer without copying it (~20 ms for 70 MB).
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64).tobytes())
    try:
        pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)]).validate(full=True)
        return "utf-8"
    except pa.ArrowInvalid:
        pass
    if any(data.find(b) != -1 for b in UNDEFINED_IN_CP1252):
        return "latin-1"
    return "cp1252"


def _sample(data: bytes, encoding: str) -> str:
    """The head of the file as text, cut after its last complete line."""
    final = len(data) <= SAMPLE_BYTES
    text: str = codecs.getincrementaldecoder(encoding)().decode(data[:SAMPLE_BYTES], final=final)
    if not final:
        text = text[: max(text.rfind("\n"), text.rfind("\r")) + 1]
    return text


def _detect_delimiter(text: str) -> str:
    """The candidate that splits the first records into the most consistent number (≥ 2) of fields.

    Each candidate is counted outside quotes (``csv.reader``) on the header and the
    following lines; the score is how many records have the most common field count,
    then that count. A ";" file with unquoted "1.234,56" amounts still picks ";":
    its title and header lines have no comma.
    """
    lines = _LINE.findall(text)[:SAMPLE_RECORDS]
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            counts = Counter(len(r) for r in csv.reader(lines, delimiter=delimiter) if any(c.strip() for c in r))
        except csv.Error:
            continue
        if not counts:
            continue
        fields, records = counts.most_common(1)[0]
        if fields >= 2 and (records, fields) > best_score:
            best, best_score = delimiter, (records, fields)
    return best


def _sample_records(text: str, delimiter: str) -> list[_Record]:
    """The first records of the sample with their line numbers and where each ends."""
    lines = _LINE.findall(text)
    consumed = {"lines": 0, "chars": 0}

    def feed() -> Iterator[str]:  # csv.reader pulls one line at a time, so the counts track its position
        for line in lines:
            consumed["lines"] += 1
            consumed["chars"] += len(line)
            yield line

    records: list[_Record] = []
    try:
        for cells in csv.reader(feed(), delimiter=delimiter):
            first = records[-1].end_line + 1 if records else 1
            records.append(_Record(first, consumed["lines"], consumed["chars"], cells))
            if len(records) >= SAMPLE_RECORDS and first > HEADER_SEARCH_ROWS:
                break
    except csv.Error:  # a quote left open in the sample: Arrow reports the record later
        pass
    return records


def _settle_width(header: list[str], sample: list[list[str]]) -> list[str]:
    """Fit the header to the field count of most data records: pad it, or drop trailing blank cells."""
    if not sample:
        return header
    fields = Counter(len(r) for r in sample).most_common(1)[0][0]
    if fields > len(header):
        return header + [""] * (fields - len(header))
    if fields < len(header) and not any(c.strip() for c in header[fields:]):
        return header[:fields]
    return header


def _parse_body(path: Path, data: bytes, layout: _Layout, names: list[str], *,
                quoted: bool) -> tuple[pa.Table, list[tuple[int, str]]]:
    """Parse the records after the header; records with a wrong field count are returned apart.

    Arrow runs single-threaded so that it numbers the records it rejects (a
    parallel read leaves ``InvalidRow.number`` empty); it costs ~0.05 s per million rows.
    Empty lines are kept as records so that body record ``k`` is the ``k``-th one Arrow sees.
    """
    invalid: list[tuple[int, str]] = []

    def on_invalid(row: Any) -> str:
        invalid.append((int(row.number), str(row.text)))
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(data).slice(layout.start, layout.end - layout.start)),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False,
                                           encoding="utf8" if layout.encoding.startswith("utf-8") else layout.encoding),
            parse_options=pacsv.ParseOptions(delimiter=layout.delimiter, newlines_in_values=quoted,
                                             ignore_empty_lines=False, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as e:
        raise UnreadableFile(t("{file}: the CSV file cannot be read ({error}). Check that every quoted value is "
                               "closed with a quotation mark", file=path.name, error=str(e))) from e
    return table, invalid


def _line_breaks(values: Any) -> npt.NDArray[np.int64]:
    """Line breaks inside each value (CRLF counts once), as Arrow keeps them in quoted values."""
    n = pc.count_substring(values, "\n").to_numpy(zero_copy_only=False).astype(np.int64)
    n += pc.count_substring(values, "\r").to_numpy(zero_copy_only=False)
    n -= pc.count_substring(values, "\r\n").to_numpy(zero_copy_only=False)
    return np.asarray(n, dtype=np.int64)


def _body_line_breaks(data: bytes, layout: _Layout) -> int:
    """Line breaks in the body (CRLF counts once): one fewer than the records when no value spans lines."""
    lf = data.count(b"\n", layout.start, layout.end)
    if data.find(b"\r", layout.start, layout.end) == -1:
        return lf
    return lf + data.count(b"\r", layout.start, layout.end) - data.count(b"\r\n", layout.start, layout.end)


def _record_lines(table: pa.Table, invalid: list[tuple[int, str]], data: bytes, layout: _Layout, *,
                  quoted: bool) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The first line of every body record (parsed or rejected), and the line breaks inside each.

    Body record ``k`` (1-based) starts on line ``first_line + k - 1`` plus the line
    breaks inside the quoted values of the records before it.
    """
    total = table.num_rows + len(invalid)
    breaks = np.zeros(total, dtype=np.int64)
    if quoted and _body_line_breaks(data, layout) > total - 1:  # some quoted value spans lines
        kept = np.ones(total, dtype=bool)
        kept[[number - 1 for number, _ in invalid]] = False
        for column in table.columns:
            breaks[kept] += _line_breaks(column)
        for number, text in invalid:
            breaks[number - 1] = text.count("\n") + text.count("\r") - text.count("\r\n")
    starts = layout.first_line + np.arange(total, dtype=np.int64) + np.cumsum(breaks) - breaks
    return starts, breaks


def _refuse_unclosed_quote(path: Path, data: bytes, layout: _Layout, *, line: int, breaks: int) -> None:
    """Refuse a file whose last record holds a quote that never closes.

    Arrow reads such a quote to the end of the file, so the rest of the file
    would become one value. Only a last record that spans lines is checked.
    """
    has_cr = data.find(b"\r", layout.start, layout.end) != -1
    limit, begin = layout.end, layout.start
    for _ in range(breaks + 1):  # walk back over the record's line breaks to the one before it
        cut = max(data.rfind(b"\n", layout.start, limit), data.rfind(b"\r", layout.start, limit) if has_cr else -1)
        if cut == -1:
            begin = layout.start
            break
        begin = cut + 1
        limit = cut - 1 if data[cut] == 0x0A and cut > layout.start and data[cut - 1] == 0x0D else cut
    text = data[begin:layout.end].decode("utf-8" if layout.encoding == "utf-8-sig" else layout.encoding)
    opened = _unclosed_quote(text, layout.delimiter)
    if opened is not None:
        line += text.count("\n", 0, opened) + text.count("\r", 0, opened) - text.count("\r\n", 0, opened)
        raise UnreadableFile(t("{file}, line {line}: a quotation mark opened on this line is never closed. Close "
                               "it or remove it and upload the file again", file=path.name, line=line))


def _unclosed_quote(record: str, delimiter: str) -> int | None:
    """Offset of a quote that opens a field of ``record`` and never closes, read as Arrow does.

    A quote opens a field only at its start; inside, ``""`` is a literal quote.
    """
    inside, opened, at = False, 0, record.find('"')
    while at != -1:
        if not inside:
            if at == 0 or record[at - 1] in (delimiter, "\n", "\r"):
                inside, opened = True, at
            at = record.find('"', at + 1)
        elif record.startswith('""', at):
            at = record.find('"', at + 2)
        else:
            inside = False
            at = record.find('"', at + 1)
    return opened if inside else None


def _clean(table: pa.Table) -> pa.Table:
    """Strip surrounding whitespace (including the no-break space); blank values become null."""
    null = pa.scalar(None, pa.string())
    columns = []
    for column in table.columns:
        stripped = pc.utf8_trim_whitespace(column)
        columns.append(pc.if_else(pc.equal(stripped, ""), null, stripped))
    return pa.table(columns, names=table.column_names)


def _drop_blank_rows(table: pa.Table, lines: npt.NDArray[np.int64]) -> tuple[pa.Table, npt.NDArray[np.int64]]:
    if table.num_columns == 0 or any(c.null_count == 0 for c in table.columns):
        return table, lines
    keep = pc.is_valid(table.column(0))
    for column in table.columns[1:]:
        keep = pc.or_(keep, pc.is_valid(column))
    mask = np.asarray(keep.to_numpy(zero_copy_only=False), dtype=bool)
    return table.filter(keep), lines[mask]


def _has_decimal_comma(table: pa.Table) -> bool:
    """Whether any cell of the first rows is a number written with a decimal comma."""
    head = table.slice(0, DECIMAL_SAMPLE_ROWS)
    return any(bool(pc.any(pc.match_substring_regex(c, DECIMAL_COMMA)).as_py()) for c in head.columns)


# -- XLSX ----------------------------------------------------------------------------------------


def _read_xlsx(path: Path, sheet: str | None, expected: set[str]) -> RawTable:
    with path.open("rb") as fh:
        file_hash = hashlib.file_digest(fh, "sha256").hexdigest()
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, EOFError, ParseError) as e:
        raise _corrupt(path, e) from e
    try:
        worksheet = _choose_sheet(path, workbook, sheet, expected)
        try:
            rows = [(number, cells) for number, cells in _sheet_rows(worksheet) if cells]
        except (zipfile.BadZipFile, KeyError, ValueError, EOFError, ParseError) as e:
            raise _corrupt(path, e) from e
    finally:
        workbook.close()
    head = [cells for number, cells in rows if number <= HEADER_SEARCH_ROWS]
    index = _pick_header(head, expected)
    if index is None:
        raise UnreadableFile(t("{file}: the file is empty", file=path.name))
    header_row, header = rows[index]
    body = rows[index + 1:]
    width = max(len(header), *(len(cells) for _, cells in body)) if body else len(header)
    originals = [c or "" for c in header] + [""] * (width - len(header))
    for first, last in _merged_header_spans(path, worksheet, header_row):
        for column in range(first + 1, min(last, width - 1) + 1):
            if originals[first] and not originals[column]:
                originals[column] = f"{originals[first]}_{column - first + 1}"
    names = _column_names(originals)
    columns = {name: pa.array([cells[j] if j < len(cells) else None for _, cells in body], pa.string())
               for j, name in enumerate(names)}
    meta = SourceMeta(format="xlsx", encoding=None, delimiter=None, decimal_comma=False, sheet=worksheet.title,
                      header_row=header_row)
    row_numbers = np.array([number for number, _ in body], dtype=np.int64)
    return RawTable(names, originals, pa.table(columns), row_numbers, meta, file_hash)


def _corrupt(path: Path, error: Exception) -> UnreadableFile:
    return UnreadableFile(t("{file}: the file is not a valid Excel workbook (.xlsx) or it is damaged ({error}). "
                            "Open it in Excel and save it again as .xlsx", file=path.name,
                            error=str(error) or type(error).__name__))


def _choose_sheet(path: Path, workbook: Any, sheet: str | None, expected: set[str]) -> Any:
    """The named sheet, else the first whose header names the most expected columns, else the first non-empty."""
    sheets = [ws for ws in workbook.worksheets if hasattr(ws, "iter_rows")]  # skip chart sheets
    if sheet is not None:
        for ws in sheets:
            if ws.title == sheet or ws.title.strip().casefold() == sheet.strip().casefold():
                return ws
        raise UnreadableFile(t("{file}: there is no sheet {sheet}; sheets in the file: {sheets}", file=path.name,
                               sheet=sheet, sheets=", ".join(ws.title for ws in sheets)))
    if not sheets:
        raise UnreadableFile(t("{file}: the file is empty", file=path.name))
    best, best_score = None, 0
    for ws in sheets:
        head = [cells for number, cells in _sheet_rows(ws, max_row=HEADER_SEARCH_ROWS)]
        score = max((sum(1 for c in row if c and _match_key(normalise_header(c)) in expected) for row in head),
                    default=0)
        if best is None and any(head):
            best = ws
        if score > best_score:
            best, best_score = ws, score
    return best if best is not None else sheets[0]


def _sheet_rows(worksheet: Any, max_row: int | None = None) -> Iterator[tuple[int, list[str | None]]]:
    """``(row number, cells as text)`` for every row, trailing empty cells trimmed."""
    worksheet.reset_dimensions()  # a wrong <dimension> in the file would otherwise cut rows short
    for number, values in enumerate(worksheet.iter_rows(max_row=max_row, values_only=True), start=1):
        cells = [_cell_text(v) for v in values]
        while cells and cells[-1] is None:
            cells.pop()
        yield number, cells


def _cell_text(value: Any) -> str | None:
    """A cell as the entity sees it: ``20131312955`` not ``20131312955.0``; dates as ``YYYY-MM-DD``.

    A date-time keeps its date only: record fields are dates, and Excel often
    stores a date typed by hand as midnight of that day.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, int | Decimal):
        return str(value)
    return str(value).strip() or None


def _merged_header_spans(path: Path, worksheet: Any, header_row: int) -> list[tuple[int, int]]:
    """0-based ``(first, last)`` columns of the merged ranges that start on the header row.

    Read-only worksheets do not expose ``merged_cells``, and loading the workbook
    without ``read_only`` costs ~50x the memory, so the ``<mergeCell>`` elements
    are scanned in the sheet's XML stream (they follow the cell data).
    """
    member = getattr(worksheet, "_worksheet_path", None)  # set by openpyxl's ReadOnlyWorksheet
    if not member:
        return []
    refs: set[bytes] = set()
    with zipfile.ZipFile(path) as archive, archive.open(member.lstrip("/")) as stream:
        tail = b""
        while chunk := stream.read(1 << 20):
            window = tail + chunk
            refs.update(m.group(1) for m in _MERGE_REF.finditer(window))
            tail = window[-512:]
    spans = []
    for ref in refs:
        min_col, min_row, max_col, _ = range_boundaries(ref.decode("ascii"))
        if min_row == header_row and max_col > min_col:
            spans.append((min_col - 1, max_col - 1))
    return sorted(spans)
