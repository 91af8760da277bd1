#!/usr/bin/env python3
"""kiln against reference implementations, side by side in one run.

Run through benchmarks/peers.sh, which installs the peers and calls this
script with the virtual environment's Python. For each seed model and batch,
the same weights and inputs (drawn with numpy from a fixed seed, saved as .npy)
go to kiln (`kiln-run --param ... --input ... --output ...`) and to every
peer: PyTorch (TorchScript, frozen), and ONNX Runtime, IREE and TVM through
one ONNX graph built here from the same arrays. Each peer's output is checked
against kiln's; times are medians, all taken in this run. Each peer runs in a
process of its own per thread count (thread pools are fixed at start-up), so
that a peer that crashes costs its own column only. GEMM: benchmarks/gemm_ref.cpp
for OpenBLAS, oneDNN and the core's FMA peak; kiln-bench gemm for kiln.

Writes benchmarks/results/peers.md and benchmarks/results/peers.png; scratch
files (weights, ONNX graphs, compiled peers, outputs) go under build/peers/.
"""
import argparse
import datetime
import importlib.metadata
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
SCRATCH = BUILD / "peers"
RESULTS = ROOT / "benchmarks" / "results"
KILNC = BUILD / "tools" / "kilnc"
KILN_RUN = BUILD / "tools" / "kiln-run"
KILN_BENCH = BUILD / "tools" / "kiln-bench"

MODELS = [("fashion_mlp", [1, 64]), ("house_mlp", [1, 64]), ("cnn", [1, 8]),
          ("text_transformer", [1, 8])]
THREADS = [1, 2]
GEMM_SIZES = [128, 256, 512, 1024, 2048]
PEERS = ["pytorch", "onnxruntime", "iree", "tvm"]
PEER_SHORT = {"pytorch": "PT", "onnxruntime": "ORT", "iree": "IREE", "tvm": "TVM"}
PEER_TITLES = {"kiln": "kiln", "pytorch": "PyTorch (TorchScript)",
               "onnxruntime": "ONNX Runtime", "iree": "IREE", "tvm": "TVM"}
SEED = 2026
# Peer output vs kiln output, elementwise: |peer - kiln| <= ATOL + RTOL*|kiln|.
# f32 throughout; the peers sum in other orders (the cnn's dense layer sums
# 36,992 products), so a few ulps of the sum's magnitude are expected.
ATOL, RTOL = 1e-5, 1e-3
# Each peer/thread worker gets this long before it is stopped.
WORKER_TIMEOUT_S = 900


def log(msg):
    print(f"peers: {msg}", flush=True)


# --------------------------------------------------------------------------
# Models: signature from kilnc, weights and inputs from numpy.


def parse_tensor_type(t):
    """'2x784xf32' -> ([2, 784], 'f32')."""
    parts = t.split("x")
    return [int(p) for p in parts[:-1]], parts[-1]


def signature(model, batch):
    """Parameters, inputs and outputs of a built-in model, from its kiln module."""
    text = subprocess.run([KILNC, f"--model={model}", f"--batch={batch}", "-o", "-"],
                          check=True, capture_output=True, text=True).stdout
    params = [(name, parse_tensor_type(t)[0], init) for name, init, t in re.findall(
        r'kiln\.param "([^"]+)" \{init = "([^"]+)"\} : tensor<([^>]+)>', text)]
    head = next(line for line in text.splitlines() if "func.func @" in line)
    args, results = head.split("->", 1)
    io = r'tensor<([^>]+)> \{kiln\.name = "([^"]+)"\}'
    inputs = [(name, *parse_tensor_type(t)) for t, name in re.findall(io, args)]
    outputs = [(name, *parse_tensor_type(t)) for t, name in re.findall(io, results)]
    return {"params": params, "inputs": inputs, "outputs": outputs}


def flops_per_sample(model):
    """2 x multiply-adds of the convolutions, dense layers and attention matmuls."""
    if model == "fashion_mlp":
        return 2 * (784 * 128 + 128 * 10)
    if model == "house_mlp":
        return 2 * (13 * 64 + 64 * 64 + 64 * 1)
    if model == "cnn":
        total, hw, cin = 0, 150, 3
        for cout in (32, 64, 128):
            hw -= 2
            total += 2 * hw * hw * cout * 9 * cin
            hw //= 2
            cin = cout
        return total + 2 * (hw * hw * cin * 512 + 512)
    if model == "text_transformer":
        s, d, ff, vocab = 64, 512, 2048, 1000
        dense = 2 * s * (4 * d * d + 2 * d * ff + d * vocab)
        return dense + 2 * 2 * s * s * d
    raise ValueError(model)


