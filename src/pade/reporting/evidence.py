"""Evidence files of reported values: checked by content, stored once by their sha256 under the data dir.

The type is decided by the file's first bytes (and, for CSV, by being plain text), never by the
name or the browser's content type, and the file is served back with the content type of the
type PADE recognised, as a download.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pade.core.errors import InvalidDefinition, NotFound
from pade.core.i18n import t

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
EVIDENCE_DIR = "evidencias"

CONTENT_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "png": "image/png",
    "jpg": "image/jpeg",
}
_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "pdf": (".pdf",), "xlsx": (".xlsx",), "csv": (".csv", ".txt"), "png": (".png",), "jpg": (".jpg", ".jpeg"),
}


class EvidenceRefused(InvalidDefinition):
    """The uploaded evidence is too large, empty or of a type PADE does not accept."""


@dataclass(frozen=True, slots=True)
class StoredEvidence:
    file_name: str
    sha256: str
    size_bytes: int
    type: str


def sniff(data: bytes, file_name: str) -> str:
    """The evidence type of ``data`` (``pdf``, ``xlsx``, ``csv``, ``png``, ``jpg``).

    Raises:
        EvidenceRefused: the bytes are none of the accepted types, or do not match the file's extension.
    """
    if data.startswith(b"%PDF-"):
        found = "pdf"
    elif data.startswith(b"\x89PNG\r\n\x1a\n"):
        found = "png"
    elif data.startswith(b"\xff\xd8\xff"):
        found = "jpg"
    elif data.startswith(b"PK\x03\x04") and b"xl/" in data[:65536]:
        found = "xlsx"
    elif _is_text(data):
        found = "csv"
    else:
        raise EvidenceRefused(t("evidence {name}: the file is not a PDF, XLSX, CSV, PNG or JPG. Upload one of "
                                "those types, or give the address (URL) of the document.", name=file_name))
    if not file_name.lower().endswith(_EXTENSIONS[found]):
        raise EvidenceRefused(t("evidence {name}: its content is {kind} but its name does not end in {ext}. "
                                "Rename the file or upload the right one.", name=file_name, kind=found.upper(),
                                ext=" o ".join(_EXTENSIONS[found])))
    return found


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False


def safe_name(file_name: str) -> str:
    """The base name only, without path parts or control characters, at most 200 characters."""
    base = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in base if c.isprintable() and c not in '"<>|:*?').strip() or "evidencia"
    return cleaned[-200:]


def store_evidence(root: Path, data: bytes, file_name: str) -> StoredEvidence:
    """Check ``data`` and write it under ``root/evidencias`` named by its sha256 (once per content).

    Raises:
        EvidenceRefused: empty, larger than :data:`MAX_EVIDENCE_BYTES`, or not an accepted type.
    """
    name = safe_name(file_name)
    if not data:
        raise EvidenceRefused(t("evidence {name}: the file is empty.", name=name))
    if len(data) > MAX_EVIDENCE_BYTES:
        raise EvidenceRefused(t("evidence {name}: {size} MB is over the limit of {limit} MB. Upload a smaller "
                                "file or give the document's address (URL).", name=name,
                                size=f"{len(data) / 1048576:.1f}", limit=MAX_EVIDENCE_BYTES // 1048576))
    kind = sniff(data, name)
    digest = hashlib.sha256(data).hexdigest()
    path = evidence_path(root, digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a crash never leaves a half file under the final name.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".subida-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    return StoredEvidence(name, digest, len(data), kind)


def evidence_path(root: Path, sha256: str) -> Path:
    return root / EVIDENCE_DIR / sha256[:2] / sha256


def read_evidence(root: Path, sha256: str) -> bytes:
    """The stored bytes of the evidence with that hash.

    Raises:
        NotFound: the file is missing from the data folder.
    """
    path = evidence_path(root, sha256)
    if not path.is_file():
        raise NotFound(t("the evidence file {hash} is missing from the data folder {folder}; restore it from "
                         "the backup.", hash=sha256[:12], folder=str(root / EVIDENCE_DIR)))
    return path.read_bytes()
