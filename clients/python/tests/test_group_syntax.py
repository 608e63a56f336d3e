"""The Python parser of the shared group syntax against tests/fixtures/group-syntax.json, the table
the C# (GroupSyntax) and TypeScript (console/src/groupSyntax.ts) parsers read too. No services."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from google.protobuf import json_format

from conftest import REPO
from deepeverest_client import at, format_group, neurons, parse, rect, stored, top
from deepeverest_client._proto.deepeverest.v1 import query_service_pb2 as pb
from deepeverest_client.client import _filter, _target

with open(os.path.join(REPO, "tests", "fixtures", "group-syntax.json"), encoding="utf-8") as f:
    FIXTURE = json.load(f)


@pytest.mark.parametrize("case", FIXTURE["valid"], ids=[c["text"] for c in FIXTURE["valid"]])
def test_group_syntax_valid_text_gives_the_fixture_message(case: dict) -> None:
    expected = json_format.ParseDict(case["group"], pb.NeuronGroup())

    message = parse(case["text"]).to_proto()

    assert message == expected
    assert format_group(message) == case["canonical"]
    assert parse(case["canonical"]).to_proto() == message


@pytest.mark.parametrize("text", FIXTURE["invalid"])
def test_group_syntax_invalid_text_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not a neuron group"):
        parse(text)


def test_group_syntax_builders_equal_the_text() -> None:
    assert rect(5, ..., ...).to_proto() == parse("rect:5,*,*").to_proto()
    assert rect(slice(2, None), (0, 4)).to_proto() == parse("rect:2:,0:4").to_proto()
    assert neurons(17, 42).to_proto() == parse("neurons:17,42").to_proto()
    assert at((5, 0, 1), (5, 2, 2)).to_proto() == parse("at:5.0.1;5.2.2").to_proto()
    assert top(3).to_proto() == parse("top:3").to_proto()


def test_group_syntax_stored_target_and_open_id_range_messages() -> None:
    pixels = np.arange(6, dtype=np.uint8).reshape(1, 2, 3)

    message = _target(stored(pixels))

    assert message.WhichOneof("source") == "stored_tensor"
    assert list(message.stored_tensor.shape) == [1, 2, 3]
    assert list(message.stored_tensor.values) == [0, 1, 2, 3, 4, 5]
    assert _target(pixels.astype(np.float32)).WhichOneof("source") == "tensor"
    open_range = _filter(None, None, (1400, None)).id_range
    assert (open_range.start, open_range.open_end, open_range.end) == (1400, True, 0)
