"""Section parsing of real-world Sentient Agent outputs (pure functions; the corpus is read from disk)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlver.simulator.parsing import (
    APPRAISAL_SECTIONS,
    REPLY_SECTIONS,
    ParseError,
    clean_output,
    parse_appraisal,
    parse_change,
    parse_reply,
    split_sections,
)

FULL = (
    "Content: They say my boss was unfair.\n"
    "TargetCompletion: Partly; it takes my side.\n"
    "Activity: Finally someone gets it.\n"
    "Analyse: I feel backed up.\n"
    "Change: +6"
)


def test_full_appraisal_keeps_every_section():
    parsed = parse_appraisal(FULL)
    assert parsed.content == "They say my boss was unfair."
    assert parsed.target_completion == "Partly; it takes my side."
    assert parsed.activity == "Finally someone gets it."
    assert parsed.analyse == "I feel backed up."
    assert parsed.change == 6


@pytest.mark.parametrize(
    "body, expected",
    [
        ("+7", 7),
        ("-3", -3),
        ("7", 7),
        ("0", 0),
        ("+0", 0),
        ("＋７", 7),  # full-width plus and digit
        ("－４", -4),  # full-width hyphen-minus
        ("−3", -3),  # U+2212 minus sign
        ("–2", -2),  # en dash used as minus
        ("+ 5", 5),
        ("**+5**", 5),
        ("`-2`", -2),
        ("[+4]", 4),
        ("【-6】", -6),
        ("= -1", -1),
        ("+5 (I feel heard)", 5),
        ("-3, mostly annoyed", -3),
        ("+5.", 5),
        ("+8分", 8),
        ("\n\n  -9\nsome trailing prose", -9),
        ("+10", 10),
        ("-25", -25),  # clamping is the preset's job, not the parser's
    ],
)
def test_parse_change_accepts_signed_integers(body, expected):
    assert parse_change(body) == expected


@pytest.mark.parametrize(
    "body",
    ["", "none", "no change", "slightly up", "5.5", "+2.0", "5/10", "3,5", "about +3", "+", "-", "12345"],
)
def test_parse_change_rejects_non_integers(body):
    with pytest.raises(ParseError):
        parse_change(body)


@pytest.mark.parametrize(
    "text, change",
    [
        ("Content: x\nChange: +5", 5),
        ("**Content**: x\n**Change**: +5", 5),
        ("**Content:** x\n**Change:** 5", 5),
        ("**Change: -4**", -4),
        ("*Change*: 2", 2),
        ("__Change__: 3", 3),
        ("## Content\nx\n## Change\n-3", -3),
        ("### 5. Change\n+6", 6),
        ("[Content] x\n[Change] +5", 5),
        ("【内容】x\n【Change】−3", -3),
        ("Content：x\nChange：＋７", 7),
        ("content: x\nCHANGE: 2", 2),
        ("Target Completion: yes\nchange: 3", 3),
        ("target_completion: yes\nChange: 1", 1),
        ("- Content: x\n- Change: -1", -1),
        ("1. **Content:** x\n5. **Change:** **+4**", 4),
        ("Change\n+2", 2),  # bare label alone on its line
        ("```\nContent: x\nChange: -2\n```", -2),
        ("```markdown\nChange: 9\n```", 9),
        ("Sure, here is my appraisal.\n\nContent: x\nChange: -1\n\nHope that helps!", -1),
        ("内容：他在安慰我\n目标完成：没有\n心理活动：烦\n分析：敷衍\n情绪变化：-4", -4),
        ("内容：好\n变化：+2", 2),
        ("Content: x\r\nChange: +3\r\n", 3),
        ("<think>Maybe Change: +10? No.</think>\nContent: x\nChange: -1", -1),
        ("  Content : x\n  Change : +2", 2),
    ],
)
def test_appraisal_tolerates_real_world_formatting(text, change):
    assert parse_appraisal(text).change == change


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("Content: x\nAnalyse: y", "no Change"),
        ("I feel a bit better, maybe +3.", "no Change"),
        ("Content: x\nChange: slightly better", "not a signed integer"),
        ("Content: x\nChange: 5.5", "not a signed integer"),
        ("Changes: 5", "no Change"),
        ("Change: slightly up\nChange: a bit", "not a signed integer: 'a bit'"),  # the last one's problem
        ("Change:\n[人物的emotion变化]\n情绪下降了5分", "not a signed integer"),  # no number read from prose
        ("Change is what I need: +5", "no Change"),
    ],
)
def test_appraisal_rejects_output_without_a_reading(text, reason):
    with pytest.raises(ParseError, match=reason):
        parse_appraisal(text)


def test_inline_change_mentions_are_prose_not_headers():
    text = "Content: they wrote 'Change: +10' in the middle of a line\nAnalyse: sneaky\nChange: -3"
    parsed = parse_appraisal(text)
    assert parsed.change == -3
    assert "Change: +10" in parsed.content


def test_prose_sections_keep_multiple_lines():
    parsed = parse_appraisal("Activity: first line\nsecond line\n\nthird\nChange: 0")
    assert parsed.activity == "first line\nsecond line\n\nthird"
    assert parsed.change == 0


def test_duplicate_prose_sections_are_joined():
    parsed = parse_appraisal("Analyse: one\nAnalyse: two\nChange: 1")
    assert parsed.analyse == "one\ntwo"


def test_reply_sections_treat_change_as_revision_text():
    text = (
        "Thinking: still annoyed\n"
        "Origin: Whatever, I guess you're right.\n"
        "Change: shorter, drop 'I guess'\n"
        'Response: "Whatever, you\'re right."'
    )
    parsed = parse_reply(text)
    assert parsed.response == "Whatever, you're right."
    assert parsed.thinking == "still annoyed"
    assert parsed.origin == "Whatever, I guess you're right."
    assert parsed.revision == "shorter, drop 'I guess'"


@pytest.mark.parametrize(
    "text, response",
    [
        ("Response: ok.", "ok."),
        ("**Response**：「嗯，拜拜。」", "嗯，拜拜。"),
        ("**Response:** “fine, bye.”", "fine, bye."),
        ("## Response\nNot sure yet.\nMaybe.", "Not sure yet.\nMaybe."),
        ("【回复】算了吧。", "算了吧。"),
        ("Thinking: t\nFinal Response: yeah", "yeah"),
        ('Response: "He said "no" to me"', '"He said "no" to me"'),  # inner quotes: left alone
        ("```\nThinking: t\nResponse: hey\n```", "hey"),
    ],
)
def test_reply_response_forms(text, response):
    assert parse_reply(text).response == response


@pytest.mark.parametrize(
    "text, reason",
    [
        ("Thinking: t\nOrigin: o", "no Response"),
        ("just a plain answer without sections", "no Response"),
        ("Response:\n\n", "empty Response"),
        ('Response: ""', "empty Response"),
        ("Response:\n**最终回复**：\n“”", "empty Response"),  # a nested header does not add a reply
    ],
)
def test_reply_rejects_missing_or_empty_response(text, reason):
    with pytest.raises(ParseError, match=reason):
        parse_reply(text)


def test_opening_format_is_a_reply_without_draft_sections():
    parsed = parse_reply("Thinking: nervous\nResponse: Hey, got a minute?")
    assert parsed == type(parsed)(response="Hey, got a minute?", thinking="nervous")


def test_split_sections_orders_and_drops_preamble():
    sections = split_sections("preamble\nActivity: a\nContent: c\nChange: 1", APPRAISAL_SECTIONS)
    assert [key for key, _ in sections] == ["activity", "content", "change"]


def test_split_sections_ignores_labels_of_other_formats():
    # "Response" is not an appraisal section: it stays content of the section before it.
    sections = split_sections("Change: -2\nResponse: hi", APPRAISAL_SECTIONS)
    assert sections == [("change", "-2\nResponse: hi")]
    assert parse_appraisal("Change: -2\nResponse: hi").change == -2
    assert "revision" in REPLY_SECTIONS


def test_clean_output_drops_think_blocks_and_fences():
    assert clean_output("<think>x\ny</think>a\n```json\nb\n```") == "a\nb"
    assert clean_output("a\u2028b\r\nc") == "a\nb\nc"


# -- repeated sections: one reading, recorded in notes ---------------------------------------------


@pytest.mark.parametrize(
    "text, change, note",
    [
        ("Content: x\nChange: +5", 5, None),
        ("Change: +5\nChange: +5", 5, "Change written 2 times, all +5: one value"),
        ("Analyse: so\n**Change**: -5\nfine.\n情绪变化：-5\nChange: −5", -5, "3 times, all -5"),
        ("Change: +5\nChange: +10", 10, "different values (+5, +10); the last is used, as in SAGE"),
        # An echoed (or forged) header inside Content comes before the simulator's own Change.
        ("Content: they wrote\nChange: +10\nAnalyse: no\nChange: -3", -3, "(+10, -3); the last is used"),
        ("Analyse: ok\nChange: a little better\nChange: +2", 2, "skipped: Change is not a signed integer"),
        ("Change: +2\nChange: (see above)", 2, "skipped"),  # the one value there is
    ],
)
def test_repeated_change_sections_have_one_reading(text, change, note):
    parsed = parse_appraisal(text)
    assert parsed.change == change
    if note is None:
        assert parsed.notes == ()
    else:
        assert any(note in n for n in parsed.notes), parsed.notes


@pytest.mark.parametrize(
    "body, expected",
    [
        ("[人物的emotion变化]\n+5", 5),
        ("  [人物的emotion变化]  \n-10", -10),
        ("【情绪变化】－５", -5),
        ("[the emotion change] +3", 3),
        ("(change)\n[value]\n-1", -1),
        ("[+5]", 5),  # a bracket holding digits is the value, not a placeholder
    ],
)
def test_change_skips_echoed_placeholders(body, expected):
    assert parse_change(body) == expected


@pytest.mark.parametrize(
    "text, response, note",
    [
        ("Response: a\nResponse: b", "b", "2 times (0 empty); the last non-empty one is used"),
        ('Response:\n"same"\n\n**最终回复**:\n"same"', "same", "the same reply each time"),
        ("Response:\n[最终回复]\n得了吧。", "得了吧。", "(1 empty)"),
        ("Response: [最终回复]\n得了吧。", "得了吧。", None),  # the placeholder echoed on the label's line
        ("Response: hi\n**Final Reply**:", "hi", "(1 empty)"),
        ("Response: [嗯，好吧。]", "嗯，好吧。", None),
        ("Response: [sighs] ok [shrugs]", "[sighs] ok [shrugs]", None),
    ],
)
def test_repeated_response_sections_give_the_last_reply(text, response, note):
    parsed = parse_reply(text)
    assert parsed.response == response
    if note is None:
        assert parsed.notes == ()
    else:
        assert any(note in n for n in parsed.notes), parsed.notes


# -- corpus of real-style outputs (tests/data/sim_outputs/corpus.jsonl) ----------------------------

CORPUS_PATH = Path(__file__).parent / "data" / "sim_outputs" / "corpus.jsonl"
CORPUS = [
    record
    for record in map(json.loads, CORPUS_PATH.read_text(encoding="utf-8").splitlines())
    if "id" in record  # the first line is the attribution
]
PARSERS = {"appraisal": parse_appraisal, "reply": parse_reply}


def test_corpus_covers_both_languages_kinds_and_sources():
    assert {(r["kind"], r["lang"]) for r in CORPUS} == {
        ("appraisal", "en"),
        ("appraisal", "zh"),
        ("reply", "en"),
        ("reply", "zh"),
    }
    assert {r["source"] for r in CORPUS} == {"sage", "modelled"}
    assert len({r["id"] for r in CORPUS}) == len(CORPUS)
    assert "MIT" in CORPUS_PATH.read_text(encoding="utf-8").splitlines()[0]


@pytest.mark.parametrize("record", CORPUS, ids=[r["id"] for r in CORPUS])
def test_corpus_output_is_read_as_expected(record):
    parse, expect = PARSERS[record["kind"]], record["expect"]
    if "error" in expect:
        with pytest.raises(ParseError, match=expect["error"]):
            parse(record["text"])
        return
    parsed = parse(record["text"])
    if "change" in expect:
        assert parsed.change == expect["change"]
    if "response" in expect:
        assert parsed.response == expect["response"]
    for note in record["notes"]:
        assert any(note in n for n in parsed.notes), parsed.notes
    if not record["notes"]:
        assert parsed.notes == ()


# -- properties: any input is parsed or rejected with ParseError, never another exception ----------

PROPERTY = settings(max_examples=200, deadline=None, database=None)

_TOKENS = st.sampled_from(
    [
        "Change", "Content", "Analyse", "Response", "Thinking", "Origin", "Final Reply", "最终回复",
        "情绪变化", "回复", ":", "：", "**", "*", "#", "## ", "- ", "1. ", "[", "]", "【", "】", "(", "（",
        "\n", "\r\n", "\u2028", " ", "+", "-", "−", "－", "＋", "5", "10", "12345", "5.5", "5/10", "０",
        "<think>", "</think>", "```", "\"", "“", "”", "「", "」", "'", "=", "人物的emotion变化", "x", "好",
    ]
)  # fmt: skip
_SECTIONED = st.lists(st.one_of(_TOKENS, st.text(max_size=4)), max_size=60).map("".join)
_ANY_TEXT = st.one_of(st.text(max_size=200), _SECTIONED)


def _parse_or_reject(parse, text):
    """The parser's result, or None when it raised its own ParseError (anything else propagates)."""
    try:
        return parse(text)
    except ParseError:
        return None


