"""Exceptions raised by rlver. Every error a user can cause has one clear message."""

from __future__ import annotations

__all__ = [
    "RlverError",
    "ProfileError",
    "LLMError",
    "SimulatorError",
    "PolicyError",
    "ConfigError",
]


class RlverError(Exception):
    """Base class of every error rlver raises on purpose."""


class ProfileError(RlverError):
    """A profile file or record is malformed. The message names ``PATH:LINE`` when known."""


class LLMError(RlverError):
    """An LLM endpoint failed after the bounded retries, or answered with something unusable."""


class SimulatorError(RlverError):
    """The simulated user could not produce a valid appraisal or reply (after bounded retries).

    A dialogue that hits this is recorded as failed and dropped from rewards; it is never scored 0.
    """


class PolicyError(RlverError):
    """The policy backend failed to produce a reply."""


class ConfigError(RlverError):
    """A configuration value or command-line option is invalid."""
