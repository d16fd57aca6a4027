import torch
from torch import nn
from einops import pack, rearrange, reduce, repeat, unpack
from einops.layers.torch import Rearrange, Reduce

from .layers import Transformer


def pair(t):
    return t if isinstance(t, tuple) else (t, t)


class ViT(nn.Module):
    """Class token, learned positions, mean or cls pooling."""

    def __init__(self, *, image_size=16, patch_size=4, num_classes=10, dim=32, depth=2, heads=4,
                 mlp_dim=64, channels=3, dim_head=8, pool="cls"):
        super().__init__()
        image_height, image_width = pair(image_size)
        patch_height, patch_width = pair(patch_size)
        num_patches = (image_height // patch_height) * (image_width // patch_width)
        patch_dim = channels * patch_height * patch_width
        self.to_patch_embedding = nn.Sequential(
            Rearrange("b c (h p1) (w p2) -> b (h w) (p1 p2 c)", p1=patch_height, p2=patch_width),
            nn.LayerNorm(patch_dim),
            nn.Linear(patch_dim, dim),
            nn.LayerNorm(dim),
        )
        self.pos_embedding = nn.Parameter(torch.randn(1, num_patches + 1, dim))
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim))
        self.transformer = Transformer(dim, depth, heads, dim_head, mlp_dim)
        self.pool = pool
        self.mlp_head = nn.Linear(dim, num_classes)

    def forward(self, img):
        x = self.to_patch_embedding(img)
        b, n, _ = x.shape
        cls_tokens = repeat(self.cls_token, "1 1 d -> b 1 d", b=b)
        x = torch.cat((cls_tokens, x), dim=1)
        x = x + self.pos_embedding[:, :(n + 1)]
        x = self.transformer(x)
        x = reduce(x, "b n d -> b d", "mean") if self.pool == "mean" else x[:, 0]
        return self.mlp_head(x)


class PatchPoolViT(nn.Module):
    """No class token: patches pooled by a Reduce layer, heads read from a channels-last image."""

    def __init__(self, image_size=16, patch_size=4, num_classes=10, dim=32, depth=1, heads=4, mlp_dim=64):
        super().__init__()
        num_patches = (image_size // patch_size) ** 2
        self.to_patches = nn.Sequential(
            Rearrange("b (h p1) (w p2) c -> b (h w) (p1 p2 c)", p1=patch_size, p2=patch_size),
            nn.Linear(3 * patch_size * patch_size, dim),
        )
        self.pos = nn.Parameter(torch.randn(num_patches, dim))
        self.transformer = Transformer(dim, depth, heads, dim // heads, mlp_dim)
        self.head = nn.Sequential(Reduce("b n d -> b d", "mean"), nn.Linear(dim, num_classes))

    def forward(self, img):
        img = rearrange(img, "b c h w -> b h w c")
        x = self.to_patches(img)
        x = x + repeat(self.pos, "n d -> b n d", b=x.shape[0])
        x = self.transformer(x)
        return self.head(x)


class RegisterViT(nn.Module):
    """Register tokens packed beside the patches (vit-pytorch's simple ViT with registers)."""

    def __init__(self, image_size=16, patch_size=4, num_classes=10, dim=32, depth=1, heads=4,
                 mlp_dim=64, num_register_tokens=2):
        super().__init__()
        self.to_patch_embedding = nn.Sequential(
            Rearrange("b c (h p1) (w p2) -> b (h w) (p1 p2 c)", p1=patch_size, p2=patch_size),
            nn.Linear(3 * patch_size * patch_size, dim),
        )
        self.register_tokens = nn.Parameter(torch.randn(num_register_tokens, dim))
        self.transformer = Transformer(dim, depth, heads, dim // heads, mlp_dim)
        self.linear_head = nn.Linear(dim, num_classes)

    def forward(self, img):
        x = self.to_patch_embedding(img)
        r = repeat(self.register_tokens, "n d -> b n d", b=x.shape[0])
        x, ps = pack([x, r], "b * d")
        x = self.transformer(x)
        x, _ = unpack(x, ps, "b * d")
        x = x.mean(dim=1)
        return self.linear_head(x)