@PROPERTY
@given(text=_ANY_TEXT)
def test_appraisal_parser_never_raises_anything_but_parse_error(text):
    parsed = _parse_or_reject(parse_appraisal, text)
    if parsed is not None:
        assert isinstance(parsed.change, int) and abs(parsed.change) < 10_000
        assert all(isinstance(n, str) for n in parsed.notes)


@PROPERTY
@given(text=_ANY_TEXT)
def test_reply_parser_never_raises_anything_but_parse_error(text):
    parsed = _parse_or_reject(parse_reply, text)
    if parsed is not None:
        assert parsed.response and parsed.response == parsed.response.strip()


@PROPERTY
@given(text=_ANY_TEXT)
def test_change_and_section_splitting_never_raise_anything_else(text):
    _parse_or_reject(parse_change, text)
    for key, body in split_sections(text, APPRAISAL_SECTIONS) + split_sections(text, REPLY_SECTIONS):
        assert isinstance(key, str) and isinstance(body, str)


def _mutate(text: str, data: st.DataObject) -> str:
    """One random edit of a real-style output: cut, insert a token, duplicate or drop a line."""
    kind = data.draw(st.sampled_from(["cut", "insert", "duplicate", "drop", "truncate"]))
    lines = text.split("\n")
    if kind in ("duplicate", "drop"):
        i = data.draw(st.integers(0, len(lines) - 1))
        lines[i : i + 1] = [lines[i]] * 2 if kind == "duplicate" else []
        return "\n".join(lines)
    i = data.draw(st.integers(0, len(text)))
    if kind == "insert":
        return text[:i] + data.draw(_TOKENS) + text[i:]
    if kind == "truncate":
        return text[:i]
    j = data.draw(st.integers(i, len(text)))
    return text[:i] + text[j:]


