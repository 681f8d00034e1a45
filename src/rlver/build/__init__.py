"""Build tools: what makes rlver's shipped artefacts (the built-in profile sets, the tiny policy's
pretraining corpus). The top layer: it may run dialogues, train and compose profiles; nothing in the
library imports it at run time.
"""

__all__: list[str] = []
