"""Texts of the profile generator: sampling pools and prompts, in English and Chinese.

Pools are written as (English, Chinese) pairs so that a sampled index means the same person in both
languages. Prompts are rlver's own wording of the SAGE recipe: persona, a scene script that ends
with the hidden theme, and an opening line that never states the hidden need.
"""

from __future__ import annotations

from collections.abc import Sequence

from rlver.llm.types import Message
from rlver.profiles.schema import CharacterType, HiddenNeed, Language

__all__ = [
    "CHARACTER_WEIGHTS",
    "TRAIT_POOLS",
    "TOPIC_SEEDS",
    "NEED_TASKS",
    "THEME_MARKER",
    "leak_phrases",
    "build_messages",
    "retry_note",
]

# -- what is sampled: pools written as (English, Chinese) pairs, so an index means the same in both --

_NEG, _PAS, _AVO = CharacterType.NEGATIVE, CharacterType.PASSIVE, CharacterType.AVOIDANT
CHARACTER_WEIGHTS = {_NEG: 183, _PAS: 174, _AVO: 143}
"""Sampling weights of the character types: the mix of the official 500 training profiles."""

_TRAITS: dict[CharacterType, tuple[tuple[str, str], ...]] = {
    _NEG: (
        ("angry", "易怒"),
        ("selfish", "自私"),
        ("vain", "虚荣"),
        ("sarcastic", "尖酸刻薄"),
        ("pessimistic", "悲观"),
        ("stubborn", "固执"),
        ("jealous", "爱嫉妒"),
        ("impatient", "急躁"),
        ("fault-finding", "挑剔"),
        ("suspicious", "多疑"),
        ("complaining", "爱抱怨"),
        ("arrogant", "自负"),
    ),
    _PAS: (
        ("introverted", "内向"),
        ("anxious", "焦虑"),
        ("cautious", "谨慎"),
        ("indecisive", "优柔寡断"),
        ("dependent", "依赖他人"),
        ("shy", "害羞"),
        ("insecure", "缺乏自信"),
        ("people-pleasing", "讨好别人"),
        ("sensitive", "敏感"),
        ("timid", "胆小"),
        ("self-doubting", "自我怀疑"),
        ("compliant", "顺从"),
    ),
    _AVO: (
        ("evasive", "闪躲"),
        ("guarded", "戒备心强"),
        ("aloof", "冷淡"),
        ("stoic", "逞强"),
        ("dismissive", "轻描淡写"),
        ("detached", "疏离"),
        ("proud", "好面子"),
        ("private", "不愿透露隐私"),
        ("rationalizing", "爱找理由"),
        ("numb", "麻木"),
        ("distrustful", "不信任他人"),
        ("conflict-averse", "逃避冲突"),
    ),
}
_TOPICS: tuple[tuple[str, str], ...] = (
    ("a manager took credit for their project", "领导把自己的项目成果据为己有"),
    ("failing an important exam after months of preparation", "准备了几个月的重要考试没考过"),
    ("a long relationship ended without warning", "一段多年的感情突然结束"),
    ("a falling-out with a best friend over money", "和最好的朋友因为钱闹翻"),
    ("parents pressuring them to get married", "父母不停催婚"),
    ("being laid off in a restructuring", "公司重组时被裁员"),
    ("a roommate who never cleans up", "室友从来不打扫卫生"),
    ("caring for a sick parent while working full time", "一边全职工作一边照顾生病的父母"),
    ("moving to a new city and feeling lonely", "搬到新城市后很孤独"),
    ("parents who always favour a sibling", "父母总是偏心兄弟姐妹"),
    ("being criticised in front of the whole team", "在整个团队面前被当众批评"),
    ("wedding plans falling apart", "婚礼筹备一团糟"),
    ("burnout from months of overtime", "连续几个月加班身心俱疲"),
    ("a child whose grades keep dropping", "孩子的成绩一直下滑"),
    ("a small business that keeps losing money", "自己开的小店一直亏钱"),
    ("being left out by a group of friends", "被一群朋友排挤"),
    ("a partner who secretly checks their phone", "伴侣偷偷查看自己的手机"),
    ("a clash with their partner's parents", "和伴侣的父母起冲突"),
    ("a promotion that went to a less experienced colleague", "升职机会给了资历更浅的同事"),
    ("online abuse after a post went viral", "发的帖子走红后遭到网暴"),
    ("the death of a pet they had for years", "养了多年的宠物去世了"),
    ("a friend who will not pay back a loan", "朋友借钱一直不还"),
    ("a thesis supervisor who ignores them", "导师对自己不闻不问"),
    ("a worrying result from a health check", "体检查出了让人担心的问题"),
    ("a noise dispute with the neighbours", "和邻居因为噪音起纠纷"),
    ("feeling stuck in a job their parents chose", "困在父母替自己选的工作里"),
    ("a teammate who misses deadlines and blames them", "队友总是拖延还把责任推给自己"),
    ("a long-distance relationship under strain", "异地恋越来越累"),
    ("relatives constantly comparing them with a cousin", "亲戚总拿自己和表兄弟姐妹比较"),
    ("giving up a sport they loved after an injury", "受伤后不得不放弃热爱的运动"),
)
_LANG_INDEX = {"en": 0, "zh": 1}
TRAIT_POOLS = {
    lang: {c: tuple(p[i] for p in pool) for c, pool in _TRAITS.items()} for lang, i in _LANG_INDEX.items()
}
"""Sub-trait pool per language and character type (three are sampled per profile)."""
TOPIC_SEEDS = {lang: tuple(pair[i] for pair in _TOPICS) for lang, i in _LANG_INDEX.items()}
"""Topic seeds per language: what the person's story is about."""

