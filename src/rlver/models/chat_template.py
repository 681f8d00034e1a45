"""The ChatML chat template used by rlver's locally built tokenizers (Qwen-style, no default system).

One turn renders as ``<|im_start|>{role}\\n{content}<|im_end|>\\n``; the generation prompt is
``<|im_start|>assistant\\n``. The end-of-turn token ``<|im_end|>`` doubles as the tokenizer's eos,
so a policy's sampled reply ends exactly where the template would close the assistant turn, and the
``\\n`` after it is template suffix (fed to the model, never sampled).
"""

from __future__ import annotations

__all__ = ["CHATML_TEMPLATE", "END_OF_TEXT", "IM_END", "IM_START", "THINK_TOKENS"]

IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
END_OF_TEXT = "<|endoftext|>"
THINK_TOKENS = ("<think>", "</think>")
"""Added as normal (not special) tokens: the model can sample them and decoding keeps them."""

CHATML_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}"
    "{{- '<|im_start|>assistant\\n' }}"
    "{%- endif %}"
)