def make_data(sigs):
    """Weights per model (shapes do not depend on the batch) and inputs per batch."""
    import numpy as np
    data = {}
    for model, batches in MODELS:
        rng = np.random.default_rng(SEED)
        pdir = SCRATCH / "data" / model
        pdir.mkdir(parents=True, exist_ok=True)
        params = {}
        for name, shape, init in sigs[(model, batches[0])]["params"]:
            if name.endswith(".w"):
                # glorot_uniform; a conv's HWIO kernel counts its window in both fans
                receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
                limit = math.sqrt(6.0 / (receptive * (shape[-2] + shape[-1])))
                value = rng.uniform(-limit, limit, shape)
            elif name.endswith(".gamma"):
                value = rng.uniform(0.5, 1.5, shape)
            elif name.endswith(".table"):
                value = rng.uniform(-1.0, 1.0, shape)
            else:  # biases and betas: not zero, so that a dropped bias shows
                value = rng.uniform(-0.1, 0.1, shape)
            params[name] = value.astype(np.float32)
            np.save(pdir / f"{name}.npy", params[name])
        inputs = {}
        for batch in batches:
            for name, shape, dtype in sigs[(model, batch)]["inputs"]:
                if dtype == "i32":  # token ids in range of the embedding table
                    vocab = next(v.shape[0] for k, v in params.items() if k.endswith(".table"))
                    value = rng.integers(0, vocab, shape).astype(np.int32)
                elif model == "house_mlp":
                    value = rng.standard_normal(shape).astype(np.float32)
                else:  # images in [0, 1)
                    value = rng.uniform(0.0, 1.0, shape).astype(np.float32)
                inputs[(batch, name)] = value
                np.save(pdir / f"input_b{batch}_{name}.npy", value)
        data[model] = (params, inputs)
    return data


def param_path(model, name):
    return SCRATCH / "data" / model / f"{name}.npy"


def input_path(model, batch, name):
    return SCRATCH / "data" / model / f"input_b{batch}_{name}.npy"


def output_path(engine, model, batch, threads):
    return SCRATCH / "out" / f"{engine}_{model}_b{batch}_t{threads}.npy"


# --------------------------------------------------------------------------
# The peers' graphs, built from the same arrays. kiln's models are NHWC with
# HWIO kernels; the peers' convolutions are NCHW/OIHW, so the graphs transpose
# at the edges, and the flatten sees NHWC order as kiln's does.


def build_onnx(model, batch, sig, params):
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    counter = [0]

    def fresh(prefix):
        counter[0] += 1
        return f"{prefix}_{counter[0]}"

    def const(name, value):
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(op, ins, **attrs):
        out = fresh(op.lower())
        nodes.append(helper.make_node(op, ins, [out], **attrs))
        return out

    def dense(x, name, act=None):
        y = node("Add", [node("MatMul", [x, const(name + ".w", params[name + ".w"])]),
                         const(name + ".b", params[name + ".b"])])
        return node(act, [y], **({"axis": -1} if act == "Softmax" else {})) if act else y

    def reshape(x, shape):
        return node("Reshape", [x, const(fresh("shape"), np.array(shape, np.int64))])

    def layer_norm(x, name):
        return node("LayerNormalization",
                    [x, const(name + ".gamma", params[name + ".gamma"]),
                     const(name + ".beta", params[name + ".beta"])],
                    axis=-1, epsilon=1e-5)

    (in_name, in_shape, in_dtype), = sig["inputs"]
    (out_name, out_shape, _), = sig["outputs"]
    x = in_name
    if model == "fashion_mlp":
        y = node("Softmax", [dense(dense(x, "dense0", "Relu"), "dense1")], axis=1)
    elif model == "house_mlp":
        y = dense(dense(dense(x, "dense0", "Relu"), "dense1", "Relu"), "dense2")
    elif model == "cnn":
        h = node("Transpose", [x], perm=[0, 3, 1, 2])
        for i in range(3):
            w = params[f"conv2d{i}.w"].transpose(3, 2, 0, 1).copy()  # HWIO -> OIHW
            h = node("Conv", [h, const(f"conv2d{i}.w", w),
                              const(f"conv2d{i}.b", params[f"conv2d{i}.b"])],
                     kernel_shape=[3, 3])
            h = node("MaxPool", [node("Relu", [h])], kernel_shape=[2, 2], strides=[2, 2])
        h = reshape(node("Transpose", [h], perm=[0, 2, 3, 1]), [batch, -1])
        y = dense(dense(h, "dense0", "Relu"), "dense1", "Sigmoid")
    elif model == "text_transformer":
        s, d, heads = in_shape[1], params["embedding0.table"].shape[1], 8
        dh = d // heads
        e = node("Gather", [const("embedding0.table", params["embedding0.table"]), x], axis=0)
        att = "encoder0.mha"

        def split(t, perm):
            return node("Transpose", [reshape(t, [batch, s, heads, dh])], perm=perm)
        q = split(dense(e, att + ".q"), [0, 2, 1, 3])
        kT = split(dense(e, att + ".k"), [0, 2, 3, 1])
        v = split(dense(e, att + ".v"), [0, 2, 1, 3])
        scores = node("Mul", [node("MatMul", [q, kT]),
                              const("scale", np.array(1.0 / math.sqrt(dh), np.float32))])
        ctx = node("MatMul", [node("Softmax", [scores], axis=-1), v])
        merged = reshape(node("Transpose", [ctx], perm=[0, 2, 1, 3]), [batch, s, d])
        h = layer_norm(node("Add", [e, dense(merged, att + ".o")]), "encoder0.ln1")
        ff = dense(dense(h, "encoder0.ffn1", "Relu"), "encoder0.ffn2")
        y = dense(layer_norm(node("Add", [h, ff]), "encoder0.ln2"), "dense0", "Softmax")
    else:
        raise ValueError(model)
    assert nodes[-1].output[0] == y, "the output is the last node's"
    nodes[-1].output[0] = out_name
    elem = TensorProto.INT32 if in_dtype == "i32" else TensorProto.FLOAT
    graph = helper.make_graph(
        nodes, model,  # IREE names the entry function after the graph
        [helper.make_tensor_value_info(in_name, elem, in_shape)],
        [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, out_shape)], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                          producer_name="kiln-peers")
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    return m


