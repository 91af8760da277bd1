#!/usr/bin/env python3
"""kiln's compiled training step against PyTorch's eager one, in one run.

Run through benchmarks/train.sh, which installs PyTorch in a virtual
environment and calls this script with its Python. For each case (model,
batch) and thread count, `kiln-bench train` compiles the model's train step
and times it; with --save-step it also writes the initial weights, the
synthetic batch and the tensors after the first step. PyTorch then builds the
same model from those weights (kiln's layouts converted: NHWC/HWCF to
NCHW/OIHW, dense weights transposed, the rows of the dense layer after the
flatten permuted from kiln's HWC order to PyTorch's CHW order), checks that
its first step on the same batch gives the same loss, gradients and updated
parameters (for the cnn, or the same step in float64 does: a max-pool tie),
and times its step: forward, loss, backward, optimizer.step with
the optimizer and hyper-parameters of the model's training setup. Each
PyTorch variant (NCHW or channels_last for the cnn; Adam's default or fused
implementation) is timed, and the fastest is the figure compared. PyTorch
runs in a process of its own per thread count (its thread pools are fixed at
start-up), with the thread count in the environment before import. kiln and
PyTorch take turns, --rounds times (default 3), and each case's figure is the
lowest of its rounds' medians.

Writes benchmarks/results/train.md; scratch files go under build/train-bench/.
"""
import argparse
import datetime
import importlib.metadata
import json
import math
import os
import platform
import re
import subprocess
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
SCRATCH = BUILD / "train-bench"
RESULTS = ROOT / "benchmarks" / "results"
KILN_BENCH = BUILD / "tools" / "kiln-bench"

CASES = [("fashion_mlp", 64), ("cnn", 8)]
THREADS = [1, 2]
GOAL = 0.5  # kiln's step time at most this fraction of PyTorch's
WARMUP = 3  # untimed steps before timing, as kiln-bench train
# kiln and PyTorch alternate this many times; each figure is the lowest of
# its rounds' medians, the least disturbed by other work on the machine.
ROUNDS = 3
SEED = 1
# Models with max pooling: their first step may also be judged against
# PyTorch's step in float64 (torch_case).
MAX_POOL_MODELS = {"cnn"}
# First step, PyTorch against kiln (f32 both; sums in other orders; or
# PyTorch in float64 where its f32 step does not agree, torch_case):
#  - loss: |loss_pt - loss_kiln| <= LOSS_RTOL * |loss_kiln|;
#  - gradients, per tensor: max |g_pt - g_kiln| <= GRAD_TOL * max |g_kiln|;
#  - updated parameters: max |p_pt - p_kiln| <= UPDATE_TOL * lr, and
#    <= UPDATE_TOL_STEEP * lr where |g| >= STEEP_EPS * Adam's epsilon. One
#    Adam step moves a parameter by lr g / (|g| + eps): about lr, but where
#    |g| is near eps (1e-7) that ratio magnifies the gradient's last-bit
#    differences (measured: up to 0.03 lr at |g| ~ 1e-7, a handful of
#    elements); elsewhere the updates agree to 1e-4 lr. Under SGD the bound
#    applies everywhere.
LOSS_RTOL = 1e-4
GRAD_TOL = 1e-3
UPDATE_TOL = 0.1
UPDATE_TOL_STEEP = 1e-3
STEEP_EPS = 100
WORKER_TIMEOUT_S = 1800


def log(msg):
    print(f"train: {msg}", flush=True)


def step_dir(model, batch):
    return SCRATCH / f"{model}_b{batch}"


# --------------------------------------------------------------------------
# kiln


def kiln_case(model, batch, threads, save):
    """kiln-bench train's key=value line as a dict (numbers as floats)."""
    args = [str(KILN_BENCH), "train", model, f"--batch={batch}", f"--threads={threads}",
            f"--warmup={WARMUP}", f"--seed={SEED}"]
    if save:
        args.append(f"--save-step={step_dir(model, batch)}")
    proc = subprocess.run(args, capture_output=True, text=True, timeout=WORKER_TIMEOUT_S)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {proc.stderr.strip()}")
    line = proc.stdout.strip().splitlines()[-1]
    out = {}
    for key, value in re.findall(r"(\w+)=(\S+)", line):
        try:
            out[key] = float(value)
        except ValueError:
            out[key] = value
    return out


