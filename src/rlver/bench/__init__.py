"""rlver.bench"""