def torch_module(model, batch, sig, params):
    import torch
    import torch.nn.functional as F

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            for name, value in params.items():
                self.register_buffer(name.replace(".", "_"), torch.from_numpy(value))

        def p(self, name):
            return getattr(self, name.replace(".", "_"))

        def dense(self, x, name):
            return torch.matmul(x, self.p(name + ".w")) + self.p(name + ".b")

        def forward(self, x):
            if model == "fashion_mlp":
                return torch.softmax(self.dense(torch.relu(self.dense(x, "dense0")), "dense1"), 1)
            if model == "house_mlp":
                h = torch.relu(self.dense(x, "dense0"))
                return self.dense(torch.relu(self.dense(h, "dense1")), "dense2")
            if model == "cnn":
                h = x.permute(0, 3, 1, 2)
                for i in range(3):
                    w = self.p(f"conv2d{i}.w").permute(3, 2, 0, 1)
                    h = F.max_pool2d(torch.relu(F.conv2d(h, w, self.p(f"conv2d{i}.b"))), 2)
                h = h.permute(0, 2, 3, 1).reshape(batch, -1)
                return torch.sigmoid(self.dense(torch.relu(self.dense(h, "dense0")), "dense1"))
            if model == "text_transformer":
                e = F.embedding(x.long(), self.p("embedding0.table"))
                b, s, d = e.shape
                heads = 8
                att = "encoder0.mha"

                def split(t):
                    return t.reshape(b, s, heads, d // heads).transpose(1, 2)
                q, k, v = (split(self.dense(e, f"{att}.{n}")) for n in "qkv")
                scores = torch.matmul(q, k.transpose(2, 3)) * (1.0 / math.sqrt(d // heads))
                ctx = torch.matmul(torch.softmax(scores, -1), v).transpose(1, 2).reshape(b, s, d)
                h = F.layer_norm(e + self.dense(ctx, att + ".o"), (d,),
                                 self.p("encoder0.ln1.gamma"), self.p("encoder0.ln1.beta"), 1e-5)
                ff = self.dense(torch.relu(self.dense(h, "encoder0.ffn1")), "encoder0.ffn2")
                h = F.layer_norm(h + ff, (d,), self.p("encoder0.ln2.gamma"),
                                 self.p("encoder0.ln2.beta"), 1e-5)
                return torch.softmax(self.dense(h, "dense0"), -1)
            raise ValueError(model)

    return Net().eval()


# --------------------------------------------------------------------------
# Worker: one peer at one thread count, every case; one RESULT line per case.


def median_ms(fn, budget_s, max_runs=200):
    """Median wall time of fn() in ms, after warm-up; as many runs as fit the budget."""
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    if first > budget_s:  # too slow for more: the one run is the figure
        return first * 1e3, 1
    for _ in range(2):
        fn()
    times = []
    deadline = time.perf_counter() + budget_s
    while len(times) < max_runs and (len(times) < 3 or time.perf_counter() < deadline):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2] * 1e3, len(times)


def peer_runner(engine, model, batch, threads, sig, params, feed):
    """A function that runs the model once on `feed` and returns a numpy output."""
    import numpy as np
    in_name = sig["inputs"][0][0]
    x = feed[in_name]
    onnx_file = SCRATCH / "onnx" / f"{model}_b{batch}.onnx"
    if engine == "pytorch":
        import torch
        torch.set_num_threads(threads)
        net = torch_module(model, batch, sig, params)
        xt = torch.from_numpy(x)
        with torch.no_grad():
            net = torch.jit.freeze(torch.jit.trace(net, (xt,)))

        def run():
            with torch.no_grad():
                return net(torch.from_numpy(x)).numpy()
        return run
    if engine == "onnxruntime":
        import onnxruntime as ort
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(str(onnx_file), opts, providers=["CPUExecutionProvider"])
        return lambda: sess.run(None, feed)[0]
    if engine == "iree":
        import iree.runtime as rt
        vmfb = SCRATCH / "iree" / f"{model}_b{batch}.vmfb"
        if not vmfb.exists():
            vmfb.parent.mkdir(parents=True, exist_ok=True)
            mlir = vmfb.with_suffix(".mlir")
            bindir = Path(sys.executable).parent
            subprocess.run([bindir / "iree-import-onnx", onnx_file, "-o", mlir],
                           check=True, capture_output=True, text=True)
            compile_cmd = [bindir / "iree-compile", mlir, "-o", vmfb, "--iree-hal-target-device=local",
                           "--iree-hal-local-target-device-backends=llvm-cpu",
                           "--iree-llvmcpu-target-cpu=host"]
            # Data tiling and ukernels were IREE's fastest CPU set-up here; an
            # IREE that lacks the flags still gets a column, with its defaults.
            tuned = subprocess.run(compile_cmd + ["--iree-opt-data-tiling",
                                                  "--iree-llvmcpu-enable-ukernels=all"],
                                   capture_output=True, text=True)
            if tuned.returncode != 0:
                print(f"iree-compile with data tiling failed, retrying with defaults:\n{tuned.stderr}",
                      file=sys.stderr)
                subprocess.run(compile_cmd, check=True, capture_output=True, text=True)
        # One thread: the synchronous driver, no pool. More: the task pool.
        if threads == 1:
            driver = "local-sync"
        else:
            driver = "local-task"
            rt.flags.parse_flags(f"--task_topology_max_group_count={threads}")
        config = rt.Config(driver)
        ctx = rt.SystemContext(config=config)
        ctx.add_vm_module(rt.VmModule.copy_buffer(ctx.instance, vmfb.read_bytes()))
        fn = ctx.modules.module[model]
        return lambda: np.asarray(fn(x).to_host())
    if engine == "tvm":
        import tvm
        from tvm import relax
        lib = SCRATCH / "tvm" / f"{model}_b{batch}.so"
        if not lib.exists():
            import onnx
            from tvm.relax.frontend.onnx import from_onnx
            lib.parent.mkdir(parents=True, exist_ok=True)
            mod = from_onnx(onnx.load(onnx_file), shape_dict={in_name: list(x.shape)})
            try:
                cpu = tvm.target.codegen.llvm_get_system_cpu()
            except Exception:
                cpu = None
            target = {"kind": "llvm", "num-cores": threads}
            if cpu:
                target["mcpu"] = cpu
            tvm.compile(mod, target=tvm.target.Target(target)).export_library(str(lib))
        vm = relax.VirtualMachine(tvm.runtime.load_module(str(lib)), tvm.cpu())
        make = getattr(tvm.runtime, "tensor", None) or tvm.nd.array

        def run():
            out = vm["main"](make(x))
            if isinstance(out, (list, tuple)) or type(out).__name__ in ("Array", "ADT"):
                out = out[0]
            return out.numpy()
        return run
    raise ValueError(engine)


def worker(engine, threads, budget_s):
    import numpy as np
    (SCRATCH / "out").mkdir(parents=True, exist_ok=True)
    sigs = json.loads((SCRATCH / "signatures.json").read_text())
    for model, batches in MODELS:
        params = {name: np.load(param_path(model, name))
                  for name, _, _ in sigs[f"{model}/{batches[0]}"]["params"]}
        for batch in batches:
            sig = sigs[f"{model}/{batch}"]
            feed = {name: np.load(input_path(model, batch, name)) for name, _, _ in sig["inputs"]}
            result = {"engine": engine, "model": model, "batch": batch, "threads": threads}
            try:
                t0 = time.perf_counter()
                run = peer_runner(engine, model, batch, threads, sig, params, feed)
                result["setup_s"] = time.perf_counter() - t0
                np.save(output_path(engine, model, batch, threads), run())
                result["median_ms"], result["runs"] = median_ms(run, budget_s)
            except BaseException as e:  # noqa: BLE001 - any failure is the peer's result
                detail = (getattr(e, "stderr", None) or str(e)).strip().splitlines() or [""]
                result["error"] = f"{type(e).__name__}: {detail[-1][:200]}"
                traceback.print_exc()
            print("RESULT " + json.dumps(result), flush=True)


# --------------------------------------------------------------------------
# Orchestration.


def run_tool(args, timeout=900):
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(str(a) for a in args[:3])} ...: exit {proc.returncode}: "
                           f"{(proc.stderr or proc.stdout).strip()[-400:]}")
    return proc.stdout


