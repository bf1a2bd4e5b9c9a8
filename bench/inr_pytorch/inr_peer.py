"""PyTorch stand-in for the INRImager reference of paper 000, for side-by-side runs.

Built from `shared/specs/ris_inr_imaging.md` §§1-5 (not from the reference's code):
the same geometry, channel, network (Fourier features + SIREN + sigmoid, Sitzmann
initialisation), mean-form loss, Adam with coupled weight decay, gradient clipping and
plateau halving. Like the reference, it recomputes the sigma-independent products
G_k = H_TI diag(w_k) H_OI^T and Q_k = H_OI diag(w_k) H_IR every epoch; `--precompute`
hoists them out of the loop (what rftwin does).

    python3 inr_peer.py --target truth.png --epochs 200 --threads 2

Prints one `summary: {json}` line with the image metrics (PSNR with peak 1, skimage's
default SSIM) and the median seconds per epoch per stage.
"""
import argparse
import json
import math
import time

import numpy as np
import torch
from PIL import Image
from skimage.metrics import structural_similarity

LAMBDA, D, K, S = 0.1, 4.0, 40, 110.0
N_S, XI_S, N_V, XI_V, N_ANT = 50, 0.05, 100, 0.02, 8


def hop(a, b):
    """h(a, b) = exp(-j 2 pi d / lambda) / (sqrt(4 pi) d) for every pair of rows."""
    d = torch.cdist(a, b)
    return torch.exp(-2j * math.pi * d / LAMBDA) / (math.sqrt(4 * math.pi) * d)


def geometry():
    idx = torch.arange(N_S, dtype=torch.float64)
    ii, jj = torch.meshgrid(idx, idx, indexing="ij")
    ris = torch.stack([torch.zeros(N_S * N_S, dtype=torch.float64), ((ii - 24.5) * XI_S).flatten(), ((jj - 24.5) * XI_S).flatten()], 1)
    v = torch.arange(N_V, dtype=torch.float64)
    row, col = torch.meshgrid(v, v, indexing="ij")
    roi = torch.stack([torch.full((N_V * N_V,), D, dtype=torch.float64), ((col - 49.5) * XI_V).flatten(), ((49.5 - row) * XI_V).flatten()], 1)
    t = torch.arange(N_ANT, dtype=torch.float64)
    tx = torch.stack([torch.full((N_ANT,), 10 * LAMBDA, dtype=torch.float64), 10 * LAMBDA + t * LAMBDA / 2, torch.zeros(N_ANT, dtype=torch.float64)], 1)
    rx = torch.stack([torch.full((N_ANT,), 10 * LAMBDA, dtype=torch.float64), -10 * LAMBDA + t * LAMBDA / 2, torch.zeros(N_ANT, dtype=torch.float64)], 1)
    return ris, roi, tx, rx


class Physics:
    """y(sigma) of spec section 2.3 in c64, s-scaled and real-stacked (section 2.6)."""

    def __init__(self, seed, precompute):
        ris, roi, tx, rx = geometry()
        g_ris = math.sqrt(4 * math.pi) * XI_S**2 / LAMBDA
        self.g_vox = math.sqrt(4 * math.pi) * XI_V**2 / LAMBDA
        self.h_to, self.h_or = hop(tx, roi).to(torch.complex64), hop(roi, rx).to(torch.complex64)
        self.h_ti, self.h_ir = hop(tx, ris).to(torch.complex64), hop(ris, rx).to(torch.complex64)
        self.h_oi = hop(roi, ris).to(torch.complex64)
        rng = np.random.default_rng(seed)
        self.omega = torch.from_numpy(np.exp(-2j * np.pi * rng.random((K, N_S * N_S)))).to(torch.complex64) * g_ris
        self.cached = self.products() if precompute else None

    def products(self):
        """G_k (K, N_t, N_v) and Q_k (K, N_v, N_r): the 32-GFLOP part."""
        n_t, n_r = self.h_ti.shape[0], self.h_ir.shape[1]
        # one GEMM each, (K N_t x N_s)(N_s x N_v) and (N_v x N_s)(N_s x K N_r)
        g = ((self.h_ti.unsqueeze(0) * self.omega.unsqueeze(1)).reshape(K * n_t, -1) @ self.h_oi.T).reshape(K, n_t, -1)
        weighted = (self.omega.unsqueeze(2) * self.h_ir.unsqueeze(0)).permute(1, 0, 2).reshape(self.h_oi.shape[1], K * n_r)
        q = (self.h_oi @ weighted).reshape(-1, K, n_r).permute(1, 0, 2)
        return g, q

    def __call__(self, sigma):
        g, q = self.cached if self.cached is not None else self.products()
        s = (self.g_vox * sigma).to(torch.complex64)
        left = (self.h_to.unsqueeze(0) + g) * s  # (K, N_t, N_v)
        y = torch.matmul(left, self.h_or) + torch.matmul(self.h_to * s, q)
        return S * torch.cat([y.real.reshape(K, -1), y.imag.reshape(K, -1)], 1).flatten()


