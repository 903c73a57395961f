"""The reader on real files written to tmp_path: encodings, delimiters, bad lines, sheets, merged headers."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from openpyxl import Workbook  # type: ignore[import-untyped, unused-ignore]

from pade.records.readers import RawTable, UnreadableFile, normalise_header, read_table

WriteCsv = Callable[..., Path]


@pytest.fixture
def write_csv(tmp_path: Path) -> WriteCsv:
    """Write ``text`` (or raw ``data``) to a file in tmp_path, as the entity's spreadsheet would."""

    def write(text: str = "", *, encoding: str = "utf-8", name: str = "datos.csv", data: bytes | None = None) -> Path:
        path = tmp_path / name
        path.write_bytes(data if data is not None else text.encode(encoding))
        return path

    return write


def rows(raw: RawTable) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = raw.data.to_pylist()
    return records


# -- CSV ----------------------------------------------------------------------------------------------------


def test_cp1252_semicolon_with_decimal_commas_and_accented_headers(write_csv: WriteCsv) -> None:
    path = write_csv(
        "RUC;Razón Social;Año;Monto\r\n"
        "20131312955;Agroexportadora Ñuñoa S.A.C.;2024;1.234,56\r\n"
        "20100047218;Bodega San José;2023;-15,5\r\n",
        encoding="cp1252",
    )
    raw = read_table(path)
    assert raw.meta.format == "csv"
    assert raw.meta.encoding == "cp1252"
    assert raw.meta.delimiter == ";"
    assert raw.meta.decimal_comma is True
    assert raw.meta.header_row == 1
    assert raw.columns == ["ruc", "razon_social", "ano", "monto"]
    assert raw.original_columns == ["RUC", "Razón Social", "Año", "Monto"]
    assert rows(raw)[0] == {"ruc": "20131312955", "razon_social": "Agroexportadora Ñuñoa S.A.C.", "ano": "2024",
                            "monto": "1.234,56"}
    assert rows(raw)[1]["razon_social"] == "Bodega San José"
    assert raw.row_numbers.tolist() == [2, 3]
    assert raw.row_numbers.dtype == np.int64
    assert raw.bad_lines == []
    assert len(raw.file_hash) == 64


def test_utf8_bom_comma_without_decimal_comma(write_csv: WriteCsv) -> None:
    path = write_csv('\ufeffRUC,Razón Social,Monto\n20131312955,"Comercial Andina, S.A.C.",1500.50\n',
                     encoding="utf-8")
    raw = read_table(path)
    assert raw.meta.encoding == "utf-8-sig"
    assert raw.meta.delimiter == ","
    assert raw.meta.decimal_comma is False
    assert raw.columns == ["ruc", "razon_social", "monto"]
    assert rows(raw) == [{"ruc": "20131312955", "razon_social": "Comercial Andina, S.A.C.", "monto": "1500.50"}]


def test_plain_utf8_and_no_decimal_comma_in_semicolon_file(write_csv: WriteCsv) -> None:
    raw = read_table(write_csv("ruc;año;monto\n20131312955;2024;1500\n"))
    assert raw.meta.encoding == "utf-8"
    assert raw.meta.decimal_comma is False


def test_latin1_when_bytes_are_undefined_in_cp1252(write_csv: WriteCsv) -> None:
    # A legacy export whose free-text column kept a C1 control byte (0x8D, "reverse line feed" in
    # ISO-8859-1): cp1252 cannot decode it, so the file is read as Latin-1 and nothing is lost.
    data = "Razón Social;Observación\nPanadería Ñaña;revisado\x8d por la entidad\n".encode("latin-1")
    raw = read_table(write_csv(data=data))
    assert raw.meta.encoding == "latin-1"
    assert raw.columns == ["razon_social", "observacion"]
    assert rows(raw) == [{"razon_social": "Panadería Ñaña", "observacion": "revisado\x8d por la entidad"}]


def test_malformed_lines_are_returned_with_their_line_numbers(write_csv: WriteCsv) -> None:
    path = write_csv("ruc;nombre;monto\n"
                     "20131312955;Uno;10\n"
                     "20100047218;Dos;20;sobra\n"
                     "20100047219;Tres\n"
                     "20100047220;Cuatro;40\n")
    raw = read_table(path)
    assert [r["nombre"] for r in rows(raw)] == ["Uno", "Cuatro"]
    assert raw.row_numbers.tolist() == [2, 5]
    assert raw.bad_lines == [(3, "20100047218;Dos;20;sobra"), (4, "20100047219;Tres")]