def kiln_has(subcommand):
    out = subprocess.run([KILN_BENCH, "--help"], capture_output=True, text=True).stdout
    return re.search(rf"^\s+{subcommand}\s", out, re.M) is not None


def kiln_cases(sigs, budget_s):
    """kiln's outputs (for the agreement check) and its median times."""
    results = []
    (SCRATCH / "out").mkdir(parents=True, exist_ok=True)
    (SCRATCH / "kmod").mkdir(parents=True, exist_ok=True)
    bench_model = kiln_has("model")
    for model, batches in MODELS:
        for batch in batches:
            sig = sigs[(model, batch)]
            params = [f"--param={n}={param_path(model, n)}" for n, _, _ in sig["params"]]
            inputs = [f"--input={n}={input_path(model, batch, n)}" for n, _, _ in sig["inputs"]]
            out_name = sig["outputs"][0][0]
            base = {"engine": "kiln", "model": model, "batch": batch}
            kmod = SCRATCH / "kmod" / f"{model}_b{batch}.kmod"
            try:  # the artifact, with the shared weights inside
                run_tool([KILNC, f"--model={model}", f"--batch={batch}", "--target=cpu", "--fusion=full",
                          "--emit=kmod", "-o", kmod, *params])
            except Exception as e:  # noqa: BLE001
                for t in THREADS:
                    results.append({**base, "threads": t, "error": str(e)[-300:]})
                log(f"kiln {model} b{batch}: {e}")
                continue
            for t in THREADS:
                r = {**base, "threads": t}
                try:
                    # The output at this thread count, through kiln's runtime;
                    # its time sets how many runs fit the budget.
                    out = run_tool([KILN_RUN, kmod, *inputs, f"--threads={t}", "--repeat=3",
                                    f"--output={out_name}={output_path('kiln', model, batch, t)}"])
                    once_ms = float(re.search(r"median_ms=([\d.eE+-]+)", out).group(1))
                    if bench_model:
                        out = run_tool([KILN_BENCH, "model", model, f"--batch={batch}",
                                        f"--threads={t}", "--fusion=full"])
                        m = re.search(r"median_ms=([\d.eE+-]+)", out)
                        k = re.search(r"kernels=(\d+)", out)
                        r["kernels"] = int(k.group(1)) if k else None
                        r["how"] = "`kiln-bench model --fusion=full`"
                    else:
                        repeat = max(5, min(200, int(budget_s * 1e3 / max(once_ms, 1e-3))))
                        out = run_tool([KILN_RUN, kmod, *inputs, f"--threads={t}", f"--repeat={repeat}"])
                        m = re.search(r"median_ms=([\d.eE+-]+) runs=(\d+)", out)
                        r["runs"] = int(m.group(2))
                        r["how"] = "`kiln-run NAME.kmod --threads=T --repeat=N`"
                    r["median_ms"] = float(m.group(1))
                except Exception as e:  # noqa: BLE001
                    r["error"] = str(e)[-300:]
                log(f"kiln {model} b{batch} t{t}: {r.get('median_ms', r.get('error'))}")
                results.append(r)
    return results


