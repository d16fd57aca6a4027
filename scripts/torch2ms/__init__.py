"""torch2ms: the deterministic helpers of a Claude Code pack that migrates PyTorch to MindSpore."""

__version__ = "0.1.0"
