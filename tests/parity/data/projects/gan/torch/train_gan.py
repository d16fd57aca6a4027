"""A least-squares GAN: two models, two optimizers, a discriminator and a generator loss per step."""

import argparse

import torch

from gan.nets import Discriminator, Generator

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=3)
args = parser.parse_args()
torch.manual_seed(0)
real = torch.randn(64, 4) * 0.5 + 1.0
netG = Generator()
netD = Discriminator()
optD = torch.optim.Adam(netD.parameters(), lr=0.01)
optG = torch.optim.Adam(netG.parameters(), lr=0.01)
for step in range(args.steps):
    x = real[step * 8:(step + 1) * 8]
    z = torch.randn(8, 3)
    fake = netG(z)
    lossD = ((netD(x) - 1) ** 2).mean() + (netD(fake.detach()) ** 2).mean()
    optD.zero_grad()
    lossD.backward()
    optD.step()
    lossG = ((netD(fake) - 1) ** 2).mean()
    optG.zero_grad()
    lossG.backward()
    optG.step()
    print(step, lossD.item(), lossG.item())
