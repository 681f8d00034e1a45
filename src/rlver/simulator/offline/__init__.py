"""The offline Sentient Agent: deterministic, no network, English and Chinese profiles.

Public API: :class:`OfflineSentientAgent`, the strategy taxonomy (:class:`Strategy`,
``ESCONV_LABEL``), semantic recognition (:func:`recognise`, :func:`label`), the need x
strategy table (``AFFINITY``, ``BEST_STRATEGY``) and the parameters fitted to DeepSeek-V3
(:func:`fitted_weights`). Importing this package is cheap: the embedding models load on first use.
"""

from rlver.simulator.offline.agent import OfflineSentientAgent, infer_need
from rlver.simulator.offline.appraisal import AFFINITY, BEST_STRATEGY, AppraisalWeights, expected_change
from rlver.simulator.offline.embedder import Embedder, get_embedder
from rlver.simulator.offline.fitted import fitted_weights
from rlver.simulator.offline.multilingual import MultilingualEmbedder, get_multilingual_embedder
from rlver.simulator.offline.recognise import label, recognise, score_sentences, split_sentences
from rlver.simulator.offline.strategies import ESCONV_LABEL, SUPPORT_STRATEGIES, Strategy

__all__ = [
    "AFFINITY",
    "BEST_STRATEGY",
    "ESCONV_LABEL",
    "SUPPORT_STRATEGIES",
    "AppraisalWeights",
    "Embedder",
    "MultilingualEmbedder",
    "OfflineSentientAgent",
    "Strategy",
    "expected_change",
    "fitted_weights",
    "get_embedder",
    "get_multilingual_embedder",
    "infer_need",
    "label",
    "recognise",
    "score_sentences",
    "split_sentences",
]
