"""rlver.rl"""
