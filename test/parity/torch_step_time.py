"""Serves the PyTorch networks of the parity suite to packages/train/bench/models.bench.ts, which times
them in turn with its own: eval forward and one training step (0.5·(CE + Dice), AdamW, weight decay 5e-4)
on random inputs, one intra-op thread per core (Debian's build starts with one: its OpenMP reports a single
thread unless told; onnxruntime uses every core). Optional: benches call it only when python3 has torch.

usage: python3 torch_step_time.py MODEL_CONFIG.json BATCH SIZE
It builds the network, prints {"ready": true, "threads", "torch"} and then answers each line of stdin:
"forward" or "step" runs one call and prints its time in ms; EOF ends it. Taking turns call by call, both
sides' medians come from the same minutes of this machine, whose speed drifts by up to a third over tens
of seconds.
"""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

from torch_reference import Net, dice_loss


def setup(cfg_path, batch, size):
    torch.set_num_threads(os.cpu_count())
    cfg = json.load(open(cfg_path))
    if cfg["arch"] == "unet":
        net = Net(cfg)
    else:
        from torch_swin import SwinNet
        net = SwinNet(cfg)
    torch.manual_seed(2)
    image = torch.randn(batch, 1, size, size)
    label = torch.randint(0, cfg["numClasses"], (batch, size, size))
    opt = torch.optim.AdamW(net.parameters(), lr=1e-4, weight_decay=5e-4)

    def forward():
        net.eval()
        with torch.no_grad():
            torch.softmax(net(image), 1)

    def step():
        net.train()
        opt.zero_grad(set_to_none=True)
        logits = net(image)
        loss = 0.5 * (F.cross_entropy(logits, label) + dice_loss(torch.softmax(logits, 1), label, cfg["numClasses"]))
        loss.backward()
        opt.step()

    return forward, step


def serve(cfg_path, batch, size):
    calls = dict(zip(("forward", "step"), setup(cfg_path, batch, size)))
    print(json.dumps({"ready": True, "threads": torch.get_num_threads(), "torch": torch.__version__}), flush=True)
    for line in sys.stdin:
        t0 = time.perf_counter()
        calls[line.strip()]()
        print((time.perf_counter() - t0) * 1000, flush=True)


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
