"""The frame parsers: any input gives a frame or a FrameError, never anything else."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessions_live.core.protocol import (
    CLOSE_MALFORMED,
    CLOSE_TOO_LARGE,
    MAX_FRAME_BYTES,
    ClientFrame,
    DashboardFrame,
    FrameError,
    parse_client_frame,
    parse_dashboard_frame,
)

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
FRAMES = st.fixed_dictionaries(
    # Any JSON as the type too: a list or an object once crashed the tab's parser.
    {"type": st.sampled_from(["activity", "extend", "logout", "end", "end_user", "x", 1]) | JSON},
    optional={"idle": JSON, "id": JSON, "user_id": JSON},
)


def parse_both(text: str | None, binary: bytes | None = None) -> None:
    for parse in (parse_client_frame, parse_dashboard_frame):
        result: Any
        try:
            result = parse(text, binary)
        except FrameError as error:
            result = error
        if isinstance(result, FrameError):
            assert result.code
            assert result.message
            assert result.close_code in (None, CLOSE_MALFORMED, CLOSE_TOO_LARGE)
        else:
            assert isinstance(result, ClientFrame | DashboardFrame)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_a_frame_or_a_frame_error(text: str) -> None:
    parse_both(text)


@settings(max_examples=300, deadline=None)
@given(JSON | FRAMES)
def test_any_json_is_a_frame_or_a_frame_error(value: Any) -> None:
    parse_both(json.dumps(value))


@given(st.binary(max_size=64))
def test_binary_is_always_refused_with_4400(data: bytes) -> None:
    with pytest.raises(FrameError) as refused:
        parse_client_frame(None, data)
    assert refused.value.close_code == CLOSE_MALFORMED


@pytest.mark.parametrize("depth", [100, 10_000, 100_000])
def test_deep_nesting_is_refused_without_a_crash(depth: int) -> None:
    text = "[" * depth + "]" * depth
    with pytest.raises(FrameError) as refused:
        parse_client_frame(text)
    assert refused.value.close_code in (CLOSE_MALFORMED, CLOSE_TOO_LARGE)


def test_activity_idle_must_be_a_finite_number() -> None:
    assert parse_client_frame('{"type": "activity", "idle": 2.5}') == ClientFrame("activity", 2.5)
    for idle in ('"2"', "true", "NaN", "Infinity", "[1]"):
        with pytest.raises(FrameError) as refused:
            parse_client_frame(f'{{"type": "activity", "idle": {idle}}}')
        assert refused.value.code == "invalid_field"


def test_a_lease_asks_for_a_positive_finite_number_of_seconds() -> None:
    assert parse_client_frame('{"type": "lease", "seconds": 900}') == ClientFrame(
        "lease", seconds=900.0
    )
    for seconds in ("0", "-5", '"900"', "true", "NaN", "Infinity", "null", "[1]"):
        with pytest.raises(FrameError) as refused:
            parse_client_frame(f'{{"type": "lease", "seconds": {seconds}}}')
        assert refused.value.code == "invalid_field"
        assert refused.value.close_code is None  # an error frame; the socket stays
    with pytest.raises(FrameError):
        parse_client_frame('{"type": "lease"}')


def test_limit_is_counted_in_bytes_not_characters() -> None:
    pad = "é" * (MAX_FRAME_BYTES // 2)
    payload = json.dumps({"type": "extend", "pad": pad}, ensure_ascii=False)
    assert len(payload) < MAX_FRAME_BYTES < len(payload.encode())
    with pytest.raises(FrameError) as refused:
        parse_client_frame(payload)
    assert refused.value.close_code == CLOSE_TOO_LARGE
