"""PyTorch Swin-UNet for the parity suite, written from docs/method/networks.md with the reference module names
(swin_unet.patch_embed / layers / layers_up / concat_back_dim / norm / norm_up / up). Dropout and
drop-path are left out: `mcsc grad` switches them off."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def window_partition(x, w):
    b, h, wd, c = x.shape
    return x.view(b, h // w, w, wd // w, w, c).permute(0, 1, 3, 2, 4, 5).reshape(-1, w * w, c)


def window_reverse(x, w, r):
    c = x.shape[-1]
    return x.view(-1, r // w, r // w, w, w, c).permute(0, 1, 3, 2, 4, 5).reshape(-1, r, r, c)


class WindowAttention(nn.Module):
    def __init__(self, dim, w, heads):
        super().__init__()
        self.w, self.heads = w, heads
        self.scale = (dim // heads) ** -0.5
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * w - 1) ** 2, heads))
        coords = torch.stack(torch.meshgrid(torch.arange(w), torch.arange(w), indexing="ij")).flatten(1)
        rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (w - 1)
        self.register_buffer("relative_position_index", rel[:, :, 0] * (2 * w - 1) + rel[:, :, 1], persistent=False)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, mask):
        bn, n, c = x.shape
        qkv = self.qkv(x).reshape(bn, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * self.scale, qkv[1], qkv[2]
        attn = q @ k.transpose(-2, -1)
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)].view(n, n, -1).permute(2, 0, 1)
        attn = attn + bias.unsqueeze(0)
        if mask is not None:
            nw = mask.shape[0]
            attn = (attn.view(bn // nw, nw, self.heads, n, n) + mask.unsqueeze(1).unsqueeze(0)).view(-1, self.heads, n, n)
        return self.proj((attn.softmax(-1) @ v).transpose(1, 2).reshape(bn, n, c))


class Block(nn.Module):
    def __init__(self, dim, r, heads, w, shift, mlp_ratio):
        super().__init__()
        if r <= w:
            w, shift = r, 0
        self.r, self.w, self.shift = r, w, shift
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, w, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Module()
        self.mlp.fc1 = nn.Linear(dim, int(dim * mlp_ratio))
        self.mlp.fc2 = nn.Linear(int(dim * mlp_ratio), dim)
        mask = None
        if shift > 0:
            img = torch.zeros(1, r, r, 1)
            cnt = 0
            for hs in (slice(0, -w), slice(-w, -shift), slice(-shift, None)):
                for ws in (slice(0, -w), slice(-w, -shift), slice(-shift, None)):
                    img[:, hs, ws, :] = cnt
                    cnt += 1
            mw = window_partition(img, w).squeeze(-1)
            mask = (mw.unsqueeze(1) - mw.unsqueeze(2)).ne(0).float() * -100.0
        self.register_buffer("attn_mask", mask, persistent=False)

    def forward(self, x):
        b, l, c = x.shape
        h = self.norm1(x).view(b, self.r, self.r, c)
        if self.shift:
            h = torch.roll(h, (-self.shift, -self.shift), (1, 2))
        h = window_reverse(self.attn(window_partition(h, self.w), self.attn_mask), self.w, self.r)
        if self.shift:
            h = torch.roll(h, (self.shift, self.shift), (1, 2))
        x = x + h.reshape(b, l, c)
        return x + self.mlp.fc2(F.gelu(self.mlp.fc1(self.norm2(x))))


class PatchMerging(nn.Module):
    def __init__(self, r, dim):
        super().__init__()
        self.r = r
        self.norm = nn.LayerNorm(4 * dim)
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)

    def forward(self, x):
        b, _, c = x.shape
        x = x.view(b, self.r, self.r, c)
        x = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], -1).view(b, -1, 4 * c)
        return self.reduction(self.norm(x))


class PatchExpand(nn.Module):
    def __init__(self, r, dim, scale, out):
        super().__init__()
        self.r, self.scale, self.out = r, scale, out
        self.expand = nn.Linear(dim, scale * scale * out, bias=False)
        self.norm = nn.LayerNorm(out)

    def forward(self, x):
        b = x.shape[0]
        s, r, o = self.scale, self.r, self.out
        x = self.expand(x).view(b, r, r, s, s, o).permute(0, 1, 3, 2, 4, 5).reshape(b, -1, o)
        return self.norm(x)


class Layer(nn.Module):
    def __init__(self, dim, r, depth, heads, w, mlp_ratio):
        super().__init__()
        self.blocks = nn.ModuleList([Block(dim, r, heads, w, 0 if j % 2 == 0 else w // 2, mlp_ratio) for j in range(depth)])

    def forward(self, x):
        for blk in self.blocks:
            x = blk(x)
        return x


class SwinUNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        c, p, depths, heads, w = cfg["embedDim"], cfg["patchSize"], cfg["depths"], cfg["numHeads"], cfg["windowSize"]
        L = len(depths)
        self.cfg = cfg
        res = [cfg["imgSize"] // p // 2 ** i for i in range(L)]
        self.res = res
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv2d(3 if cfg["inChannels"] == 1 else cfg["inChannels"], c, p, stride=p)
        self.patch_embed.norm = nn.LayerNorm(c)
        self.layers = nn.ModuleList()
        for i in range(L):
            layer = Layer(c * 2 ** i, res[i], depths[i], heads[i], w, cfg["mlpRatio"])
            if i < L - 1:
                layer.downsample = PatchMerging(res[i], c * 2 ** i)
            self.layers.append(layer)
        self.norm = nn.LayerNorm(c * 2 ** (L - 1))
        self.layers_up = nn.ModuleList()
        self.concat_back_dim = nn.ModuleList()
        for u in range(L):
            i = L - 1 - u
            dim = c * 2 ** i
            if u == 0:
                self.layers_up.append(PatchExpand(res[i], dim, 2, dim // 2))
                self.concat_back_dim.append(nn.Identity())
            else:
                layer = Layer(dim, res[i], depths[i], heads[i], w, cfg["mlpRatio"])
                if u < L - 1:
                    layer.upsample = PatchExpand(res[i], dim, 2, dim // 2)
                self.layers_up.append(layer)
                self.concat_back_dim.append(nn.Linear(2 * dim, dim))
        self.norm_up = nn.LayerNorm(c)
        self.up = PatchExpand(res[0], c, p, c)

    def forward(self, x):
        if x.shape[1] == 1:
            x = x.repeat(1, 3, 1, 1)
        x = self.patch_embed.norm(self.patch_embed.proj(x).flatten(2).transpose(1, 2))
        skips = []
        for layer in self.layers:
            skips.append(x)
            x = layer(x)
            if hasattr(layer, "downsample"):
                x = layer.downsample(x)
        x = self.norm(x)
        L = len(self.layers)
        for u, layer in enumerate(self.layers_up):
            if u == 0:
                x = layer(x)
            else:
                x = self.concat_back_dim[u](torch.cat([x, skips[L - 1 - u]], -1))
                x = layer(x)
                if hasattr(layer, "upsample"):
                    x = layer.upsample(x)
        r = self.res[0] * self.cfg["patchSize"]
        x = self.up(self.norm_up(x))
        return x.view(x.shape[0], r, r, -1).permute(0, 3, 1, 2)


class SwinNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.swin_unet = SwinUNet(cfg)
        self.classifier = nn.Module()
        self.classifier.conv1 = nn.Conv2d(cfg["embedDim"], cfg["numClasses"], 3, padding=1)

    def forward(self, x):
        return self.classifier.conv1(self.swin_unet(x))