# task text (the hidden intention) and the phrases that would state it outright in a first line
_NEEDS: dict[HiddenNeed, tuple[tuple[str, str], tuple[str, ...]]] = {
    HiddenNeed.ANALYSIS: (
        (
            "Wants a dialectical analysis of the problem, both sides weighed rather than a quick verdict.",
            "希望对方辩证地分析这个问题，权衡两面，而不是草率下结论。",
        ),
        ("dialectical analysis", "辩证地分析"),
    ),
    HiddenNeed.ADVICE: (
        (
            "Wants practical advice that really helps: concrete steps that fit the situation.",
            "希望得到切实可行、真正有帮助的建议。",
        ),
        ("practical advice that really helps", "切实可行"),
    ),
    HiddenNeed.UNDERSTAND_OTHERS: (
        (
            "Wants to understand why the other people in the event acted as they did.",
            "希望理解事件中其他人为什么会那样做。",
        ),
        ("understand why the other people", "其他人为什么会那样做"),
    ),
    HiddenNeed.SELF_GROWTH: (
        ("Wants to be guided to self-reflection and growth.", "希望被引导进行自我反思，获得成长。"),
        ("guided to self-reflection", "引导我进行自我反思"),
    ),
    HiddenNeed.PRAISE: (
        (
            "Wants sincere praise for the specific things they did well.",
            "希望自己做得好的具体事情得到真诚的夸奖。",
        ),
        ("sincere praise", "真诚的夸奖"),
    ),
    HiddenNeed.VENTING: (
        (
            "Wants to be listened to while venting, without being lectured.",
            "希望有人倾听自己发泄情绪，而不是说教。",
        ),
        ("listened to while venting", "倾听我发泄"),
    ),
    HiddenNeed.EMPATHY: (
        (
            "Wants deep empathy for their feelings rather than simple comfort.",
            "希望对方对自己的感受深度共情，而不是简单的安慰。",
        ),
        ("deep empathy", "深度共情"),
    ),
    HiddenNeed.VALIDATION: (
        ("Believes they did nothing wrong and wants that confirmed.", "认为自己没有错，希望得到对方的认同。"),
        ("want you to confirm", "希望得到你的认同"),
    ),
}
NEED_TASKS = {
    lang: {need: texts[i] for need, (texts, _) in _NEEDS.items()} for lang, i in _LANG_INDEX.items()
}
"""The hidden intention in words, per language; becomes the profile's ``task``."""


