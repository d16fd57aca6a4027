"""The port of train_gan.py: one value_and_grad per model."""

import argparse

import mindspore
from mindspore import mint, ops

from gan.nets import Discriminator, Generator

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=3)
args = parser.parse_args()
mindspore.set_seed(0)
real = mint.randn(64, 4) * 0.5 + 1.0
netG = Generator()
netD = Discriminator()
optD = mint.optim.Adam(netD.trainable_params(), lr=0.01)
optG = mint.optim.Adam(netG.trainable_params(), lr=0.01)


def d_loss(x, fake):
    return ((netD(x) - 1) ** 2).mean() + (netD(fake) ** 2).mean()


def g_loss(z):
    return ((netD(netG(z)) - 1) ** 2).mean()


grad_d = mindspore.value_and_grad(d_loss, None, optD.parameters)
grad_g = mindspore.value_and_grad(g_loss, None, optG.parameters)
for step in range(args.steps):
    x = real[step * 8:(step + 1) * 8]
    z = mint.randn(8, 3)
    fake = ops.stop_gradient(netG(z))
    lossD, grads = grad_d(x, fake)
    optD(grads)
    lossG, grads = grad_g(z)
    optG(grads)
    print(step, float(lossD.asnumpy()), float(lossG.asnumpy()))
