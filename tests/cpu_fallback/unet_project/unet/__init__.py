"""A small bilinear U-Net (torch) and its mint port: the fallback's training-step fixture."""
