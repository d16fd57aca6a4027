"""MindSpore port of the CNN of `tests/e2e/unseen/train_classifier.py` (SmallCNN), as
`torch2ms convert` wrote it (the model only: the data pipeline and loops are not benchmarked)."""

from mindspore import mint, nn


class SmallCNN(nn.Cell):
    def __init__(self, num_classes=4, width=16, dropout=0.25):
        super().__init__()
        self.features = nn.SequentialCell(
            mint.nn.Conv2d(3, width, kernel_size=3, padding=1),
            mint.nn.BatchNorm2d(width),
            mint.nn.ReLU(),
            mint.nn.MaxPool2d(2),
            mint.nn.Conv2d(width, 2 * width, kernel_size=3, padding=1),
            mint.nn.BatchNorm2d(2 * width),
            mint.nn.ReLU(),
            mint.nn.MaxPool2d(2),
        )
        self.dropout = mint.nn.Dropout(dropout)
        self.fc = mint.nn.Linear(2 * width * 8 * 8, num_classes)

    def construct(self, x):
        x = self.features(x)
        x = mint.flatten(x, 1)
        x = self.dropout(x)
        return self.fc(x)


def build_model(num_classes=4, width=16, dropout=0.0):
    return SmallCNN(num_classes, width, dropout)
