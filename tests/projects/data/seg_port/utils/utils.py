import mindspore

from utils.data_loading import SCALE, load_image


def scaled_image(name):
    return mindspore.Tensor(load_image(name)) * SCALE
