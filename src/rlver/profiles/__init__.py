"""Simulated-user profiles: schema, loaders, built-in sets and the LLM generator."""

from rlver.utils.lazy import lazy_exports


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

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "rlver.profiles.io": [
            "ProfileFileError",
            "ProfileIssue",
            "iter_profile_records",
            "load_profiles",
            "write_profiles",
        ],
        "rlver.profiles.schema": [
            "EMOTIONAL_NEEDS",
            "RATIONAL_NEEDS",
            "CharacterType",
            "HiddenNeed",
            "Language",
            "Profile",
        ],
        "rlver.profiles.stats": ["ProfileStats", "profile_stats"],
    },
)
