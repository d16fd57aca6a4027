"""A small vision transformer package written with einops (the einops rule family's fixture)."""
