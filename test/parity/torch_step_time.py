"""Times the PyTorch networks of the parity suite the way packages/train/bench/models.bench.ts times ours:
eval forward and one training step (0.5·(CE + Dice), AdamW, weight decay 5e-4) on random inputs, a median
of REPEATS after WARMUP untimed calls (default 1), one intra-op thread per core (Debian's build starts with one: its
OpenMP reports a single thread unless told; onnxruntime uses every core). Prints one JSON line:
{"forwardMs", "stepMs", "threads", "torch"}. Optional: benches call it only when python3 has torch.

usage: python3 torch_step_time.py MODEL_CONFIG.json BATCH SIZE REPEATS [WARMUP]
"""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

from torch_reference import Net, dice_loss


def median_ms(runs, fn, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return sorted(times)[len(times) // 2]


def main(cfg_path, batch, size, repeats, warmup=1):
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

    out = {"forwardMs": median_ms(repeats, forward, warmup), "stepMs": median_ms(repeats, step, warmup),
           "threads": torch.get_num_threads(), "torch": torch.__version__}
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]) if len(sys.argv) > 5 else 1)
