"""Exceptions raised by rlver. Every error a user can cause has one clear message."""

from __future__ import annotations

__all__ = [
    "RlverError",
    "InputError",
    "ProfileError",
    "LLMError",
    "SimulatorError",
    "PolicyError",
    "ConfigError",
    "RunFailed",
]


class RlverError(Exception):
    """Base class of every error rlver raises on purpose."""


class InputError(RlverError):
    """Input the user must fix (a file, a flag, a config value); the CLI exits 2. Other errors are
    failures of a run (an endpoint, a policy, a simulator) and exit 1."""


class ProfileError(InputError):
    """A profile file or record is malformed. The message names ``PATH:LINE`` when known."""


class LLMError(RlverError):
    """An LLM endpoint failed after the bounded retries, or answered with something unusable."""


class SimulatorError(RlverError):
    """The simulated user could not produce a valid appraisal or reply (after bounded retries).

    A dialogue that hits this is recorded as failed and dropped from rewards; it is never scored 0.
    """


class PolicyError(RlverError):
    """The policy backend failed to produce a reply."""


class ConfigError(InputError):
    """A configuration value or command-line option is invalid."""


class RunFailed(RlverError):
    """A run could not do its job: dialogues failed beyond what was allowed, or training had no
    scorable episodes for too long. The CLI exits 1 with this one line."""
