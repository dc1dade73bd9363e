"""Training-data generation, LoRA training and evaluation of the Soul tier.

Imported lazily: the runtime must start without torch or the training stack installed.
"""
