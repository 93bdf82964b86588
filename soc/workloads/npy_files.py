"""NumPy `.npy` and `.npz` files read safely: nothing is ever unpickled, and nothing is
allocated before the file shows it holds the data its header promises.

A file is checked against the size limit (`soc.limits`) first, then told apart by its
first bytes (`\\x93NUMPY` an array, `PK` a zip of arrays). Each array's header is read
alone: an object dtype (which only unpickling could read) is refused, and so is a
shape whose bytes are not exactly those left in the file or zip entry (truncated, or a
header that claims terabytes). An `.npz`'s entries are checked against the size limit by
their uncompressed sizes before any is inflated. Every refusal is one `WorkloadError`
naming the scenario key, the file and, in an `.npz`, the entry.
"""

from __future__ import annotations

import math
import zipfile
import zlib
from pathlib import Path
from tokenize import TokenError  # numpy parses a header's dict with tokenize
from typing import IO

import numpy as np
from numpy.lib import format as npy_format

from soc.errors import InputError, WorkloadError
from soc.limits import MAX_INPUT_ENV, check_input_file, max_input_bytes
from soc.units import echoed

NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a zip's first entry, or an empty zip
MAX_HEADER_BYTES = 10_000  # numpy's own default limit on an array header
MAX_ENTRIES = 100_000


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:120] if text else type(exc).__name__


def read_arrays(path: Path, key: str) -> dict[str, np.ndarray]:
    """The arrays of an `.npz` (by entry name, `.npy` dropped) or of one `.npy` (named
    after the file, `.npy` dropped)."""
    check_input_file(path, key)
    head = _head(path, key)
    if head.startswith(NPY_MAGIC):
        return {path.name.removesuffix(".npy"): read_npy(path, key)}
    if head.startswith(ZIP_MAGICS):
        return read_npz(path, key)
    raise WorkloadError(
        f"{key}: {path}: not an .npz or .npy file (neither a zip nor a NumPy header)"
    )


def read_npy(path: Path, key: str) -> np.ndarray:
    """The one array of an `.npy` file."""
    size = check_input_file(path, key)
    where = f"{key}: {path}"
    try:
        with path.open("rb") as fp:
            if not fp.read(len(NPY_MAGIC)).startswith(NPY_MAGIC):
                raise WorkloadError(f"{where}: not an .npy file (no NumPy header)")
            fp.seek(0)
            return _array(fp, size, where)
    except OSError as exc:
        raise WorkloadError(f"{where}: cannot be read ({_first_line(exc)})") from None


def read_npz(path: Path, key: str) -> dict[str, np.ndarray]:
    """The arrays of an `.npz` file, by entry name (`.npy` dropped)."""
    check_input_file(path, key)
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            _check_entries(path, key, entries)
            out = {}
            for info in entries:
                where = f"{key}: {path}, entry {echoed(info.filename)}"
                try:
                    with archive.open(info) as fp:
                        out[info.filename.removesuffix(".npy")] = _array(fp, info.file_size, where)
                except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
                    raise WorkloadError(f"{where}: corrupted ({_first_line(exc)})") from None
                except RuntimeError as exc:  # an encrypted entry
                    raise WorkloadError(f"{where}: cannot be read ({_first_line(exc)})") from None
            return out
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise WorkloadError(
            f"{key}: {path}: not an .npz file, or truncated ({_first_line(exc)})"
        ) from None


def _head(path: Path, key: str) -> bytes:
    try:
        with path.open("rb") as fp:
            return fp.read(8)
    except OSError as exc:
        raise WorkloadError(f"{key}: {path}: cannot be read ({_first_line(exc)})") from None


def _check_entries(path: Path, key: str, entries: list[zipfile.ZipInfo]) -> None:
    """Every entry an array, their inflated sizes within the size limit together."""
    if len(entries) > MAX_ENTRIES:
        raise WorkloadError(f"{key}: {path}: {len(entries):,} entries (at most {MAX_ENTRIES:,})")
    for info in entries:
        if not info.filename.endswith(".npy"):
            raise WorkloadError(
                f"{key}: {path}, entry {echoed(info.filename)}: not an .npy array (an .npz holds "
                "only '<name>.npy' entries)"
            )
    total, limit = sum(info.file_size for info in entries), max_input_bytes()
    if total > limit:
        raise InputError(
            f"{path}: {key}: its arrays inflate to {total:,} bytes, over the limit of "
            f"{limit:,} (set {MAX_INPUT_ENV} to raise it)"
        )


def _array(fp: IO[bytes], size: int, where: str) -> np.ndarray:
    """The array at the start of `fp` (`size` bytes long), its header checked first."""
    try:
        version = npy_format.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = npy_format.read_array_header_1_0(fp, MAX_HEADER_BYTES)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = npy_format.read_array_header_2_0(fp, MAX_HEADER_BYTES)
        else:
            raise ValueError(f"format version {version[0]}.{version[1]} is not one NumPy writes")
    except (ValueError, EOFError, SyntaxError, TypeError, ArithmeticError, TokenError) as exc:
        raise WorkloadError(f"{where}: not an .npy array ({_first_line(exc)})") from None
    if dtype.hasobject:
        raise WorkloadError(
            f"{where}: holds Python objects (dtype {dtype}), which only unpickling could read; "
            "refused"
        )
    wanted = math.prod(shape) * dtype.itemsize
    held = size - fp.tell()
    if wanted != held:
        state = "truncated" if wanted > held else "longer than its array"
        raise WorkloadError(
            f"{where}: {state}: its header says {'x'.join(map(str, shape)) or 'scalar'} "
            f"{dtype} ({wanted:,} bytes), the file holds {held:,} bytes of data"
        )
    if dtype.itemsize == 0:
        raise WorkloadError(f"{where}: dtype {dtype} has no bytes per element")
    buffer = bytearray(held)
    try:
        got = fp.readinto(buffer)
    except (OSError, EOFError) as exc:
        raise WorkloadError(f"{where}: cannot be read ({_first_line(exc)})") from None
    if got != held:
        raise WorkloadError(f"{where}: truncated ({got:,} of {held:,} bytes of data)")
    order = "F" if fortran else "C"
    return np.frombuffer(buffer, dtype=dtype).reshape(shape, order=order)