def leak_phrases(language: Language, need: HiddenNeed) -> tuple[str, str]:
    """Text a first line may not contain: the task itself, and the need's core phrase."""
    return NEED_TASKS[language][need], _NEEDS[need][1][_LANG_INDEX[language]]


# -- prompts ---------------------------------------------------------------------------------------

# fmt: off
THEME_MARKER = {"en": "Hidden theme: ", "zh": "隐藏主题："}
"""Starts the scene's last line, which restates the hidden need."""
_CHARACTER_TEXT = {
    "en": {_NEG: "negative: openly irritable, critical, quick to take offence, blames others",
           _PAS: "passive: quiet and reluctant, waits to be asked, rarely asks questions or takes the lead",
           _AVO: "avoidant: deflects, downplays feelings, changes the subject when things get personal"},
    "zh": {_NEG: "负面型：情绪外露，爱挑剔，容易被冒犯，习惯责怪别人",
           _PAS: "被动型：沉默寡言，不主动，等别人问才说，很少提问或主导话题",
           _AVO: "回避型：闪躲，淡化自己的感受，一谈到私人话题就岔开"},
}
_SYSTEM = {
    "en": "You write realistic character profiles for a role-play simulator that trains and tests "
    "emotional-support conversations. Answer with one JSON object and nothing else.",
    "zh": "你为一个角色扮演模拟器编写真实可信的人物档案，用于训练和评测情感支持对话。只输出一个 JSON 对象，不要输出其他内容。",
}
_USER = {
    "en": """Create one person who wants to talk about something that is bothering them.

Character type: {character}
Sub-traits: {traits}
Topic seed: {topic}
Hidden need (the person never says it outright): {task}

Return a JSON object with exactly these keys:
- "name": the person's full name
- "persona": name, age, gender, occupation, hobbies, habits and behaviour, speaking style and way of talking; consistent with the character type and sub-traits
- "scene": the background script, in this order: cause and timeline of the event; the person's feelings; the main conflict; what they have already tried; their current state; how they react when their emotion is high, normal and low; which kinds of reply raise their emotion and which lower it; and a last line starting with "Hidden theme: " that restates the hidden need
- "first_talk": the person's first message: one or two short, colloquial sentences about the event that show their mood but never state the hidden need

Write everything in English. Use specific details (names, places, times) and avoid clichés.""",
    "zh": """请创作一个想找人聊聊烦心事的人物。

性格类型：{character}
子性格：{traits}
话题种子：{topic}
隐藏需求（人物从不直接说出来）：{task}

请返回一个 JSON 对象，只包含以下字段：
- "name"：人物的姓名
- "persona"：人物画像，包括姓名、年龄、性别、职业、爱好、习惯和行为特点、说话风格和说话方式，要与性格类型和子性格一致
- "scene"：对话背景，依次写出：事件的起因和时间线；人物的感受；主要矛盾；已经做过的尝试；当前状态；情绪高、中、低时分别会怎样反应；哪些回复会让情绪升高、哪些会让情绪降低；最后一行以"隐藏主题："开头，重述隐藏需求
- "first_talk"：人物的第一句话：一两句简短口语化的话，说到这件事并流露情绪，但绝不能直接说出隐藏需求

全部用中文书写。细节要具体（人名、地点、时间），避免套话。""",
}
_RETRY_NOTE = {
    "en": "Your previous answer was rejected: {reason}. Write a new answer: one JSON object with the keys above.",
    "zh": "你上一次的回答不合格：{reason}。请重新回答：只输出一个包含上述字段的 JSON 对象。",
}


# fmt: on


def build_messages(
    language: Language, character: CharacterType, traits: Sequence[str], topic: str, task: str
) -> list[Message]:
    """The system and user messages that ask an LLM for one profile."""
    separator = ", " if language == "en" else "、"
    user = _USER[language].format(
        character=_CHARACTER_TEXT[language][character], traits=separator.join(traits), topic=topic, task=task
    )
    return [Message("system", _SYSTEM[language]), Message("user", user)]


def retry_note(language: Language, reason: str) -> str:
    """Appended to the request after a rejected answer, so the next attempt knows what went wrong."""
    return _RETRY_NOTE[language].format(reason=reason)
