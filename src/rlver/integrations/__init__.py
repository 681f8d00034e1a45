"""rlver.integrations"""
