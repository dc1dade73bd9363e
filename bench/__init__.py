"""Benchmarks, not timed tests. A package so that the scripts share helpers (``bench.lora_steps``) by a name
no other ``bench`` module on ``sys.path`` can shadow (a namespace package would lose to one).
"""