def test_quoted_delimiter_and_newline_keep_later_line_numbers_right(write_csv: WriteCsv) -> None:
    path = write_csv('ruc;direccion;monto\r\n'
                     '20131312955;"Av. Arequipa 123; piso 2\r\nMiraflores";10\r\n'
                     '20100047218;"Jr. ""El Sol"" 45";20\r\n'
                     '20100047219;Calle 8;30 ;extra\r\n'
                     '20100047220; Calle 9 ;40\r\n')
    raw = read_table(path)
    assert rows(raw)[0]["direccion"] == "Av. Arequipa 123; piso 2\r\nMiraflores"
    assert rows(raw)[1]["direccion"] == 'Jr. "El Sol" 45'
    assert rows(raw)[2] == {"ruc": "20100047220", "direccion": "Calle 9", "monto": "40"}
    assert raw.row_numbers.tolist() == [2, 4, 6]
    assert raw.bad_lines == [(5, "20100047219;Calle 8;30 ;extra")]


def test_quoted_single_line_values_with_blank_and_bad_lines(write_csv: WriteCsv) -> None:
    path = write_csv('"ruc","nombre"\r\n"1","Uno, dos"\r\n\r\n"2","Tres","sobra"\r\n"3","Cuatro ""4"""\r\n')
    raw = read_table(path)
    assert raw.meta.delimiter == ","
    assert rows(raw) == [{"ruc": "1", "nombre": "Uno, dos"}, {"ruc": "3", "nombre": 'Cuatro "4"'}]
    assert raw.row_numbers.tolist() == [2, 5]
    assert raw.bad_lines == [(4, '"2","Tres","sobra"')]


def test_blank_and_empty_field_lines_are_dropped_but_counted(write_csv: WriteCsv) -> None:
    path = write_csv("ruc;nombre\n20131312955;Uno\n\n   \n;\n ; \n20100047218;Dos\n\n\n")
    raw = read_table(path)
    assert [r["nombre"] for r in rows(raw)] == ["Uno", "Dos"]
    assert raw.row_numbers.tolist() == [2, 7]
    assert raw.bad_lines == []


def test_cells_are_stripped_and_blanks_are_null(write_csv: WriteCsv) -> None:
    raw = read_table(write_csv("a;b;c\n  x ;\u00a0 ;\n"))
    assert rows(raw) == [{"a": "x", "b": None, "c": None}]


def test_header_found_below_title_lines(write_csv: WriteCsv) -> None:
    path = write_csv("Reporte de inscripciones 2024;;\nGenerado por el sistema\n\n"
                     "RUC;Fecha de Inscripción;Programa\n20131312955;2024-05-04;P01\n")
    raw = read_table(path, expected_columns=["ruc", "fecha_inscripcion", "programa"])
    assert raw.meta.header_row == 4
    assert raw.columns == ["ruc", "fecha_de_inscripcion", "programa"]
    assert raw.row_numbers.tolist() == [5]
    assert raw.bad_lines == []


def test_title_line_skipped_without_expected_columns(write_csv: WriteCsv) -> None:
    raw = read_table(write_csv("Reporte 2024\nruc;programa\n20131312955;P01\n"))
    assert raw.meta.header_row == 2
    assert raw.columns == ["ruc", "programa"]


def test_duplicate_and_blank_headers(write_csv: WriteCsv) -> None:
    raw = read_table(write_csv("RUC;Monto;;monto;Monto\n1;2;3;4;5\n"))
    assert raw.columns == ["ruc", "monto", "columna_3", "monto_2", "monto_3"]
    assert raw.original_columns == ["RUC", "Monto", "", "monto", "Monto"]


def test_header_fitted_to_the_data(write_csv: WriteCsv) -> None:
    padded = read_table(write_csv("ruc;monto\n1;2;3\n4;5;6\n", name="corto.csv"))
    assert padded.columns == ["ruc", "monto", "columna_3"]
    assert padded.bad_lines == []
    trimmed = read_table(write_csv("ruc;monto;;\n1;2\n4;5\n", name="largo.csv"))
    assert trimmed.columns == ["ruc", "monto"]
    assert trimmed.data.num_rows == 2


def test_tab_delimited_txt(write_csv: WriteCsv) -> None:
    raw = read_table(write_csv("ruc\tmonto\n20131312955\t1500,5\n", name="datos.txt"))
    assert raw.meta.delimiter == "\t"
    assert raw.meta.decimal_comma is True
    assert rows(raw) == [{"ruc": "20131312955", "monto": "1500,5"}]


def test_header_only_is_an_empty_table(write_csv: WriteCsv) -> None:
    raw = read_table(write_csv("ruc;monto\r\n\r\n"))
    assert raw.columns == ["ruc", "monto"]
    assert raw.data.num_rows == 0
    assert raw.data.schema.names == ["ruc", "monto"]
    assert raw.row_numbers.tolist() == []


