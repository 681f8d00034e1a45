"""Simulated-user profiles: schema, loaders, built-in sets and the LLM generator."""

from rlver.profiles.io import (
    ProfileFileError,
    ProfileIssue,
    iter_profile_records,
    load_profiles,
    write_profiles,
)
from rlver.profiles.schema import EMOTIONAL_NEEDS, RATIONAL_NEEDS, CharacterType, HiddenNeed, Language, Profile
from rlver.profiles.stats import ProfileStats, profile_stats

__all__ = [
    "CharacterType",
    "HiddenNeed",
    "Profile",
    "Language",
    "RATIONAL_NEEDS",
    "EMOTIONAL_NEEDS",
    "load_profiles",
    "write_profiles",
    "iter_profile_records",
    "ProfileFileError",
    "ProfileIssue",
    "ProfileStats",
    "profile_stats",
]
