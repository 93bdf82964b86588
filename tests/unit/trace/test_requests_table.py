"""The requests table: rows written come back as written, streamed in row groups; a
stream per master in issue order with indices for what each request waited for."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soc.errors import TraceFormatError
from soc.kernel.ports import REQUEST_COLUMNS
from soc.runner.replay import streams_from_rows
from soc.trace.requests import RequestTableWriter, read_requests

rows = st.lists(
    st.tuples(
        st.sampled_from(["dma", "cpu", "camera"]),
        st.integers(0, 10**6),
        st.integers(0, 2**40),
        st.integers(1, 4096),
        st.booleans(),
        st.integers(0, 3),
        st.integers(0, 10**12),
        st.integers(0, 10**12),
        st.integers(0, 10**12),
        st.one_of(st.none(), st.integers(0, 10**6)),
        st.integers(0, 10**9),
    ),
    max_size=300,
)


@settings(max_examples=40, deadline=None)
@given(rows)
def test_round_trip(tmp_path_factory, written):
    folder = tmp_path_factory.mktemp("run")
    writer = RequestTableWriter(folder, row_group_rows=64)
    for row in written:
        writer.write(row)
    writer.close(123)
    back = [tuple(r[c] for c in REQUEST_COLUMNS) for r in read_requests(folder)]
    assert back == written


def test_streams_in_issue_order_with_indices():
    def row(master, seq, issue, after=None, think=0):
        values = (master, seq, 64 * seq, 64, False, 0, issue, issue + 10, issue + 50, after, think)
        return dict(zip(REQUEST_COLUMNS, values, strict=True))

    streams = streams_from_rows(
        [row("dma", 1, 100, after=0, think=5), row("dma", 0, 0), row("cpu", 0, 7)]
    )
    assert [r.t_ps for r in streams["dma"]] == [0, 100]
    assert (streams["dma"][1].after, streams["dma"][1].think_ps) == (0, 5)
    assert list(streams) == ["cpu", "dma"]


def test_missing_and_truncated_tables_are_refused(tmp_path: Path):
    with pytest.raises(TraceFormatError, match="no recorded requests"):
        list(read_requests(tmp_path))
    writer = RequestTableWriter(tmp_path)
    writer.write(("dma", 0, 0, 64, False, 0, 0, 1, 2, None, 0))
    writer.close(2)
    file = tmp_path / "trace" / "requests.parquet"
    file.write_bytes(file.read_bytes()[:100])
    with pytest.raises(
        TraceFormatError, match="requests.parquet: not a Parquet file, or truncated"
    ):
        list(read_requests(tmp_path))
