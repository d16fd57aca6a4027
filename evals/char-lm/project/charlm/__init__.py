"""A character-level language model with one causal attention block."""

from .model import TinyLM

__all__ = ["TinyLM"]