# --------------------------------------------------------------------------
# PyTorch: the same model, loss and optimizer from kiln's first-step files.


def read_step(model, batch):
    import numpy as np
    d = step_dir(model, batch)
    desc = dict(line.split("=", 1) for line in (d / "step.txt").read_text().splitlines() if line)

    def tensors(sub):
        return {p.name[:-len(".npy")]: np.load(p) for p in sorted((d / sub).glob("*.npy"))}
    return desc, tensors("batch"), tensors("before"), tensors("after"), tensors("outputs")


def torch_net(model, params, channels_last):
    """The model as PyTorch writes it (nn.Linear, nn.Conv2d), returning logits,
    with kiln's parameters converted; and per kiln parameter name, the torch
    parameter and the function that brings a tensor of its layout back to
    kiln's."""
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    def dense_w(w):  # kiln [in, out] -> torch [out, in]
        return np.ascontiguousarray(w.T)

    def dense_w_back(t):
        return t.T

    if model == "fashion_mlp":
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.dense0 = nn.Linear(784, 128)
                self.dense1 = nn.Linear(128, 10)

            def forward(self, x):
                return self.dense1(F.relu(self.dense0(x)))
        net = Net()
        conv = {}
        names = {f"dense{i}.{k}": (getattr(net, f"dense{i}"), k) for i in range(2) for k in "wb"}
    elif model == "cnn":
        # 150 -> conv 148 -> pool 74 -> 72 -> 36 -> 34 -> 17: 17 x 17 x 128.
        side, channels = 17, 128

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv2d0 = nn.Conv2d(3, 32, 3)
                self.conv2d1 = nn.Conv2d(32, 64, 3)
                self.conv2d2 = nn.Conv2d(64, 128, 3)
                self.dense0 = nn.Linear(side * side * channels, 512)
                self.dense1 = nn.Linear(512, 1)

            def forward(self, x):
                for conv in (self.conv2d0, self.conv2d1, self.conv2d2):
                    x = F.max_pool2d(F.relu(conv(x)), 2)
                return self.dense1(F.relu(self.dense0(torch.flatten(x, 1))))
        net = Net()
        names = {f"conv2d{i}.{k}": (getattr(net, f"conv2d{i}"), k) for i in range(3) for k in "wb"}
        names.update({f"dense{i}.{k}": (getattr(net, f"dense{i}"), k) for i in range(2) for k in "wb"})
        conv = {f"conv2d{i}.w" for i in range(3)}
    else:
        raise ValueError(f"no PyTorch version of model '{model}'")

    def to_torch(name, w):
        if name in conv:  # HWCF -> OIHW
            return np.ascontiguousarray(w.transpose(3, 2, 0, 1))
        if model == "cnn" and name == "dense0.w":
            # kiln flattens NHWC (rows in h, w, c order), PyTorch NCHW (c, h, w).
            rows = w.reshape(side, side, channels, -1).transpose(2, 0, 1, 3)
            return dense_w(rows.reshape(side * side * channels, -1))
        return dense_w(w) if name.endswith(".w") else w

    def to_kiln(name, t):
        if name in conv:
            return t.transpose(2, 3, 1, 0)
        if model == "cnn" and name == "dense0.w":
            rows = dense_w_back(t).reshape(channels, side, side, -1).transpose(1, 2, 0, 3)
            return rows.reshape(side * side * channels, -1)
        return dense_w_back(t) if name.endswith(".w") else t

    mapping = {}
    for name, (module, kind) in names.items():
        p = module.weight if kind == "w" else module.bias
        with torch.no_grad():
            p.copy_(torch.from_numpy(to_torch(name, params[name])).reshape(p.shape))
        mapping[name] = (p, lambda t, name=name: to_kiln(name, t))
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    return net, mapping


