"""rlver.report"""
