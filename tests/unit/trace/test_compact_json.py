"""compact_json.encode is json.dumps(value, separators=(",", ":")), text for text."""

import json

from hypothesis import given
from hypothesis import strategies as st

from soc.kernel.vocab import SpanKind
from soc.trace.compact_json import encode

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(value=values)
def test_same_text_as_json_dumps(value):
    assert encode(value) == json.dumps(value, separators=(",", ":"))


def test_keys_that_are_not_strings_and_str_enums():
    value = {3: 2, 2.5: None, True: "é", None: [SpanKind.LOAD]}
    assert encode(value) == '{"3":2,"2.5":null,"true":"\\u00e9","null":["load"]}'
    assert encode(float("inf")) == "Infinity"