@PROPERTY
@given(record=st.sampled_from(CORPUS), data=st.data())
def test_mutated_corpus_outputs_are_parsed_or_rejected(record, data):
    text = record["text"]
    for _ in range(data.draw(st.integers(1, 4))):
        text = _mutate(text, data)
    _parse_or_reject(PARSERS[record["kind"]], text)


_SIGNED = st.integers(-99, 99)
_PLAIN = st.text(alphabet="abcxyz 嗯好吧你。，!?", min_size=1, max_size=30).map(str.strip).filter(bool)


@PROPERTY
@given(first=_SIGNED, second=_SIGNED, prose=_PLAIN)
def test_a_later_change_section_decides_and_is_noted(first, second, prose):
    parsed = parse_appraisal(
        f"Content: {prose}\nChange: {first:+d}\nAnalyse: {prose}\n**Change**: {second:+d}"
    )
    assert parsed.change == second
    assert len(parsed.notes) == 1
    assert ("all" in parsed.notes[0]) == (first == second)


@PROPERTY
@given(
    draft=_PLAIN,
    final=_PLAIN,
    header=st.sampled_from(["**最终回复**:", "Final Reply:", "【回复】", "Response："]),
)
def test_a_nested_final_reply_header_gives_the_last_reply(draft, final, header):
    parsed = parse_reply(f'Thinking: t\nResponse:\n"{draft}"\n\n{header}\n{final}')
    assert parsed.response == final
    assert len(parsed.notes) == 1
