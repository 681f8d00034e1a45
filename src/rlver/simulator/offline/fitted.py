"""Appraisal constants as data: the parameters fitted to DeepSeek-V3's SAGE appraisals.

``data/sage_fit.json`` is written by ``scripts/fit_offline_simulator.py`` (seeded, from the committed
extract in ``data/sage/``) and read here, validated with pydantic. Chinese profiles use it by
default; :func:`weights_to_dict` / :func:`weights_from_dict` turn any :class:`AppraisalWeights`
into JSON and back, so other parameter sets can be kept as files too.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from rlver.errors import SimulatorError
from rlver.profiles.schema import CharacterType, HiddenNeed
from rlver.simulator.offline.appraisal import (
    DEFAULT_WEIGHTS,
    PENALTY_POINTS,
    REACTION_POINTS,
    AppraisalWeights,
)
from rlver.simulator.offline.strategies import Strategy

__all__ = ["FIT_FILE", "FitFile", "WeightsModel", "fitted_weights", "weights_from_dict", "weights_to_dict"]

FIT_FILE = "sage_fit.json"
"""Name of the fitted-parameter file inside ``rlver/simulator/offline/data``."""


class WeightsModel(BaseModel):
    """:class:`AppraisalWeights` as it is stored (every field, explicit)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    gain: float = Field(gt=0)
    loss: float = Field(gt=0)
    positive_factor: dict[CharacterType, float]
    negative_factor: dict[CharacterType, float]
    repetition_start: float
    repetition_full: float
    long_reply_words: int = Field(gt=0)
    echo_start: float
    copy_start: float
    affinity: dict[HiddenNeed, dict[Strategy, float]]
    reactions: dict[str, float]
    penalties: dict[str, float]
    temperament: dict[CharacterType, dict[Strategy, float]] = Field(default_factory=dict)
    mood: float = 0.0
    mood_centre: float = 40.0
    bias: float = 0.0
    responsiveness: float = 0.0
    responsiveness_centre: float = 0.5
    step: int = Field(default=1, ge=1)
    impression: list[float] = Field(default_factory=list)
    impression_length: float = 0.0
    impression_bias: float = 0.0
    rules_scale: float = Field(default=1.0, gt=0)


class FitFile(BaseModel):
    """The fitted-parameter file: the weights and how they were obtained."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    """Where the recordings come from."""
    fit_models: list[str]
    """Models whose recorded changes the fit used."""
    held_out: list[str]
    """Models never read by the fit."""
    seed: int
    weights: WeightsModel
    train_metrics: dict[str, Any] = Field(default_factory=dict)
    """Agreement on the fit models, turn by turn (held-out numbers live in the benchmark results)."""
    choices: dict[str, Any] = Field(default_factory=dict)
    """What the fit chose by cross-validation (ridge penalty, shares, shifts) and each fit model's
    agreement when it was left out."""


def weights_to_dict(weights: AppraisalWeights) -> dict[str, Any]:
    """A JSON-ready dict of every field of ``weights``."""
    fields = {f.name: getattr(weights, f.name) for f in dataclasses.fields(weights)}
    return WeightsModel.model_validate(fields).model_dump(mode="json")  # mappings and tuples become JSON


def weights_from_dict(data: dict[str, Any]) -> AppraisalWeights:
    """:class:`AppraisalWeights` from a dict written by :func:`weights_to_dict` (validated)."""
    model = WeightsModel.model_validate(data)
    missing = set(HiddenNeed) - set(model.affinity)
    missing_cells = [(n, s) for n, row in model.affinity.items() for s in Strategy if s not in row]
    if missing or missing_cells:
        raise ValueError(f"affinity table incomplete: needs {sorted(missing)}, cells {missing_cells[:3]}")
    fields = {name: getattr(model, name) for name in WeightsModel.model_fields}
    return AppraisalWeights(
        **{
            **fields,
            "reactions": {**REACTION_POINTS, **model.reactions},  # a file may leave out a reaction: hand-set
            "penalties": {**PENALTY_POINTS, **model.penalties},
            "impression": tuple(model.impression),
        }
    )


@functools.cache
def fitted_weights() -> AppraisalWeights:
    """The weights fitted to DeepSeek-V3 (``data/sage_fit.json``); the hand-set ones if absent."""
    resource = resources.files("rlver.simulator.offline").joinpath("data", FIT_FILE)
    if not resource.is_file():
        return DEFAULT_WEIGHTS
    try:
        fit = FitFile.model_validate(json.loads(resource.read_text(encoding="utf-8")))
        return weights_from_dict(fit.weights.model_dump())
    except ValueError as exc:  # pydantic's ValidationError and json's JSONDecodeError are ValueErrors
        raise SimulatorError(f"{FIT_FILE} is invalid: {exc}") from exc