class Siren(torch.nn.Module):
    def __init__(self, seed, n_pe=256, chi=4.0, width=256, omega0=30.0):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.register_buffer("b", chi * torch.randn(n_pe, 2, generator=gen))
        self.omega0 = omega0
        sizes = [2 * n_pe] + [width] * 5 + [1]
        self.layers = torch.nn.ModuleList(torch.nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        with torch.no_grad():
            for i, layer in enumerate(self.layers):
                bound = 1 / layer.in_features if i == 0 else math.sqrt(6 / layer.in_features) / omega0
                layer.weight.uniform_(-bound, bound, generator=gen)
                layer.bias.uniform_(-1 / math.sqrt(layer.in_features), 1 / math.sqrt(layer.in_features), generator=gen)

    def forward(self, p):
        v = 2 * math.pi * p @ self.b.T
        x = torch.cat([torch.sin(v), torch.cos(v)], 1)
        for layer in self.layers[:-1]:
            x = torch.sin(self.omega0 * layer(x))
        return torch.sigmoid(self.layers[-1](x)).squeeze(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", required=True)
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--alpha", type=float, default=0.01)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--precompute", action="store_true")
    ap.add_argument("--out", default=None, help="write the best image as PNG")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    truth = np.asarray(Image.open(a.target).convert("L").resize((N_V, N_V), Image.BILINEAR), dtype=np.float64) / 255.0
    t0 = time.perf_counter()
    physics = Physics(a.seed, a.precompute)
    y = physics(torch.from_numpy(truth.flatten()).float()).detach()
    setup = time.perf_counter() - t0
    rows = torch.arange(N_V, dtype=torch.float32) / (N_V - 1)
    r, c = torch.meshgrid(rows, rows, indexing="ij")
    points = torch.stack([r.flatten(), c.flatten()], 1)
    net = Siren(a.seed)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-8)
    best, best_image, counter = float("inf"), None, 0
    stages = {"forward": [], "physics": [], "backward": [], "optimiser": []}
    for epoch in range(a.epochs):
        t = [time.perf_counter()]
        sigma = net(points)
        t.append(time.perf_counter())
        y_hat = physics(sigma)
        data = torch.mean((y_hat - y) ** 2)
        loss = data + a.alpha * torch.mean(sigma)
        t.append(time.perf_counter())
        opt.zero_grad()
        loss.backward()
        t.append(time.perf_counter())
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        t.append(time.perf_counter())
        for (name, times), i in zip(stages.items(), range(4)):
            times.append(t[i + 1] - t[i])
        mse = data.item()
        if mse < best:
            best, best_image, counter = mse, sigma.detach().numpy().astype(np.float64), 0
        else:
            counter += 1
            if counter > 50:
                for group in opt.param_groups:
                    group["lr"] /= 2
                counter = 0
    image = best_image.reshape(N_V, N_V)
    psnr = 10 * math.log10(1.0 / np.mean((image - truth) ** 2))
    ssim = structural_similarity(truth, image, data_range=1.0)
    if a.out:
        Image.fromarray(np.clip(image * 255 + 0.5, 0, 255).astype(np.uint8)).save(a.out)
    med = {k: float(np.median(v[1:])) for k, v in stages.items()}
    summary = {"psnr_db": psnr, "ssim": float(ssim), "epochs": a.epochs, "threads": a.threads, "precompute": a.precompute,
               "seconds_per_epoch": sum(med.values()), "stage_seconds": med, "setup_s": setup, "torch": torch.__version__}
    print("summary: " + json.dumps(summary))


if __name__ == "__main__":
    main()