def torch_loss(desc):
    """The loss of the model's training setup, on logits: kiln computes its
    probability losses from the logits under the final sigmoid or softmax."""
    import torch.nn.functional as F
    kind = desc["loss"]
    if kind == "sparse_categorical_cross_entropy":
        return lambda logits, y: F.cross_entropy(logits, y.long())
    if kind == "binary_cross_entropy":
        return F.binary_cross_entropy_with_logits
    if kind == "mse":
        return F.mse_loss
    raise ValueError(f"no PyTorch loss for '{kind}'")


def torch_optimizer(desc, params, fused):
    import torch
    kind, lr = desc["optimizer"], float(desc["lr"])
    wd = float(desc.get("weight_decay", 0))
    extra = {"fused": True} if fused else {}
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(float(desc["beta1"]), float(desc["beta2"])),
                                eps=float(desc["epsilon"]), weight_decay=wd, **extra)
    if kind == "momentum":  # kiln's form is PyTorch's: v = m v + g; p -= lr v
        return torch.optim.SGD(params, lr=lr, momentum=float(desc["momentum"]), weight_decay=wd,
                               **extra)
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=wd, **extra)
    raise ValueError(f"no PyTorch optimizer for '{kind}'")


def gradient_of(desc, name, before, after):
    """The gradient kiln's first step used for parameter `name`, from what
    the step returned (with weight decay folded in, as PyTorch's state has it)."""
    kind, lr = desc["optimizer"], float(desc["lr"])
    if kind == "adam":
        return after[name + ".m"] / (1 - float(desc["beta1"]))
    if kind == "momentum":
        return after[name + ".velocity"]
    return (before[name] - after[name]) / lr


def torch_gradient(desc, opt, p):
    wd = float(desc.get("weight_decay", 0))
    kind = desc["optimizer"]
    if kind == "adam":
        return (opt.state[p]["exp_avg"] / (1 - float(desc["beta1"]))).numpy()
    if kind == "momentum":
        return opt.state[p]["momentum_buffer"].numpy()
    return (p.grad + wd * p.detach()).numpy()


def scaled_max_diff(a, b, scale):
    import numpy as np
    return float(np.max(np.abs(a - b)) / scale) if a.size else 0.0


def torch_variants(model, desc):
    variants = [("NCHW" if model == "cnn" else "", False)]
    if model == "cnn":
        variants.append(("channels_last", True))
    out = []
    for layout, cl in variants:
        out.append((layout, cl, False))
        if desc["optimizer"] == "adam":
            out.append((layout, cl, True))
    return out


def variant_name(layout, fused):
    parts = [layout] if layout else []
    parts.append("fused Adam" if fused else "default optimizer")
    return ", ".join(parts)


def median_ms(step, runs_min=20, budget_s=1.0):
    """As kiln-bench: WARMUP untimed steps, then at least 20 steps and 1 s."""
    for _ in range(WARMUP):
        step()
    times = []
    begin = time.perf_counter()
    while len(times) < runs_min or (time.perf_counter() - begin < budget_s and len(times) < 100000):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2] * 1e3, len(times)


