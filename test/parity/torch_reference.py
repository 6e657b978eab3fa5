"""PyTorch side of the parity suite: the SSL4MIS UNet + MCSC classifier written from docs/method/networks.md (not copied),
the SSL4MIS Dice loss, and autograd. Reads weights and a batch from safetensors, writes loss and grads.

usage: python3 torch_reference.py MODEL_CONFIG.json WEIGHTS.safetensors BATCH.safetensors OUT.safetensors
"""
import json
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DTYPES = {"F32": np.float32, "I64": np.int64, "U8": np.uint8, "BOOL": np.uint8}


def read_safetensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=DTYPES[e["dtype"]]).reshape(e["shape"]).copy()
    return out


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        b = np.ascontiguousarray(t, dtype=np.float32).tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


class ConvBlock(nn.Module):
    def __init__(self, cin, cout, p):
        super().__init__()
        self.conv_conv = nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.LeakyReLU(), nn.Dropout(p),
            nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.LeakyReLU())

    def forward(self, x):
        return self.conv_conv(x)


class Down(nn.Module):
    def __init__(self, cin, cout, p):
        super().__init__()
        self.maxpool_conv = nn.Sequential(nn.MaxPool2d(2), ConvBlock(cin, cout, p))

    def forward(self, x):
        return self.maxpool_conv(x)


class Up(nn.Module):
    def __init__(self, chi, clo):
        super().__init__()
        self.up = nn.ConvTranspose2d(chi, clo, 2, stride=2)
        self.conv = ConvBlock(2 * clo, clo, 0.0)

    def forward(self, x, skip):
        return self.conv(torch.cat([skip, self.up(x)], 1))


class Encoder(nn.Module):
    def __init__(self, cin, ch, p):
        super().__init__()
        self.in_conv = ConvBlock(cin, ch[0], p[0])
        for i in range(1, 5):
            setattr(self, f"down{i}", Down(ch[i - 1], ch[i], p[i]))

    def forward(self, x):
        xs = [self.in_conv(x)]
        for i in range(1, 5):
            xs.append(getattr(self, f"down{i}")(xs[-1]))
        return xs


class Decoder(nn.Module):
    def __init__(self, ch):
        super().__init__()
        for i in range(1, 5):
            setattr(self, f"up{i}", Up(ch[5 - i], ch[4 - i]))

    def forward(self, xs):
        x = xs[4]
        for i in range(1, 5):
            x = getattr(self, f"up{i}")(x, xs[4 - i])
        return x


class Net(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.encoder = Encoder(cfg["inChannels"], cfg["channels"], cfg["dropout"])
        self.decoder = Decoder(cfg["channels"])
        self.classifier = nn.Module()
        self.classifier.conv1 = nn.Conv2d(cfg["channels"][0], cfg["numClasses"], 3, padding=1)

    def forward(self, x):
        return self.classifier.conv1(self.decoder(self.encoder(x)))


def dice_loss(probs, label, k):
    target = F.one_hot(label, k).permute(0, 3, 1, 2).float()
    inter = (probs * target).sum((0, 2, 3))
    denom = (probs * probs).sum((0, 2, 3)) + target.sum((0, 2, 3)) + 1e-5
    return (1 - (2 * inter + 1e-5) / denom).mean()


def main(cfg_path, weights_path, batch_path, out_path):
    cfg = json.load(open(cfg_path))
    if cfg["arch"] == "unet":
        net = Net(cfg)
    else:
        from torch_swin import SwinNet
        net = SwinNet(cfg)
    state = {k: torch.from_numpy(v) for k, v in read_safetensors(weights_path).items()}
    net.load_state_dict(state, strict=True)
    net.train()
    for m in net.modules():  # dropout off, BatchNorm in training mode (as `mcsc grad`)
        if isinstance(m, nn.Dropout):
            m.p = 0.0
    batch = read_safetensors(batch_path)
    image = torch.from_numpy(batch["image"])
    label = torch.from_numpy(batch["label"].astype(np.int64))
    logits = net(image)
    loss = 0.5 * (F.cross_entropy(logits, label) + dice_loss(torch.softmax(logits, 1), label, cfg["numClasses"]))
    loss.backward()
    out = {"loss": np.array(loss.item(), dtype=np.float32)}
    for name, p in net.named_parameters():
        out[name] = p.grad.numpy()
    write_safetensors(out_path, out)


if __name__ == "__main__":
    main(*sys.argv[1:5])
