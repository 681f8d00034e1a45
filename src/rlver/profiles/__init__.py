"""Simulated-user profiles: schema, loaders, built-in sets and the LLM generator."""

from rlver.profiles.schema import EMOTIONAL_NEEDS, RATIONAL_NEEDS, CharacterType, HiddenNeed, Language, Profile

__all__ = ["CharacterType", "HiddenNeed", "Profile", "Language", "RATIONAL_NEEDS", "EMOTIONAL_NEEDS"]