def first_step(desc, net, mapping, opt, loss_fn, x, y, before, after, kiln_loss):
    """One step of `net` from kiln's initial tensors, against kiln's first
    step: the loss, gradient and update differences (the tolerances' units)
    and whether they are within the tolerances."""
    import numpy as np
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(net(x), y)
    loss.backward()
    opt.step()
    loss = float(loss.detach())
    lr = float(desc["lr"])
    grad_diff, update_diff, steep_diff = 0.0, 0.0, 0.0
    worst_grad = worst_update = worst_steep = ""
    eps = float(desc["epsilon"]) if desc["optimizer"] == "adam" else 0.0
    for pname, (p, back) in mapping.items():
        g_kiln = gradient_of(desc, pname, before, after)
        g_pt = back(torch_gradient(desc, opt, p)).reshape(g_kiln.shape)
        d = scaled_max_diff(g_pt, g_kiln, max(float(np.max(np.abs(g_kiln))), 1e-30))
        if d >= grad_diff:
            grad_diff, worst_grad = d, pname
        p_pt = back(p.detach().numpy()).reshape(after[pname].shape)
        d = scaled_max_diff(p_pt, after[pname], lr)
        if d >= update_diff:
            update_diff, worst_update = d, pname
        steep = np.abs(g_kiln) >= STEEP_EPS * eps
        d = scaled_max_diff(p_pt[steep], after[pname][steep], lr)
        if d >= steep_diff:
            steep_diff, worst_steep = d, pname
    loss_diff = abs(loss - kiln_loss) / max(abs(kiln_loss), 1e-30)
    return dict(torch_loss=loss, loss_rel_diff=loss_diff,
                grad_diff=grad_diff, worst_grad=worst_grad,
                update_diff=update_diff, worst_update=worst_update,
                steep_diff=steep_diff, worst_steep=worst_steep,
                agrees=bool(loss_diff <= LOSS_RTOL and grad_diff <= GRAD_TOL
                            and update_diff <= UPDATE_TOL
                            and steep_diff <= UPDATE_TOL_STEEP))


def torch_case(model, batch, threads):
    """Every PyTorch variant of one case: its first-step agreement and time."""
    import numpy as np
    import torch
    desc, data, before, after, outputs = read_step(model, batch)
    label = desc["label"]
    inputs = [k for k in data if k != label]
    assert len(inputs) == 1, f"{model}: one data input expected, got {inputs}"
    x_np, y_np = data[inputs[0]], data[label]
    if model == "cnn":
        x_np = np.ascontiguousarray(x_np.transpose(0, 3, 1, 2))  # NHWC -> NCHW
    loss_fn = torch_loss(desc)
    kiln_loss = float(outputs["loss"])

    def check(channels_last, fused, dtype):
        net, mapping = torch_net(model, before, channels_last)
        net = net.to(dtype)
        x = torch.from_numpy(x_np).to(dtype)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        y = torch.from_numpy(y_np).to(dtype)
        opt = torch_optimizer(desc, [p for p, _ in mapping.values()], fused)
        diffs = first_step(desc, net, mapping, opt, loss_fn, x, y, before, after, kiln_loss)
        return diffs, net, opt, x, y

    # The same step in float64: the exact step to within f32's rounding.
    # Where a max-pool window's two largest inputs are within f32 rounding
    # of each other, either takes the window's gradient, and which one does
    # depends on the order of the sums; both f32 steps are then right, and
    # they differ in that filter's whole column. For a model with max
    # pooling, kiln agrees with PyTorch when its step agrees with PyTorch's
    # f32 step or with the f64 one; the row keeps the f32 figures.
    exact = None
    results = []
    for layout, channels_last, fused in torch_variants(model, desc):
        name = variant_name(layout, fused)
        r = {"model": model, "batch": batch, "threads": threads, "variant": name}
        try:
            diffs, net, opt, x, y = check(channels_last, fused, torch.float32)
            r.update(kiln_loss=kiln_loss, **diffs)
            if not diffs["agrees"] and model in MAX_POOL_MODELS:
                if exact is None:
                    exact = check(False, False, torch.float64)[0]
                r.update(f64=exact, agrees=exact["agrees"])

            def step():
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(net(x), y)
                loss.backward()
                opt.step()
                return loss

            ms, runs = median_ms(step)
            r.update(median_ms=ms, runs=runs)
        except Exception as e:  # noqa: BLE001
            r["error"] = f"{type(e).__name__}: {e}"
            traceback.print_exc(file=sys.stderr)
        results.append(r)
    return results


def reference(r):
    """The first-step table's reference cell: the f32 step, or the f64 one
    with its figures."""
    e = r.get("f64")
    if not e:
        return "f32"
    return (f"f64: loss {e['loss_rel_diff']:.1e}, gradient {e['grad_diff']:.1e} "
            f"({e['worst_grad']}), update {e['update_diff']:.1e} "
            f"({e['steep_diff']:.1e}) lr")


