"""A small tabular classifier."""

from .model import Classifier

__all__ = ["Classifier"]
