"""A small convolutional classifier for 16x16 grey images."""

from .model import SmallCNN

__all__ = ["SmallCNN"]
