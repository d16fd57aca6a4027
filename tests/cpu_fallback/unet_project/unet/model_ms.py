"""The U-Net of model_torch.py, ported to mint."""

from mindspore import mint, nn
from mindspore.mint.nn import functional as F


class DoubleConv(nn.Cell):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.double_conv = nn.SequentialCell(
            mint.nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False), mint.nn.BatchNorm2d(out_channels),
            mint.nn.ReLU(),
            mint.nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False), mint.nn.BatchNorm2d(out_channels),
            mint.nn.ReLU())

    def construct(self, x):
        return self.double_conv(x)


class Down(nn.Cell):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.maxpool_conv = nn.SequentialCell(mint.nn.MaxPool2d(2), DoubleConv(in_channels, out_channels))

    def construct(self, x):
        return self.maxpool_conv(x)


class Up(nn.Cell):
    def __init__(self, in_channels, out_channels, upsampler):
        super().__init__()
        self.upsampler = upsampler
        if upsampler == "module":
            self.up = mint.nn.UpsamplingBilinear2d(scale_factor=(2.0, 2.0))
        elif upsampler == "upsample":
            self.up = mint.nn.Upsample(scale_factor=2.0, mode="bilinear", align_corners=True)
        self.conv = DoubleConv(in_channels, out_channels)

    def construct(self, x1, x2):
        if self.upsampler == "functional":
            x1 = F.interpolate(x1, scale_factor=2.0, mode="bilinear", align_corners=False)
        else:
            x1 = self.up(x1)
        diff_y = x2.shape[2] - x1.shape[2]
        diff_x = x2.shape[3] - x1.shape[3]
        x1 = F.pad(x1, [diff_x // 2, diff_x - diff_x // 2, diff_y // 2, diff_y - diff_y // 2])
        return self.conv(mint.cat([x2, x1], dim=1))


class UNet(nn.Cell):
    def __init__(self, upsampler="module", n_channels=3, n_classes=2):
        super().__init__()
        self.inc = DoubleConv(n_channels, 8)
        self.down1 = Down(8, 16)
        self.down2 = Down(16, 16)
        self.up1 = Up(32, 8, upsampler)
        self.up2 = Up(16, 8, upsampler)
        self.outc = mint.nn.Conv2d(8, n_classes, 1)

    def construct(self, x):
        x1 = self.inc(x)
        x2 = self.down1(x1)
        x3 = self.down2(x2)
        x = self.up1(x3, x2)
        x = self.up2(x, x1)
        return self.outc(x)
