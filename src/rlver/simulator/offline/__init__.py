"""The offline Sentient Agent: deterministic, no network, English profiles.

Public API: :class:`OfflineSentientAgent`, the strategy taxonomy (:class:`Strategy`,
``ESCONV_LABEL``), semantic recognition (:func:`recognise`, :func:`label`) and the need x
strategy table (``AFFINITY``, ``BEST_STRATEGY``). Importing this package is cheap: the embedding
model loads on first use.
"""

from rlver.simulator.offline.agent import OfflineSentientAgent, infer_need
from rlver.simulator.offline.appraisal import AFFINITY, BEST_STRATEGY, AppraisalWeights, expected_change
from rlver.simulator.offline.embedder import Embedder, get_embedder
from rlver.simulator.offline.recognise import label, recognise, score_sentences, split_sentences
from rlver.simulator.offline.strategies import ESCONV_LABEL, SUPPORT_STRATEGIES, Strategy

__all__ = [
    "AFFINITY",
    "BEST_STRATEGY",
    "ESCONV_LABEL",
    "SUPPORT_STRATEGIES",
    "AppraisalWeights",
    "Embedder",
    "OfflineSentientAgent",
    "Strategy",
    "expected_change",
    "get_embedder",
    "infer_need",
    "label",
    "recognise",
    "score_sentences",
    "split_sentences",
]