def worker(threads):
    import torch
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)  # kiln's kernels run with FTZ/DAZ too
    for model, batch in CASES:
        if not (step_dir(model, batch) / "step.txt").exists():
            continue
        for r in torch_case(model, batch, threads):
            print("RESULT " + json.dumps(r), flush=True)


def torch_cases(threads):
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = str(threads)
    proc = subprocess.run([sys.executable, __file__, "--worker", f"--threads={threads}"],
                          capture_output=True, text=True, env=env, timeout=WORKER_TIMEOUT_S)
    rows = [json.loads(line[len("RESULT "):]) for line in proc.stdout.splitlines()
            if line.startswith("RESULT ")]
    if proc.returncode != 0:
        log(f"PyTorch worker ({threads} threads) exited {proc.returncode}: "
            f"{proc.stderr.strip()[-2000:]}")
    elif proc.stderr.strip():
        log(f"PyTorch worker ({threads} threads) said: {proc.stderr.strip()[-2000:]}")
    return rows


# --------------------------------------------------------------------------
# Report


def versions(torch_source):
    v = {}
    try:  # the full version: PyPI's default wheel says +cuNNN
        v["PyTorch"] = __import__("torch").__version__
    except Exception:  # noqa: BLE001
        try:
            v["PyTorch"] = importlib.metadata.version("torch")
        except importlib.metadata.PackageNotFoundError:
            v["PyTorch"] = "not installed"
    v["PyTorch from"] = torch_source
    try:
        import torch
        cfg = torch.__config__.show()
        blas = re.search(r"BLAS_INFO=(\w+)", cfg)
        v["PyTorch BLAS"] = blas.group(1) if blas else "unknown"
        v["PyTorch oneDNN"] = "yes" if torch.backends.mkldnn.is_available() else "no"
    except Exception:  # noqa: BLE001
        pass
    try:
        v["numpy"] = importlib.metadata.version("numpy")
    except importlib.metadata.PackageNotFoundError:
        v["numpy"] = "unknown"
    git = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%h %cs"],
                         capture_output=True, text=True)
    v["kiln"] = git.stdout.strip() or "unknown"
    return v


def machine():
    info = {"cpu": platform.processor() or "unknown", "cpus": os.cpu_count()}
    try:
        text = Path("/proc/cpuinfo").read_text()
        m = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
        if m:
            info["cpu"] = m.group(1).strip()
        flags = re.search(r"^flags\s*:\s*(.+)$", text, re.M).group(1).split()
        info["isa"] = ("AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags
                       else "SSE")
    except (OSError, AttributeError):
        pass
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        m = re.search(r"^Model name:\s*(.+)$", lscpu, re.M)
        if m and len(m.group(1)) > len(info["cpu"]):
            info["cpu"] = m.group(1).strip()
    except OSError:
        pass
    info["kernel"] = platform.release()
    return info


def fmt_ms(ms):
    """Three significant figures, no exponent."""
    if ms is None:
        return "—"
    if ms >= 100:
        return f"{ms:.0f}"
    return f"{ms:.{max(0, 2 - math.floor(math.log10(ms)))}f}" if ms > 0 else "0"


def best_round(rounds):
    """The round with the lowest median, with every round's median under
    "rounds" and "agrees" true only if the first step agreed in every round
    that checked it."""
    timed = [r for r in rounds if "median_ms" in r]
    best = dict(min(timed, key=lambda r: r["median_ms"]) if timed else rounds[0])
    best["rounds"] = [r["median_ms"] for r in timed]
    checked = [r["agrees"] for r in rounds if "agrees" in r]
    if checked:
        best["agrees"] = all(checked)
    return best


def fmt_rounds(r):
    return ", ".join(fmt_ms(ms) for ms in r.get("rounds", [])) or "—"


