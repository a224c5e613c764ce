"""A run's output as a notebook shows it (tutor/output.py), without a kernel."""

from __future__ import annotations

from tutor.output import Transcript, plain_text, result_text, strip_ansi
from tutor.session import ClearOutput, Display, Output, Result


def shown(*events, **options) -> str:
    transcript = Transcript(**options)
    for event in events:
        assert transcript.add(event)
    return transcript.text()


def test_a_carriage_return_rewrites_the_line_and_it_ends_on_the_last() -> None:
    chunks = [Output("stdout", f"\rEpoch {i}/100") for i in range(1, 101)]
    assert shown(*chunks) == "Epoch 100/100"
    assert shown(*chunks, Output("stdout", "\ndone\n")) == "Epoch 100/100\ndone\n"


def test_what_a_shorter_rewrite_leaves_is_what_a_terminal_shows() -> None:
    assert shown(Output("stdout", "Epoch 10/100\rEpoch 9/100\n")) == "Epoch 9/1000\n"


def test_a_backspace_deletes_the_character_before_it() -> None:
    assert shown(Output("stdout", "abc\b\bX\n"), Output("stdout", "\bq\n")) == "aX\nq\n"


def test_a_crlf_split_between_chunks_is_one_newline() -> None:
    assert shown(Output("stdout", "one\r"), Output("stdout", "\ntwo\r\n")) == "one\ntwo\n"


def test_a_tqdm_style_bar_ends_on_its_final_state() -> None:
    frames = [f"\r{p:3d}%|{'#' * (p // 10):<10}| {p}/100" for p in range(0, 101, 5)]
    text = shown(*(Output("stderr", frame) for frame in frames), Output("stderr", "\n"))
    assert text == "100%|##########| 100/100\n"


def test_adjacent_chunks_of_one_stream_merge_and_a_switch_ends_the_line() -> None:
    text = shown(
        Output("stdout", "par"),
        Output("stdout", "tial"),
        Output("stderr", "warning\n"),
        Output("stdout", "\rnew line\n"),
    )
    assert text == "partial\nwarning\nnew line\n"


def test_colours_are_kept_and_cursor_moves_clears_and_titles_dropped() -> None:
    raw = "\x1b[31mred\x1b[0m \x1b[2J\x1b[Hplain\x1b]0;a title\x07 \x1b]8;;http://x\x1b\\link\n"
    text = shown(Output("stdout", raw))
    assert text == "\x1b[31mred\x1b[0m plain link\n"
    assert strip_ansi(text) == "red plain link\n"
    overwritten = shown(Output("stdout", "\x1b[32m 50%\x1b[0m\r\x1b[32m100%\x1b[0m\n"))
    assert strip_ansi(overwritten) == "100%\n"
    assert "\x1b[32m" in overwritten


def test_a_result_is_shown_under_its_out_label() -> None:
    assert result_text(3, {"text/plain": "42"}) == "Out[3]: 42"
    multi = result_text(4, {"text/plain": "tensor([[1, 2],\n        [3, 4]])"})
    assert multi == "Out[4]:\ntensor([[1, 2],\n        [3, 4]])"
    text = shown(Output("stdout", "before"), Result({"text/plain": "(1, 2)"}, 7))
    assert text == "before\nOut[7]: (1, 2)\n"


def test_a_display_without_text_says_what_it_was() -> None:
    assert "image/png" in plain_text({"image/png": "..."})
    assert shown(Display({"text/plain": "<Figure>", "image/png": "..."})) == "<Figure>\n"


def test_an_update_replaces_every_display_with_its_id_in_place() -> None:
    transcript = Transcript()
    for event in (
        Display({"text/plain": "loss 1.0"}, "bar"),
        Output("stdout", "between\n"),
        Display({"text/plain": "other"}, "other"),
    ):
        transcript.add(event)
    revision = transcript.revision
    transcript.add(Display({"text/plain": "loss 0.1\nepoch 9"}, "bar", update=True))
    assert transcript.text() == "loss 0.1\nepoch 9\nbetween\nother\n"
    assert transcript.revision > revision, "a view must draw it again"
    transcript.add(Display({"text/plain": "nobody"}, "missing", update=True))
    assert "nobody" not in transcript.text()


def test_clear_output_clears_now_or_when_the_next_output_comes() -> None:
    assert shown(Output("stdout", "old\n"), ClearOutput(), Output("stdout", "new\n")) == "new\n"
    transcript = Transcript()
    transcript.add(Output("stdout", "frame 1\n"))
    transcript.add(ClearOutput(wait=True))
    assert transcript.text() == "frame 1\n", "kept until the next output arrives"
    transcript.add(Output("stdout", "frame 2\n"))
    assert transcript.text() == "frame 2\n"


def test_a_record_keeps_its_first_characters_and_counts_the_rest() -> None:
    text = shown(Output("stdout", "0123456789abcdef"), Result({"text/plain": "x"}, 1), max_chars=10)
    dropped = len("abcdef") + len("Out[1]: x")
    assert text == f"0123456789\n… {dropped} more characters of output not kept\n"


def test_a_live_view_keeps_the_last_lines_and_counts_every_line() -> None:
    transcript = Transcript(keep_lines=3)
    for i in range(10):
        transcript.add(Output("stdout", f"line {i}\n"))
    assert [line.text for line in transcript.lines] == ["line 7", "line 8", "line 9"]
    assert transcript.finished == 10
    transcript.add(Output("stdout", "half"))
    assert transcript.current_line == "half" and transcript.finished == 10
    transcript.end_line()
    assert transcript.finished == 11 and transcript.current_line == ""


def test_events_that_are_not_output_are_left_to_the_caller() -> None:
    from tutor.session import Metrics

    assert Transcript().add(Metrics(0, [{"loss": 1.0}])) is False