def peer_cases(engine, budget_s):
    results = {}
    for t in THREADS:
        env = dict(os.environ)
        # Before the peer's import: Debian's torch sends matmuls to OpenBLAS,
        # which ignores torch.set_num_threads; TVM reads its pool size here.
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TVM_NUM_THREADS"):
            env[var] = str(t)
        env["PYTHONWARNINGS"] = "ignore"
        cmd = [sys.executable, __file__, "--worker", engine, f"--threads={t}", f"--budget={budget_s}"]
        errlog = SCRATCH / f"{engine}_t{t}.log"
        start = time.time()
        try:
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=WORKER_TIMEOUT_S)
            stdout, stderr, why = proc.stdout, proc.stderr, f"exit {proc.returncode}"
        except subprocess.TimeoutExpired as e:
            stdout = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            stderr = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
            why = f"stopped after {WORKER_TIMEOUT_S} s"
        errlog.write_text(stderr)
        for line in stdout.splitlines():
            if line.startswith("RESULT "):
                r = json.loads(line[7:])
                results[(r["model"], r["batch"], t)] = r
                log(f"{engine} {r['model']} b{r['batch']} t{t}: {r.get('median_ms', r.get('error'))}")
        last = (stderr.strip().splitlines() or [why])[-1][:200]
        for model, batches in MODELS:
            for batch in batches:
                if (model, batch, t) not in results:
                    results[(model, batch, t)] = {"engine": engine, "model": model, "batch": batch,
                                                  "threads": t, "error": f"worker {why}: {last}"}
        log(f"{engine} t{t}: {time.time() - start:.0f} s")
    return list(results.values())


def agreement(engine, model, batch, threads):
    import numpy as np
    want_p, got_p = output_path("kiln", model, batch, threads), output_path(engine, model, batch, threads)
    if not want_p.exists() or not got_p.exists():
        return None
    want, got = np.load(want_p).astype(np.float64), np.load(got_p).astype(np.float64)
    if want.shape != got.shape:
        return {"ok": False, "max_abs": float("inf"), "note": f"shape {got.shape} vs kiln {want.shape}"}
    diff = np.abs(got - want)
    bad = diff > ATOL + RTOL * np.abs(want)
    return {"ok": not bad.any() and np.isfinite(got).all(), "max_abs": float(diff.max()),
            "max_rel": float((diff / np.maximum(np.abs(want), 1e-30)).max()), "bad": int(bad.sum()),
            "n": int(want.size)}


def gemm_cases(quick):
    """OpenBLAS, oneDNN and the FMA peak from gemm_ref.cpp; kiln from kiln-bench gemm."""
    exe = SCRATCH / "gemm_ref"
    src = ROOT / "benchmarks" / "gemm_ref.cpp"
    out = {"ref": [], "kiln": [], "peak": None, "notes": []}
    try:
        run_tool(["g++", "-O2", "-march=native", "-fopenmp", src, "-o", exe, "-lopenblas", "-ldnnl"])
    except Exception as e:  # noqa: BLE001
        out["notes"].append(f"gemm_ref.cpp did not build: {e}")
        return out
    sizes = GEMM_SIZES[:3] if quick else GEMM_SIZES
    m = re.search(r"isa=(\w+) gflops=([\d.]+)", run_tool([exe, "peak"]))
    out["peak"], out["isa"] = float(m.group(2)), m.group(1)
    log(f"FMA peak, 1 core: {out['peak']} GFLOP/s ({out['isa']})")
    for lib in ("openblas", "onednn"):
        for t in THREADS:
            env = dict(os.environ, OMP_NUM_THREADS=str(t), OPENBLAS_NUM_THREADS=str(t))
            proc = subprocess.run([exe, lib, str(t), *map(str, sizes)], env=env,
                                  capture_output=True, text=True, timeout=600)
            for line in proc.stdout.splitlines():
                log(line)
                f = dict(re.findall(r"(\w+)=([\w.]+)", line))
                out["ref"].append({"lib": f["lib"], "n": int(f["M"]), "threads": int(f["threads"]),
                                   "gflops": float(f["gflops"])})
            if proc.returncode:
                out["notes"].append(f"gemm_ref {lib} threads={t}: exit {proc.returncode}: "
                                    f"{proc.stderr.strip()[-200:]}")
    if not kiln_has("gemm"):
        out["notes"].append("kiln's GEMM column is empty: `kiln-bench gemm` is not in this build yet.")
        return out
    for n in sizes:
        for t in THREADS:
            try:
                line = run_tool([KILN_BENCH, "gemm", n, n, n, f"--threads={t}"])
                log(line.strip())
                out["kiln"].append({"n": n, "threads": t,
                                    "gflops": float(re.search(r"gflops=([\d.]+)", line).group(1))})
            except Exception as e:  # noqa: BLE001
                out["notes"].append(f"kiln-bench gemm {n}: {e}")
    return out