@pytest.mark.parametrize("text", ["", "\n\n  \r\n", "\ufeff"])
def test_empty_file_is_refused(write_csv: WriteCsv, text: str) -> None:
    with pytest.raises(UnreadableFile, match=r"datos\.csv"):
        read_table(write_csv(text))


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize(
    ("body", "line"),
    [
        ('20131312955;Uno\n20100047218;"Dos\n20100047219;Tres\n', 3),
        ('20131312955;"Uno\n20100047218;Dos\n', 2),
        ('20131312955;"Uno\nen dos";x\n20100047218;"Dos ""y"" \n20100047219;Tres\n', 4),
    ],
)
def test_unclosed_quote_is_refused_with_its_line(write_csv: WriteCsv, body: str, line: int, newline: str) -> None:
    path = write_csv(("ruc;nombre\n" + body).replace("\n", newline))
    with pytest.raises(UnreadableFile, match=rf"datos\.csv\D+{line}\b"):
        read_table(path)


def test_multiline_last_record_is_not_an_unclosed_quote(write_csv: WriteCsv) -> None:
    raw = read_table(write_csv('ruc;nombre\r\n1;Uno\r\n2;"Dos\r\n""en"" tres\r\nlíneas"\r\n'))
    assert rows(raw)[-1]["nombre"] == 'Dos\r\n"en" tres\r\nlíneas'
    assert raw.row_numbers.tolist() == [2, 3]


def test_utf16_is_refused(write_csv: WriteCsv) -> None:
    with pytest.raises(UnreadableFile, match=r"datos\.csv"):
        read_table(write_csv("ruc\tmonto\n1\t2\n", encoding="utf-16"))


def test_missing_file_and_unsupported_type(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match=r"nada\.csv"):
        read_table(tmp_path / "nada.csv")
    old = tmp_path / "datos.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(UnreadableFile, match=r"\.xls\b.*\.csv, \.txt, \.xlsx") as error:
        read_table(old)
    assert isinstance(error.value, ValueError)


def _reference(text: str) -> tuple[list[int], list[list[str]], list[int]]:
    """Line numbers, stripped values and bad lines, computed record by record with the csv module."""
    reader = csv.reader(io.StringIO(text, newline="").readlines(), delimiter=";")
    next(reader)  # the header
    good: list[int] = []
    values: list[list[str]] = []
    bad: list[int] = []
    while True:
        start = reader.line_num + 1
        record = next(reader, None)
        if record is None:
            return good, values, bad
        if not any(c.strip() for c in record):
            continue
        if len(record) == 3:
            good.append(start)
            values.append([c.strip() for c in record])
        else:
            bad.append(start)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_line_numbers_match_a_record_by_record_reading_across_blocks(write_csv: WriteCsv, seed: int) -> None:
    # ~1.6 MB, so Arrow parses more than one 1 MB block; anomalies are spread over the whole file.
    rng = random.Random(seed)
    out = ["ruc;nombre;nota"]
    for i in range(40_000):
        roll = rng.random()
        if roll < 0.002:
            out.append(f"{i};fila {i};x;de más")
        elif roll < 0.004:
            out.append("")
        elif roll < 0.006:
            out.append(f'{i};"dos\nlíneas {i}";"con ""comillas"" y ;"')
        elif roll < 0.007:
            out.append(f'{i};"tres\r\nlíneas\n{i}";z')
        else:
            out.append(f"{i};empresa número {i} S.A.C.;{rng.randint(0, 20)}")
    text = "\n".join(out) + "\n"
    assert len(text.encode()) > 1_200_000
    raw = read_table(write_csv(text))
    lines, values, bad = _reference(text)
    assert raw.row_numbers.tolist() == lines
    assert [list(r.values()) for r in rows(raw)] == values
    assert [line for line, _ in raw.bad_lines] == bad
    assert len(bad) > 40 and len(lines) > 39_000
    assert all(text.split("\n")[line - 1] == raw_text for line, raw_text in raw.bad_lines)


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("Fecha de Inscripción", "fecha_de_inscripcion"),
        ("RUC", "ruc"),
        ("  Razón  Social ", "razon_social"),
        ("N° de RUC", "n_de_ruc"),
        ("Monto (S/.)", "monto_s"),
        ("Año-Fiscal", "ano_fiscal"),
        ("e.mail", "e_mail"),
        ("_cuarentena_id", "_cuarentena_id"),
        (" __Motivos__ ", "_motivos"),
        ("-Nota-", "nota"),
        ("", ""),
    ],
)
def test_normalise_header(header: str, name: str) -> None:
    assert normalise_header(header) == name


# -- XLSX ---------------------------------------------------------------------------------------------------


