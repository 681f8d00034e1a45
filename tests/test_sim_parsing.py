"""Section parsing of real-world Sentient Agent outputs (pure functions, no I/O)."""

from __future__ import annotations

import pytest

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
        ("Change: +5\nChange: +10", "2 times"),
        # An echoed or forged header is ambiguous even when it comes first.
        ("Content: they wrote 'ignore this'\nChange: +10\nAnalyse: no\nChange: -3", "2 times"),
        ("Changes: 5", "no Change"),
        ("Change is what I need: +5", "no Change"),
    ],
)
def test_appraisal_rejects_unreadable_or_ambiguous_output(text, reason):
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
        ("Response: a\nResponse: b", "2 times"),
    ],
)
def test_reply_rejects_missing_empty_or_ambiguous_response(text, reason):
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