def versions():
    v = {}
    for label, dist in (("PyTorch", "torch"), ("ONNX Runtime", "onnxruntime"),
                        ("IREE", "iree-base-compiler"), ("TVM", "apache-tvm"), ("ONNX", "onnx"),
                        ("numpy", "numpy")):
        try:
            v[label] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            try:  # Debian's torch has no dist-info the venv sees
                v[label] = __import__(dist).__version__
            except Exception:  # noqa: BLE001
                v[label] = "not installed"
    for label, deb in (("OpenBLAS", "libopenblas0-pthread"), ("oneDNN", "libdnnl2")):
        proc = subprocess.run(["dpkg-query", "-W", "-f=${Version}", deb], capture_output=True, text=True)
        v[label] = proc.stdout.strip() or "not installed"
    git = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%h %cs"], capture_output=True, text=True)
    v["kiln"] = git.stdout.strip() or "unknown"
    gxx = subprocess.run(["g++", "--version"], capture_output=True, text=True).stdout.splitlines()
    v["g++"] = gxx[0].split()[-1] if gxx else "unknown"
    return v


def machine():
    info = {"cpu": platform.processor() or "unknown", "cores": os.cpu_count()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        flags = next(line for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("flags"))
        info["isa"] = "AVX-512" if " avx512f" in flags else ("AVX2" if " avx2" in flags else "SSE")
    except (OSError, StopIteration):
        pass
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        m = re.search(r"^Model name:\s*(.+)$", lscpu, re.M)
        if m and len(m.group(1)) > len(info["cpu"]):
            info["cpu"] = m.group(1).strip()
    except OSError:
        pass
    info["kernel"] = platform.release()
    info["os"] = Path("/etc/debian_version").read_text().strip() if Path("/etc/debian_version").exists() else ""
    info["load"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return info


# --------------------------------------------------------------------------
# Report.


def fmt_ms(ms):
    """Three significant figures, no exponent."""
    if ms >= 100:
        return f"{ms:.0f}"
    return f"{ms:.{max(0, 2 - math.floor(math.log10(ms)))}f}" if ms > 0 else "0"


def write_report(rows, gemm, vers, mach, started, wall_s, engines, args):
    RESULTS.mkdir(parents=True, exist_ok=True)
    by = {(r["engine"], r["model"], r["batch"], r["threads"]): r for r in rows}
    peak = gemm.get("peak")
    lines = [
        "# kiln and its peers, side by side",
        "",
        f"Measured {started:%Y-%m-%d %H:%M} UTC by `benchmarks/peers.sh`"
        f"{' --quick' if args.quick else ''} in {wall_s / 60:.1f} min, all figures from the same run.",
        "",
        f"- Machine: {mach['cpu']}, {mach['cores']} cores ({mach.get('isa', '?')}), "
        f"Linux {mach['kernel']}, Debian {mach['os']}; load average (1, 5, 15 min) at start "
        f"{mach['load']}, at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}. Two-thread "
        "figures are only meaningful on an otherwise idle machine.",
        f"- FMA peak, measured: {peak:.1f} GFLOP/s f32 per core ({gemm.get('isa')})" if peak else
        "- FMA peak: not measured",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()) + ".",
        "AGREEMENT",
        "",
        "## Models",
        "",
        "Median ms per call (input in, output out, as numpy arrays or .npy for kiln); "
        "in brackets the time relative to kiln (above 1: kiln is faster). "
        "Same weights and inputs for every engine (numpy, seed "
        f"{SEED}). `agree`: each peer's output against kiln's, "
        f"`|peer - kiln| <= {ATOL:g} + {RTOL:g}·|kiln|` elementwise, with each peer's largest "
        "absolute difference (PT PyTorch, ORT ONNX Runtime; — no output); a peer beyond it is "
        "**DISAGREES**. "
        "kiln % peak: model FLOPs over time, against threads × the measured per-core peak.",
        "",
    ]
    header = ["model", "batch", "threads"] + [PEER_TITLES[e] for e in engines] + ["kiln % peak", "agree"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    disagreements, errors, checked = [], {}, []
    for model, batches in MODELS:
        for batch in batches:
            for t in THREADS:
                k = by.get(("kiln", model, batch, t), {})
                kms = k.get("median_ms")
                cells = [model, str(batch), str(t)]
                agree = []
                for e in engines:
                    r = by.get((e, model, batch, t), {})
                    if "median_ms" in r:
                        cell = fmt_ms(r["median_ms"])
                        if e != "kiln" and kms:
                            cell += f" ({r['median_ms'] / kms:.2f}×)"
                        if r.get("runs") == 1:
                            cell += " †"
                    else:
                        cell = "failed ‡" if "error" in r else "—"
                        if "error" in r:
                            errors.setdefault(e, r["error"])
                    if e != "kiln":
                        a = agreement(e, model, batch, t)
                        checked.append(a)
                        if a is not None and not a["ok"]:
                            cell = f"**{cell} DISAGREES**"
                            agree.append(f"**{PEER_TITLES[e]} DISAGREES** (max abs {a['max_abs']:.2g})")
                            disagreements.append((e, model, batch, t, a))
                        elif a is not None:
                            agree.append(f"{PEER_SHORT.get(e, e)} {a['max_abs']:.0e}")
                        else:
                            agree.append(f"{PEER_SHORT.get(e, e)} —")
                    cells.append(cell)
                if kms and peak:
                    cells.append(f"{100 * flops_per_sample(model) * batch / (kms * 1e-3) / 1e9 / (peak * t):.0f}%")
                else:
                    cells.append("—")
                cells.append(("ok: " + ", ".join(agree)) if agree and not any("DIS" in a for a in agree)
                             else (", ".join(agree) if agree else "no peer"))
                lines.append("| " + " | ".join(cells) + " |")
    n_ok = sum(1 for a in checked if a and a["ok"])
    n_missing = sum(1 for a in checked if a is None)
    summary = (f"- Agreement with kiln's outputs: {n_ok} of {len(checked)} peer outputs within tolerance"
               + (f", **{len(disagreements)} DISAGREE**" if disagreements else "")
               + (f", {n_missing} missing (peer failed)" if n_missing else "") + ".")
    lines[lines.index("AGREEMENT")] = summary
    notes = []
    if any(r.get("runs") == 1 for r in rows):
        notes.append("† one run only: slower than the time budget per case allows repeating.")
    if errors:
        notes.append("‡ the engine failed on this case; the first error of each engine is below.")
    lines += ["", " ".join(notes), ""] if notes else [""]
    if disagreements:
        lines.append("**Disagreements:**")
        for e, model, batch, t, a in disagreements:
            lines.append(f"- **{PEER_TITLES[e]} on {model} batch {batch} threads {t}: {a.get('bad', '?')} of "
                         f"{a.get('n', '?')} elements beyond tolerance, max abs err {a['max_abs']:.3g}, "
                         f"max rel err {a.get('max_rel', float('nan')):.3g}** {a.get('note', '')}")
        lines.append("")
    for e, err in errors.items():
        lines.append(f"- {PEER_TITLES[e]} failed: `{err.strip()[:300]}`")
    kiln_how = {r.get("how") for r in rows if r["engine"] == "kiln" and r.get("how")}
    lines += [
        "",
        "How each engine runs: kiln: " + (", ".join(sorted(kiln_how)) or "—") +
        "; its outputs from a .kmod compiled by `kilnc --fusion=full --param=...` with the shared weights, run by "
        "`kiln-run --threads=T` (kiln's runtime); "
        "PyTorch: `torch.jit.trace` + `torch.jit.freeze`, `torch.set_num_threads` and "
        "`OMP_NUM_THREADS`/`OPENBLAS_NUM_THREADS` set before import; ONNX Runtime: CPU provider, "
        "all graph optimisations, `intra_op_num_threads`; IREE: `iree-import-onnx`, `iree-compile` "
        "for llvm-cpu with `--iree-llvmcpu-target-cpu=host --iree-opt-data-tiling "
        "--iree-llvmcpu-enable-ukernels=all`, driver `local-sync` at 1 thread and `local-task` "
        "at 2; TVM: Relax ONNX frontend, `tvm.compile` for the host CPU, untuned (no MetaSchedule: "
        "not a fair TVM figure). ONNX Runtime, IREE and TVM run one ONNX graph built from the same "
        "arrays. kiln is timed in C++ around its runtime's run call; the peers are timed from Python "
        "around their Python APIs' call, whose own cost (a few µs) dominates the batch-1 MLPs.",
        "",
        "## GEMM",
        "",
        "f32, row-major C = A·B, square; GFLOP/s (median) and in brackets the fraction of the "
        "measured peak × threads. OpenBLAS `cblas_sgemm` and oneDNN `dnnl_sgemm` from "
        "`benchmarks/gemm_ref.cpp`; kiln from `kiln-bench gemm`, also as a fraction of the faster "
        "of OpenBLAS and oneDNN. Not quite like for like: kiln multiplies by a weight, packed once at "
        "compile time, while the libraries take B at each call and pack it there.",
        "",
        "| M=N=K | threads | OpenBLAS | oneDNN | kiln | kiln / best ref |",
        "|---|---|---|---|---|---|",
    ]
    ref = {(g["lib"], g["n"], g["threads"]): g["gflops"] for g in gemm["ref"]}
    kg = {(g["n"], g["threads"]): g["gflops"] for g in gemm["kiln"]}

    def gcell(x, t):
        if x is None:
            return "—"
        return f"{x:.0f} ({x / (peak * t):.0%})" if peak else f"{x:.0f}"
    for n in GEMM_SIZES:
        for t in THREADS:
            ob, od, kv = ref.get(("openblas", n, t)), ref.get(("onednn", n, t)), kg.get((n, t))
            if ob is None and od is None and kv is None:
                continue
            best = max([x for x in (ob, od) if x is not None], default=None)
            rel = f"{kv / best:.0%}" if kv is not None and best else "—"
            lines.append(f"| {n} | {t} | {gcell(ob, t)} | {gcell(od, t)} | {gcell(kv, t)} | {rel} |")
    lines.append("")
    for note in gemm["notes"]:
        lines.append(f"- {note}")
    lines += ["", "![kiln and its peers](peers.png)", ""]
    (RESULTS / "peers.md").write_text("\n".join(lines))
    plot(rows, gemm, engines, started, mach)


def plot(rows, gemm, engines, started, mach):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    by = {(r["engine"], r["model"], r["batch"], r["threads"]): r.get("median_ms") for r in rows}
    cases = [(m, b) for m, bs in MODELS for b in bs]
    fig, axes = plt.subplots(3, 1, figsize=(13, 14))
    colors = {"kiln": "#d62728", "pytorch": "#1f77b4", "onnxruntime": "#2ca02c", "iree": "#9467bd",
              "tvm": "#8c564b"}
    peers = engines[1:]  # kiln is the line at 1
    width = 0.8 / max(1, len(peers))
    for ax, t in zip(axes[:2], THREADS):
        x = np.arange(len(cases))
        for i, e in enumerate(peers):
            vals = []
            for m, b in cases:
                k, v = by.get(("kiln", m, b, t)), by.get((e, m, b, t))
                vals.append(v / k if k and v else np.nan)
            bars = ax.bar(x + (i - (len(peers) - 1) / 2) * width, vals, width,
                          label=PEER_TITLES[e], color=colors.get(e))
            for bar, v in zip(bars, vals):
                if np.isnan(v):
                    ax.text(bar.get_x() + bar.get_width() / 2, 1, "×", ha="center", va="bottom",
                            color=colors.get(e), fontsize=9)
                else:
                    ax.text(bar.get_x() + bar.get_width() / 2, v, f"{v:.0f}" if v >= 10 else f"{v:.2g}", ha="center",
                            va="bottom", fontsize=6)
        ax.axhline(1.0, color=colors["kiln"], linewidth=1.2, label="kiln = 1")
        ax.set_yscale("log")
        ax.set_xticks(x, [f"{m}\nbatch {b}" for m, b in cases], fontsize=8)
        ax.set_ylabel("time / kiln's time (log)")
        ax.set_title(f"Models, {t} thread{'s' if t > 1 else ''}: above 1, kiln is faster "
                     "(× = failed or missing)")
        ax.grid(axis="y", which="both", alpha=0.3)
        ax.legend(fontsize=8, ncol=len(engines), loc="upper left")
    ax = axes[2]
    peak = gemm.get("peak")
    styles = {"openblas": ("OpenBLAS", "#1f77b4"), "onednn": ("oneDNN", "#2ca02c")}
    for t, ls in zip(THREADS, ["-", "--"]):
        for lib, (label, color) in styles.items():
            pts = sorted((g["n"], g["gflops"]) for g in gemm["ref"] if g["lib"] == lib and g["threads"] == t)
            if pts and peak:
                ax.plot([p[0] for p in pts], [p[1] / (peak * t) for p in pts], ls, marker="o",
                        color=color, label=f"{label}, {t} thr")
        pts = sorted((g["n"], g["gflops"]) for g in gemm["kiln"] if g["threads"] == t)
        if pts and peak:
            ax.plot([p[0] for p in pts], [p[1] / (peak * t) for p in pts], ls, marker="o",
                    color=colors["kiln"], label=f"kiln, {t} thr")
    ax.set_xscale("log", base=2)
    ax.set_xticks(GEMM_SIZES, [str(n) for n in GEMM_SIZES])
    ax.set_ylim(0, 1.1)
    ax.set_xlabel("M = N = K")
    ax.set_ylabel("fraction of FMA peak × threads")
    ax.set_title((f"f32 GEMM (peak {peak:.0f} GFLOP/s per core, measured)" if peak else "f32 GEMM")
                 + ("" if gemm["kiln"] else "; kiln: not measured yet"))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=3)
    fig.suptitle(f"kiln and its peers — {mach['cpu']}, {mach['cores']} cores, {started:%Y-%m-%d}")
    fig.tight_layout()
    fig.savefig(RESULTS / "peers.png", dpi=90)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--budget", type=float, default=None,
                    help="seconds of timed runs per engine and case (default 2, --quick 0.3)")
    ap.add_argument("--quick", action="store_true", help="a short run to check the set-up")
    ap.add_argument("--only", default=",".join(PEERS),
                    help=f"comma-separated peers to run (default: {','.join(PEERS)})")
    args = ap.parse_args()
    budget = args.budget if args.budget is not None else (0.3 if args.quick else 2.0)
    if args.worker:
        return worker(args.worker, args.threads, budget)

    for tool in (KILNC, KILN_RUN, KILN_BENCH):
        if not tool.exists():
            sys.exit(f"peers: {tool.relative_to(ROOT)} is missing; build kiln first:\n"
                     "  cmake -G Ninja -B build -DCMAKE_BUILD_TYPE=Release && ninja -C build")
    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.time()
    engines = ["kiln"] + [p for p in PEERS if p in args.only.split(",")]
    mach = machine()
    SCRATCH.mkdir(parents=True, exist_ok=True)
    for sub in ("out", "onnx", "iree", "tvm"):  # nothing stale from an earlier run
        shutil.rmtree(SCRATCH / sub, ignore_errors=True)
    sigs = {(m, b): signature(m, b) for m, bs in MODELS for b in bs}
    (SCRATCH / "signatures.json").write_text(json.dumps({f"{m}/{b}": s for (m, b), s in sigs.items()}))
    data = make_data(sigs)
    (SCRATCH / "onnx").mkdir(parents=True, exist_ok=True)
    try:
        import onnx
        for (m, b), s in sigs.items():
            onnx.save(build_onnx(m, b, s, data[m][0]), SCRATCH / "onnx" / f"{m}_b{b}.onnx")
    except Exception as e:  # noqa: BLE001 - the ONNX peers then fail, each with this reason
        log(f"no ONNX graphs: {e}")
    log("weights, inputs and ONNX graphs ready; GEMM first")
    gemm = gemm_cases(args.quick)
    rows = kiln_cases(sigs, budget)
    for e in engines[1:]:
        rows += peer_cases(e, budget)
    write_report(rows, gemm, versions(), mach, started, time.time() - t0, engines, args)
    (SCRATCH / "results.json").write_text(json.dumps({"rows": rows, "gemm": gemm}, indent=1, default=str))
    log(f"wrote {(RESULTS / 'peers.md').relative_to(ROOT)} and peers.png in {(time.time() - t0) / 60:.1f} min")


if __name__ == "__main__":
    main()
