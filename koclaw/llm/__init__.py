"""Talking to the model server: streaming, thinking and tool-call extraction."""