def write_report(kiln, torch_rows, vers, mach, loads, started, wall_s, notes, args):
    RESULTS.mkdir(parents=True, exist_ok=True)
    best = {}
    for r in torch_rows:
        if "median_ms" not in r:
            continue
        key = (r["model"], r["batch"], r["threads"])
        if key not in best or r["median_ms"] < best[key]["median_ms"]:
            best[key] = r
    busy = max(loads) > 0.5
    lines = [
        "# Training step: kiln against PyTorch",
        "",
        f"Run {started:%Y-%m-%d %H:%M} by `benchmarks/train.sh`, in {wall_s:.0f} s; "
        f"kiln {vers['kiln']}.",
        "",
        f"- Machine: {mach['cpu']} ({mach.get('isa', '?')}), {mach['cpus']} CPUs, "
        f"Linux {mach['kernel']}; load average {loads[0]:.2f} before the run, "
        f"{loads[1]:.2f} after.",
        f"- PyTorch {vers['PyTorch']} from {vers['PyTorch from']} "
        f"(BLAS {vers.get('PyTorch BLAS', '?')}, oneDNN {vers.get('PyTorch oneDNN', '?')}), "
        f"numpy {vers['numpy']}.",
    ]
    for note in args.note:
        lines.append(f"- **Note:** {note}")
    if busy:
        lines.append("- **Disturbed:** other work ran on the machine during this run "
                     "(load average above 0.5); the times are not steady-state figures.")
    lines += [
        "",
        "Time of one training step (forward, loss, backward, optimizer update) on "
        "the same initial weights and batch, median ms, kiln and PyTorch measured "
        f"in this run with the same number of threads, alternating in {args.rounds} "
        "rounds; each figure is the lowest of its rounds' medians. Goal: kiln at "
        f"most {GOAL:g} of PyTorch's time.",
        "",
        "| model | batch | threads | kiln ms | PyTorch ms (fastest variant) | kiln / PyTorch | goal (≤ 0.5) |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in args.threads:
        for model, batch in CASES:
            k = kiln.get((model, batch, t), {})
            p = best.get((model, batch, t))
            kms = k.get("median_ms")
            pms = p["median_ms"] if p else None
            ratio = kms / pms if kms and pms else None
            goal = "—" if ratio is None else ("met" if ratio <= GOAL else "not met")
            lines.append(
                f"| {model} | {batch} | {t} | {fmt_ms(kms) if kms else k.get('error', '—')} | "
                f"{fmt_ms(pms) + ' (' + p['variant'] + ')' if p else 'failed'} | "
                f"{'—' if ratio is None else f'{ratio:.2f}'} | {goal} |")
    lines += [
        "",
        "## PyTorch variants",
        "",
        "Each is timed; the fastest of a case is the figure above.",
        "",
        "| model | batch | threads | variant | median ms | rounds' medians | runs | first step agrees |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in torch_rows:
        lines.append(
            f"| {r['model']} | {r['batch']} | {r['threads']} | {r['variant']} | "
            f"{fmt_ms(r['median_ms']) if 'median_ms' in r else r.get('error', 'failed')} | "
            f"{fmt_rounds(r)} | {r.get('runs', '—')} | "
            f"{('yes' if r['agrees'] else '**no**') if 'agrees' in r else '—'} |")
    lines += [
        "",
        "## kiln",
        "",
        "| model | batch | threads | kernels | median ms | rounds' medians | examples/s | compile ms | runs |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for t in args.threads:
        for model, batch in CASES:
            k = kiln.get((model, batch, t))
            if not k or "median_ms" not in k:
                lines.append(f"| {model} | {batch} | {t} | failed: {(k or {}).get('error', '?')} "
                             "| | | | | |")
                continue
            lines.append(f"| {model} | {batch} | {t} | {k['kernels']:.0f} | {fmt_ms(k['median_ms'])} "
                         f"| {fmt_rounds(k)} | {k['examples_per_s']:.0f} | {k['compile_ms']:.0f} "
                         f"| {k['runs']:.0f} |")
    lines += [
        "",
        "## First step: PyTorch against kiln",
        "",
        "`kiln-bench train --save-step` writes kiln's initial parameters, the batch, "
        "and the loss and trained tensors after its first step; PyTorch takes the "
        "same parameters (converted to its layouts) and batch and runs one step. "
        "Gradients: kiln's from its optimizer state after the step (Adam: m / (1 - β1)), "
        "PyTorch's likewise. Tolerances (f32 both, sums in other orders): loss "
        f"relative difference ≤ {LOSS_RTOL:g}; gradient max difference ≤ {GRAD_TOL:g} × "
        "the tensor's max |gradient|; updated parameters max difference ≤ "
        f"{UPDATE_TOL:g} × lr, and ≤ {UPDATE_TOL_STEEP:g} × lr where |g| ≥ "
        f"{STEEP_EPS:g} × Adam's ε. Adam's first step moves a parameter by "
        "lr·g / (|g| + ε), about lr; where |g| is near ε = 1e-7 that ratio magnifies "
        "the last-bit differences of the gradient, so a few such elements differ by a "
        "few hundredths of lr while the rest agree far closer. The worst tensor is "
        "named. Reference: the PyTorch step kiln's is judged against: the variant's own "
        "(f32), or, for a model with max pooling whose step does not agree with that one, "
        "the same step in float64 (NCHW, PyTorch's default optimizer), the exact step to "
        "within f32's rounding, whose figures are then given in that cell while the "
        "other cells keep the f32 ones. A max-pool window whose two largest inputs lie "
        "within f32 rounding of each other gives its gradient to either, depending on "
        "the order of the convolution's sums, and moves a whole column of a filter's "
        "gradient; two f32 steps that differ there are both right. "
        "Figures of the first thread count's fastest round; agrees: in every round.",
        "",
        "| model | batch | PyTorch variant | kiln loss | PyTorch loss | loss rel. diff | "
        "gradient max diff (/ max \\|g\\|) | updated params max diff (/ lr) | "
        f"… where \\|g\\| ≥ {STEEP_EPS:g} ε (/ lr) | reference | agrees |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    first = args.threads[0]
    for r in torch_rows:
        if r["threads"] != first or "agrees" not in r:
            continue
        lines.append(
            f"| {r['model']} | {r['batch']} | {r['variant']} | {r['kiln_loss']:.6f} | "
            f"{r['torch_loss']:.6f} | {r['loss_rel_diff']:.1e} | "
            f"{r['grad_diff']:.1e} ({r['worst_grad']}) | "
            f"{r['update_diff']:.1e} ({r['worst_update']}) | "
            f"{r['steep_diff']:.1e} ({r['worst_steep']}) | {reference(r)} | "
            f"{'yes' if r['agrees'] else '**no**'} |")
    others = [r for r in torch_rows if r["threads"] != first and "agrees" in r]
    if others:
        ok = all(r["agrees"] for r in others)
        lines.append("")
        lines.append(f"At the other thread counts every variant's first step "
                     f"{'agrees as well' if ok else '**does not always agree**'}.")
    lines += [
        "",
        "## Method",
        "",
        "- kiln: `kiln-bench train NAME --batch=B --threads=T`: the model's train step "
        "as kiln-train compiles it (autodiff, the optimizer update fused in, full fusion), "
        "the learning rate constant, on one synthetic batch (inputs uniform in [-1, 1), "
        "labels valid for the loss), the parameters and optimizer state carried from "
        f"step to step in two buffer sets; {WARMUP} warm-up steps, then the median of at "
        "least 20 steps and 1 s.",
        "- PyTorch: eager mode, the model written with `nn.Linear`/`nn.Conv2d` and "
        "returning logits; `F.cross_entropy` (fashion_mlp) or "
        "`F.binary_cross_entropy_with_logits` (cnn), which is what kiln computes for a "
        "softmax or sigmoid output; a step is `zero_grad(set_to_none=True)`, forward, "
        "loss, `backward()`, `optimizer.step()`, with the model's optimizer "
        "(`torch.optim.Adam` with kiln's lr, betas and eps); "
        "`torch.set_num_threads(T)` and `OMP_NUM_THREADS`/`MKL_NUM_THREADS` set before "
        "import, `torch.set_flush_denormal(True)` (kiln's kernels flush denormals too); "
        f"the same timing: {WARMUP} warm-up steps, then the median of at least 20 steps "
        "and 1 s. The cnn runs in NCHW and in channels_last; Adam runs as PyTorch's "
        "default and with `fused=True`.",
        f"- Rounds: {args.rounds} times in turn, at each thread count, kiln's cases and "
        "then PyTorch's; a case's figure is its lowest median over the rounds, so that "
        "a burst of other work on the machine during one case's turn does not decide "
        "the ratio. The first step is checked in every round.",
        "- Two-thread figures vary from run to run; compare only within one run.",
        "",
    ]
    if notes:
        lines += ["## Notes from the run", ""] + [f"- {n}" for n in notes] + [""]
    out = RESULTS / "train.md"
    tmp = out.with_suffix(".md.tmp")
    tmp.write_text("\n".join(lines))
    tmp.replace(out)
    log(f"wrote {out.relative_to(ROOT)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--threads", default=",".join(map(str, THREADS)),
                    help="thread counts, comma-separated (default 1,2)")
    ap.add_argument("--torch-source", default="unknown",
                    help="where PyTorch was installed from, for the report")
    ap.add_argument("--note", action="append", default=[],
                    help="a line for the report's header (repeatable)")
    ap.add_argument("--rounds", type=int, default=ROUNDS,
                    help=f"times kiln and PyTorch each run, alternating (default {ROUNDS})")
    args = ap.parse_args()
    args.threads = [int(t) for t in str(args.threads).split(",") if t]
    args.rounds = max(args.rounds, 1)
    if args.worker:
        worker(args.threads[0])
        return 0

    started = datetime.datetime.now()
    t0 = time.time()
    load_before = os.getloadavg()[0]
    SCRATCH.mkdir(parents=True, exist_ok=True)
    kiln_rounds, torch_rounds, notes = {}, {}, []
    saved = set()
    for rnd in range(1, args.rounds + 1):
        for t in args.threads:
            for model, batch in CASES:
                log(f"round {rnd}: kiln {model} batch {batch}, {t} thread(s)")
                try:
                    r = kiln_case(model, batch, t, save=(model, batch) not in saved)
                    saved.add((model, batch))
                    log(f"  {r['median_ms']:.3f} ms")
                except Exception as e:  # noqa: BLE001
                    r = {"error": str(e)}
                    notes.append(f"kiln {model} batch {batch}, {t} threads, round {rnd}: {e}")
                    log(f"  failed: {e}")
                kiln_rounds.setdefault((model, batch, t), []).append(r)
            log(f"round {rnd}: PyTorch, {t} thread(s)")
            for r in torch_cases(t):
                msg = (f"  {r['model']} {r['variant']}: "
                       + (f"{r['median_ms']:.3f} ms" if "median_ms" in r else r.get("error", "?")))
                if "agrees" in r:
                    msg += (f"; first step loss diff {r['loss_rel_diff']:.1e}, grad {r['grad_diff']:.1e}, "
                            f"update {r['update_diff']:.1e} lr ({r['steep_diff']:.1e} lr where |g| >> eps) "
                            f"against the {reference(r)} step "
                            f"-> {'agrees' if r['agrees'] else 'DISAGREES'}")
                log(msg)
                if "error" in r:
                    notes.append(f"PyTorch {r['model']} ({r['variant']}), {t} threads, "
                                 f"round {rnd}: {r['error']}")
                torch_rounds.setdefault((r["model"], r["batch"], t, r["variant"]), []).append(r)
    kiln = {key: best_round(rs) for key, rs in kiln_rounds.items()}
    torch_rows = [best_round(rs) for rs in torch_rounds.values()]
    loads = (load_before, os.getloadavg()[0])
    write_report(kiln, torch_rows, versions(args.torch_source), machine(), loads, started,
                 time.time() - t0, notes, args)
    bad = [r for r in torch_rows if r.get("agrees") is False]
    if bad:
        log(f"{len(bad)} PyTorch variant(s) disagree with kiln's first step; see the report")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
