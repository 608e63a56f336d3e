"""Hits and inputs of a text dataset carry their token's context (docs/text.md): the conversion
from the service's messages, whose offsets count UTF-16 code units, to Python string indices.
No services."""

from __future__ import annotations

from deepeverest_client import Client, Hit, TextContext
from deepeverest_client._proto.deepeverest.v1 import query_service_pb2 as qpb


def context(text: str, token: str, **fields) -> qpb.TextContext:  # noqa: ANN003
    """A context of `token` in `text` with the service's UTF-16 offsets."""
    start = len(text[:text.index(token)].encode("utf-16-le")) // 2
    end = start + len(token.encode("utf-16-le")) // 2
    return qpb.TextContext(document=1, document_name="chapter_1.txt", window=4, position=7, token=token.lower(),
                           text=text, token_start=start, token_end=end, text_start=120, **fields)


def test_hit_of_a_text_dataset_has_its_context_and_marks_the_token() -> None:
    proto = qpb.Hit(input_id=7, score=2.5, lower_bound=2.5, upper_bound=2.5, final=True, label=-1,
                    text=context("Call me\nIshmael. Some years ago", "Ishmael", cut_after=True))

    hit = Hit.from_proto(proto)

    assert hit.text == TextContext(1, "chapter_1.txt", 4, 7, "ishmael", "Call me\nIshmael. Some years ago", 8, 15, 120,
                                   False, True)
    assert (hit.text.before, hit.text.token_text, hit.text.after) == ("Call me\n", "Ishmael", ". Some years ago")
    assert hit.text.marked() == "Call me [Ishmael]. Some years ago …"


def test_offsets_past_characters_outside_the_bmp_index_the_python_string() -> None:
    # U+1F40B is one Python character but two UTF-16 code units: the service's offsets are 2 more.
    text = "\U0001F40B the whale \U0001F40B"

    ctx = TextContext.from_proto(context(text, "whale", cut_before=True))

    assert ctx.token_text == "whale"
    assert ctx.marked("<", ">") == "… \U0001F40B the <whale> \U0001F40B"


def test_hit_of_an_image_dataset_has_no_context() -> None:
    assert Hit.from_proto(qpb.Hit(input_id=3, score=1.0, label=2)).text is None


class TextQueryStub:
    """Stands in for the QueryService stub: GetInput answers a token item, as over a text dataset."""

    def GetInput(self, request, timeout=None, metadata=()):  # noqa: ANN001, ANN201, N802
        return qpb.GetInputResponse(label=-1, text=context("CHAPTER 1. Loomings. Call me Ishmael.", "me"))


def test_input_of_a_text_dataset_is_the_token_in_its_window() -> None:
    client = Client("127.0.0.1:1", index="127.0.0.1:1")
    client._query = TextQueryStub()

    item = client.input(7, dataset="moby")
    client.close()

    assert (item.input_id, item.values.size, item.label) == (7, 0, -1)
    assert item.text.marked() == "CHAPTER 1. Loomings. Call [me] Ishmael."
