import torch

from utils.data_loading import SCALE, load_image


def scaled_image(name):
    return torch.tensor(load_image(name)) * SCALE
