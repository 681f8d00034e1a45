"""rlver.llm"""
