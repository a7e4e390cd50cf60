"""Train the studio's built-in demo: a small ResNet on Fashion-MNIST, exported to ONNX.

Rebuild with `npm run demo:train` (needs Debian's python3-torch, python3-onnx, python3-pil and
dataset-fashion-mnist). Writes public/demo/{model.onnx, classes.txt, manifest.json, images/*.png}.
The images are test-set images (never seen in training), named `LABEL_INDEX.png` so that the studio
reads their label from the file-name prefix.
"""
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

DATA = "/usr/share/datasets/fashion-mnist"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "public", "demo")
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
IMAGES_PER_CLASS = 25
EPOCHS = int(os.environ.get("DEMO_EPOCHS", "6"))
SEED = 20261128


def read_idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.down is None else self.down(x)))


class DemoResNet(nn.Module):
    """Stem, three stages of one basic block (16/32/64 channels), global pool, classifier."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.stages = nn.Sequential(Block(16, 16, 1), Block(16, 32, 2), Block(32, 64, 2))
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.stages(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def to_input(images):
    return torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)


def accuracy(model, images, labels):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(images), 1000):
            pred = model(to_input(images[i:i + 1000])).argmax(1).numpy()
            correct += int((pred == labels[i:i + 1000]).sum())
    return correct / len(images)


def main():
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.set_num_threads(os.cpu_count() or 1)
    train_x, train_y = read_idx("train-images-idx3-ubyte.gz"), read_idx("train-labels-idx1-ubyte.gz")
    test_x, test_y = read_idx("t10k-images-idx3-ubyte.gz"), read_idx("t10k-labels-idx1-ubyte.gz")

    model = DemoResNet()
    batch = 128
    steps = EPOCHS * (len(train_x) // batch)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.2, total_steps=steps)
    for epoch in range(EPOCHS):
        model.train()
        order = np.random.permutation(len(train_x))
        start = time.time()
        for s in range(len(train_x) // batch):
            idx = order[s * batch:(s + 1) * batch]
            x = to_input(train_x[idx])
            if np.random.rand() < 0.5:  # horizontal flips: clothes are left-right symmetric
                x = torch.flip(x, [3])
            loss = F.cross_entropy(model(x), torch.from_numpy(train_y[idx].astype(np.int64)))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        print(f"epoch {epoch + 1}/{EPOCHS}: loss {loss.item():.3f}, test top-1 "
              f"{accuracy(model, test_x, test_y) * 100:.2f} %, {time.time() - start:.0f} s", flush=True)

    model.eval()
    top1 = accuracy(model, test_x, test_y)
    os.makedirs(os.path.join(OUT, "images"), exist_ok=True)
    torch.onnx.export(model, to_input(test_x[:1]), os.path.join(OUT, "model.onnx"),
                      input_names=["image"], output_names=["logits"], opset_version=13,
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
                      do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)

    picked = []
    for c in range(10):
        picked += [int(i) for i in np.nonzero(test_y == c)[0][:IMAGES_PER_CLASS]]
    picked.sort()
    for f in os.listdir(os.path.join(OUT, "images")):
        os.remove(os.path.join(OUT, "images", f))
    for i in picked:
        Image.fromarray(test_x[i], mode="L").save(os.path.join(OUT, "images", f"{test_y[i]}_{i:05d}.png"),
                                                 optimize=True)
    shipped_top1 = accuracy(model, test_x[picked], test_y[picked])
    with open(os.path.join(OUT, "images.json"), "w") as f:
        json.dump(sorted(os.listdir(os.path.join(OUT, "images"))), f)
    with open(os.path.join(OUT, "classes.txt"), "w") as f:
        f.write("\n".join(CLASSES) + "\n")
    manifest = {
        "model": "model.onnx",
        "dataset": "Fashion-MNIST",
        "input": {"name": "image", "shape": [None, 1, 28, 28], "preset": "zero1", "channels": "gray"},
        "epochs": EPOCHS,
        "seed": SEED,
        "fp32_top1_test_set": round(top1, 4),
        "test_set_size": int(len(test_x)),
        "images": len(picked),
        "fp32_top1_images": round(shipped_top1, 4),
    }
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(json.dumps(manifest, indent=2))


if __name__ == "__main__":
    sys.exit(main())