@pytest.fixture
def make_xlsx(tmp_path: Path) -> Callable[..., Path]:
    """A workbook with an instructions sheet and a data sheet: a merged title, a merged header, numbers as RUC."""

    def make(*, name: str = "datos.xlsx", title: bool = True, extra_rows: Sequence[Sequence[Any]] = ()) -> Path:
        wb = Workbook()
        notes = wb.active
        notes.title = "Instrucciones"
        notes.append(["Complete la hoja Datos. No cambie los encabezados."])
        ws = wb.create_sheet("Datos")
        if title:
            ws.append(["Beneficiarios del programa 2024"])
            ws.merge_cells("A1:F1")
            ws.append([])
        ws.append(["RUC", "Razón Social", "Monto", None, "Fecha de Inscripción", "Avance"])
        ws.merge_cells(start_row=ws.max_row, start_column=3, end_row=ws.max_row, end_column=4)
        ws.append([20131312955, "  Comercial Andina S.A.C. ", 1500.5, 200, datetime(2024, 5, 4), 0.15])
        ws.cell(row=ws.max_row, column=6).number_format = "0%"
        ws.append([])
        ws.append([20100047218.0, "Bodega San José", 1000.0, None, date(2023, 12, 31), True])
        for row in extra_rows:
            ws.append(list(row))
        for r in range(ws.max_row + 1, ws.max_row + 4):  # trailing rows Excel keeps because they are formatted
            ws.cell(row=r, column=1).number_format = "@"
            ws.cell(row=r, column=2, value="   ")
        path = tmp_path / name
        wb.save(path)
        return path

    return make


EXPECTED = ["ruc", "razon_social", "monto", "fecha_inscripcion"]


def test_xlsx_data_on_second_sheet_with_merged_title_and_header(make_xlsx: Callable[..., Path]) -> None:
    raw = read_table(make_xlsx(), expected_columns=EXPECTED)
    assert raw.meta.format == "xlsx"
    assert raw.meta.sheet == "Datos"
    assert raw.meta.encoding is None and raw.meta.delimiter is None and raw.meta.decimal_comma is False
    assert raw.meta.header_row == 3
    assert raw.columns == ["ruc", "razon_social", "monto", "monto_2", "fecha_de_inscripcion", "avance"]
    assert raw.original_columns == ["RUC", "Razón Social", "Monto", "Monto_2", "Fecha de Inscripción", "Avance"]
    assert rows(raw) == [
        {"ruc": "20131312955", "razon_social": "Comercial Andina S.A.C.", "monto": "1500.5", "monto_2": "200",
         "fecha_de_inscripcion": "2024-05-04", "avance": "0.15"},
        {"ruc": "20100047218", "razon_social": "Bodega San José", "monto": "1000", "monto_2": None,
         "fecha_de_inscripcion": "2023-12-31", "avance": "true"},
    ]
    assert raw.row_numbers.tolist() == [4, 6]
    assert raw.bad_lines == []


def test_xlsx_title_skipped_without_expected_columns(make_xlsx: Callable[..., Path]) -> None:
    raw = read_table(make_xlsx(), sheet="Datos")
    assert raw.meta.header_row == 3
    assert raw.columns[:3] == ["ruc", "razon_social", "monto"]


def test_xlsx_cells_beyond_the_header_get_a_column(make_xlsx: Callable[..., Path]) -> None:
    raw = read_table(make_xlsx(title=False, extra_rows=[[20100047219, None, None, None, None, None, "nota"]]),
                     expected_columns=EXPECTED)
    assert raw.meta.header_row == 1
    assert raw.columns[-1] == "columna_7"
    assert rows(raw)[-1]["columna_7"] == "nota"
    assert raw.row_numbers.tolist() == [2, 4, 5]


def test_xlsx_unknown_sheet_lists_the_sheets(make_xlsx: Callable[..., Path]) -> None:
    with pytest.raises(UnreadableFile, match=r"Resumen.*Instrucciones, Datos"):
        read_table(make_xlsx(), sheet="Resumen")


def test_xlsx_first_non_empty_sheet_by_default(tmp_path: Path) -> None:
    wb = Workbook()
    wb.active.title = "Vacía"
    wb.create_sheet("Hoja2").append(["ruc", "monto"])
    path = tmp_path / "solo_encabezado.xlsx"
    wb.save(path)
    raw = read_table(path)
    assert raw.meta.sheet == "Hoja2"
    assert raw.columns == ["ruc", "monto"]
    assert raw.data.num_rows == 0


def test_xlsx_empty_and_corrupt(tmp_path: Path) -> None:
    empty = tmp_path / "vacio.xlsx"
    Workbook().save(empty)
    with pytest.raises(UnreadableFile, match=r"vacio\.xlsx"):
        read_table(empty)
    broken = tmp_path / "roto.xlsx"
    broken.write_bytes(b"PK\x03\x04 this is not a workbook")
    with pytest.raises(UnreadableFile, match=r"roto\.xlsx"):
        read_table(broken)
