"""Reading images (no torch here)."""
SCALE = 0.5


def load_image(name):
    return [float(len(name))]
