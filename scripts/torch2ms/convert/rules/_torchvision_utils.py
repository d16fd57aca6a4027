"""torchvision.utils.make_grid / save_image written with numpy + PIL.

MindSpore has neither function. The torchvision rule family copies these two functions, as
they are written here, into a converted file that calls them (tests compare them with
torchvision's on the same images: equal uint8 pixels). They take a mindspore.Tensor, a numpy
array or a list of either; everything they need is imported inside them, so the copy stands
alone.
"""


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """The images of a (B, C, H, W) batch in one grid (make_grid of torch's vision library), on numpy."""
    import math

    import mindspore
    import numpy as np

    def as_array(t):
        return np.asarray(t.asnumpy() if hasattr(t, "asnumpy") else t, dtype=np.float32)

    if isinstance(tensor, (list, tuple)):
        x = np.stack([as_array(t) for t in tensor])
    else:
        x = as_array(tensor).copy()
    if x.ndim == 2:
        x = x[None]
    if x.ndim == 3:
        if x.shape[0] == 1:
            x = np.concatenate([x, x, x], 0)
        x = x[None]
    if x.ndim == 4 and x.shape[1] == 1:
        x = np.concatenate([x, x, x], 1)

    def norm_range(img):
        low, high = (value_range if value_range is not None else (float(np.min(img)), float(np.max(img))))
        img = np.clip(img, low, high)
        return (img - np.float32(low)) / np.float32(max(high - low, 1e-5))

    if normalize:
        x = np.stack([norm_range(img) for img in x]) if scale_each else norm_range(x)
    if x.shape[0] == 1:
        return mindspore.Tensor(x[0])
    count = x.shape[0]
    xmaps = min(nrow, count)
    ymaps = int(math.ceil(float(count) / xmaps))
    height, width = x.shape[2] + padding, x.shape[3] + padding
    grid = np.full((x.shape[1], height * ymaps + padding, width * xmaps + padding), pad_value, dtype=np.float32)
    k = 0
    for y in range(ymaps):
        for col in range(xmaps):
            if k >= count:
                break
            top, left = y * height + padding, col * width + padding
            grid[:, top:top + height - padding, left:left + width - padding] = x[k]
            k += 1
    return mindspore.Tensor(grid)


def save_image(tensor, fp, format=None, **kwargs):
    """The grid of `make_grid` written as an image file, with numpy + PIL."""
    import numpy as np
    from PIL import Image

    grid = make_grid(tensor, **kwargs).asnumpy()
    pixels = np.clip(grid * np.float32(255) + np.float32(0.5), 0, 255).transpose(1, 2, 0).astype(np.uint8)
    Image.fromarray(pixels).save(fp, format=format)
