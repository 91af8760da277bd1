//===- Passes.td - kiln codegen passes ---------------------*- tablegen -*-===//
//
// Passes that take a kiln model towards machine code. Record, file, flag and
// lit test share one name (ParamsToArguments -> ParamsToArguments.cpp ->
// --kiln-params-to-arguments -> params-to-arguments.mlir).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_PASSES
#define KILN_CODEGEN_PASSES

include "mlir/Pass/PassBase.td"

def ParamsToArguments : Pass<"kiln-params-to-arguments", "mlir::ModuleOp"> {
  let summary = "Turn kiln.param ops into arguments of the model function";
  let description = [{
    Compiled code receives parameter values the way it receives inputs: as
    buffers passed by the caller. Each distinct parameter name becomes one
    argument appended after the inputs, in order of first use, carrying a
    `kiln.param` attribute with its name; every kiln.param of that name is
    replaced by the argument. Every argument is marked
    `bufferization.writable = false`: inputs and weights belong to the caller
    and compiled code never writes into them.
  }];
  let dependentDialects = ["kiln::KilnDialect", "mlir::func::FuncDialect"];
}

def ChunkFusedKernels : Pass<"kiln-chunk-fused-kernels", "mlir::func::FuncOp"> {
  let summary = "Run a fused kernel as a loop over the chunks of its grid";
  let description = [{
    For a kernel carrying `kiln.chunks` > 1 and `kiln.grid_dims` (an
    outlined kiln.fusion region, see --kiln-fusion): the body becomes an
    `scf.for` (marked `kiln.chunk_loop`) over the chunks of the grid. Each
    iteration slices the inputs the grid cuts (tensor.extract_slice), runs
    every op of the region once on chunk-sized tensors and inserts the
    results into the outputs; inputs a chunk needs whole are read whole.
    Other functions are left alone. Runs on kiln ops, before
    --kiln-lower-to-linalg.

    ```mlir
    // kiln.grid_dims = [0], kiln.chunks = 4, %x : tensor<64x32xf32>
    %r = scf.for %i = %c0 to %c64 step %c16 iter_args(%o = %empty) {
      %s = tensor.extract_slice %x[%i, 0] [16, 32] [1, 1]
      %y = kiln.relu %s : tensor<16x32xf32>
      %o2 = tensor.insert_slice %y into %o[%i, 0] [16, 32] [1, 1]
      scf.yield %o2
    } {kiln.chunk_loop}
    ```
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect"];
}

def ApproximateMath : Pass<"kiln-approximate-math", "mlir::func::FuncOp"> {
  let summary = "Replace transcendental math ops by polynomial approximations";
  let description = [{
    Applies MLIR's math polynomial approximations (exp, expm1, log, log1p,
    log2, erf, tanh, sin, cos, atan, ...) wherever the ops are, linalg
    bodies included, so that they compile to arithmetic LLVM vectorises
    instead of scalar libm calls. f32 only; other types are left alone.

    ```mlir
    %y = math.erf %x : f32
    // becomes a few dozen arith ops: clamps, selects and fmas
    ```
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
}

def LowerToLinalg : Pass<"kiln-lower-to-linalg", "mlir::func::FuncOp"> {
  let summary = "Lower kiln primitives to linalg, tensor, arith and math";
  let description = [{
    One conversion per op family (KilnToLinalg/*.cpp), on tensors. Expects
    composite ops to be gone (--kiln-decompose) and parameters to be
    arguments (--kiln-params-to-arguments); a kiln op left over fails the
    pass and is named.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::linalg::LinalgDialect",
    "mlir::math::MathDialect", "mlir::tensor::TensorDialect"
  ];
}

def OnlineSoftmax : Pass<"kiln-online-softmax", "mlir::func::FuncOp"> {
  let summary = "Run attention's softmax over blocks of keys";
  let description = [{
    O = softmax(Q K^T * c) V (kiln ops, the softmax decomposed, over more
    than 256 keys) becomes an `scf.for` over blocks of 256 keys carrying
    the running row max, row sum and output accumulator of an online
    softmax, as flash attention does, and one step more for the keys after
    the last whole block: the scores exist for one block of keys at a
    time. Runs after
    --kiln-chunk-fused-kernels and before --kiln-lower-to-linalg.

    ```mlir
    %s = kiln.matmul %q, %kt    // [..., M, N], N = 1024
    %p = softmax(%s * c)        // reduce_max, sub, exp, reduce_sum, div
    %o = kiln.matmul %p, %v     // [..., M, Dv]
    // becomes
    %r:3 = scf.for %j = 0 to 1024 step 256 iter_args(%m, %l, %acc) { ... }
    %o = kiln.div %r#2, %r#1
    ```
  }];
  let dependentDialects = ["mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::bufferization::BufferizationDialect"];
}

def FuseElementwise : Pass<"kiln-fuse-elementwise", "mlir::func::FuncOp"> {
  let summary = "Fuse elementwise linalg ops, keeping matmuls whole";
  let description = [{
    linalg's elementwise fusion and reshape propagation
    (-linalg-fuse-elementwise-ops, the same patterns), except that nothing
    is fused into a matmul that --kiln-tile-matmul tiles and no reshape is
    folded into or through one: fused, it would become a generic the tiles
    do not take and run as plain loops.

    ```mlir
    %n = linalg.generic ... { arith.mulf ... }   // a layer norm's scaling
    %y = linalg.matmul ins(%n, %w ...)           // stays a matmul
    %b = linalg.generic ins(%y, %bias ...)       // elementwise: fused below
    ```
  }];
  let dependentDialects = ["mlir::affine::AffineDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
}

def CopyAliasedResults : Pass<"kiln-copy-aliased-results",
                              "mlir::func::FuncOp"> {
  let summary = "Give every returned tensor a buffer of its own";
  let description = [{
    Each result of a compiled function is written into a caller buffer of
    its own, so a returned argument (an input or parameter returned as is)
    and a value returned twice are copied with linalg.copy first.
    Bufferization would otherwise alias two caller buffers, and MLIR 19's
    buffer-results-to-out-params crashes on a returned argument. Runs on
    tensors, after the last canonicalization before bufferization: folding
    (x / 1, an identity transpose) can make a result an argument at any
    earlier point.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
}

def ReorderReductionLoops : Pass<"kiln-reorder-reduction-loops",
                                 "mlir::func::FuncOp"> {
  let summary = "Move the reduction loops of linalg ops outside a contiguous "
                "parallel loop";
  let description = [{
    convert-linalg-to-loops keeps a linalg op's loop order, and linalg puts
    reductions last: matmul, convolution and pooling become a scalar
    reduction innermost with strided loads, which LLVM cannot vectorise.
    For each linalg op with reduction loops whose outputs all end in the
    same parallel loop `d`, where every operand either ignores `d` or has it
    as its last index, the loops are reordered to (other parallel loops,
    reduction loops, `d`); named ops become linalg.generic for it. The
    innermost loop is then parallel and unit-stride, and LLVM vectorises it:

    ```mlir
    // before: (m, n, k), k innermost, B[k, n] strided
    %c = linalg.matmul ins(%a, %b : tensor<8x16xf32>, tensor<16x32xf32>)
                       outs(%init : tensor<8x32xf32>) -> tensor<8x32xf32>
    // after: linalg.generic over (m, k, n), n innermost
    ```

    Ops whose innermost loop is already that one, and reductions along the
    last dim of an input (row sums: moving the output's last loop inwards
    would make the input strided), are left alone. Results stay bitwise the
    same: each output element still accumulates its reduction in the same
    order, only the output elements are interleaved differently. Runs on
    tensors or buffers, before convert-linalg-to-loops.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def OutlineKernels : Pass<"kiln-outline-kernels", "mlir::ModuleOp"> {
  let summary = "Move each op of the model into a kernel function of its own";
  let description = [{
    After it, the model function holds only `func.call`s of private kernel
    functions (marked `kiln.kernel`): the step list of an ahead-of-time
    artifact. Constants are cloned into the kernels that use them. A
    reshape of an argument or of a computed value stays between the calls
    as a view: its result is its input's buffer, no step. An output that is
    an argument, a view, a constant, or a value returned twice gets a copy
    kernel, so that every output buffer is written by a step. Expects
    --kiln-params-to-arguments first.

    ```mlir
    %0 = kiln.relu %x : tensor<4xf32>
    // becomes
    %0 = call @model_k0_relu(%x) : (tensor<4xf32>) -> tensor<4xf32>
    func.func private @model_k0_relu(%a: tensor<4xf32>) -> tensor<4xf32>
        attributes {kiln.kernel} { ... }
    ```
  }];
  let dependentDialects = ["kiln::KilnDialect", "mlir::func::FuncDialect"];
}

def PlanMemory : Pass<"kiln-plan-memory", "mlir::ModuleOp"> {
  let summary = "Assign arena offsets to the buffers between kernel calls";
  let description = [{
    On an outlined model function (--kiln-outline-kernels): each call result
    that is not an output lives in one scratch arena from the step that
    writes it to the last step that reads it, directly or through a view. A step whose kernel is one
    elementwise kiln op (Kiln_Elementwise) writes its result in place over
    an operand of the same type that no later step reads. Buffers are
    placed largest first at the lowest 64-byte aligned offset that no buffer
    live at the same time overlaps (the greedy-by-size planner of TFLite). Each call gets
    `kiln.arena_offsets` (one per result, -1 for an output) and the function
    `kiln.arena_size` and `kiln.arena_lower_bound` (the largest sum of
    buffers live at one step, counting an in-place pair once, which no plan
    with the same in-place choices can beat).
  }];
  let options = [
    Option<"inPlace", "in-place", "bool", /*default=*/"true",
           "Let elementwise steps write over an operand (off for artifacts "
           "for now: see Aot.cpp)">
  ];
}

def TileToWorkgroups : Pass<"kiln-tile-to-workgroups", "mlir::ModuleOp"> {
  let summary = "Let each kernel compute one workgroup's share of its output";
  let description = [{
    Every function marked `kiln.kernel` gets two leading `index` arguments,
    `workgroup_id` and `workgroup_count` (marked `kiln.workgroup_id` and
    `kiln.workgroup_count`), and an attribute `kiln.max_workgroups`: the most
    workgroups its work is worth splitting into. The runtime calls the
    kernel once per workgroup, ids 0 to count - 1, count at most that.

    When the kernel returns the one result of a linalg op whose output
    starts as a `tensor.empty` (possibly filled), and its static loop
    extents multiply to at least 2 * `min-work-per-workgroup` iterations,
    that op is tiled along one parallel loop that indexes its output (the
    outermost at least 16 long, else the longest), its producers are fused
    into the tile, and the tile loop is cut down to this workgroup's chunk:

    ```mlir
    // chunk = ceil(E / count)
    scf.for %i = (id * chunk) to min(id * chunk + chunk, E) step chunk
        iter_args(%out = %empty) { fill, op on the slice, insert_slice }
    ```

    The chunk is rounded up to whole 64-byte cache lines of the output
    (16 f32 when the innermost dim is split), so that no two workgroups
    store to one line, and for a matmul that --kiln-tile-matmul tiles, to
    whole 8-row register tiles when its rows are split and, when its
    columns are split and B is a `kiln.constant` argument (a weight that it
    may read packed into panels), whole 32-column panels; such a matmul's
    iterations count half, as its tiles run them about twice as fast. `kiln.max_workgroups` is then min(E, E / line,
    iterations / min-work-per-workgroup); otherwise it is 1 and the
    arguments are unused. A split matmul whose other operand (the one the
    split loop does not index) is 1 MiB or more, which every workgroup
    reads whole, also gets `kiln.one_workgroup_per_thread`: the runtime
    then runs no more workgroups than threads.
    Splitting a parallel loop keeps every output element's reduction order,
    so the results are bitwise those of one workgroup. Runs on tensors, on
    kernels without callers (after --kiln-outline-kernels, with the model
    function gone), before bufferization.
  }];
  let options = [
    Option<"minWorkPerWorkgroup", "min-work-per-workgroup", "int64_t",
           /*default=*/"16384",
           "Loop iterations of the root op below which one more workgroup "
           "is not worth a dispatch">
  ];
  let dependentDialects = [
    "mlir::affine::AffineDialect", "mlir::arith::ArithDialect",
    "mlir::linalg::LinalgDialect", "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect"
  ];
}

def ConvToMatmul : Pass<"kiln-conv-to-matmul", "mlir::func::FuncOp"> {
  let summary = "Rewrite NHWC convolutions on buffers as matmuls on strided "
                "views";
  let description = [{
    Each f32 linalg.conv_2d_nhwc_hwcf on buffers whose columns are not
    dilated, whose input has (w, c) contiguous and whose filter's (kw, c)
    rows are evenly spaced becomes, per image n and output row oh, one
    contraction over the whole window that --kiln-tile-matmul tiles as a
    matmul with K = KH*KW*C (its k loop over kh, then kw and c):

    ```mlir
    // out[n, oh, ow, f] = sum_kh sum_r A[ow, kh, r] * B[kh, r, f]
    %b = memref.collapse_shape %filter [[0], [1, 2], [3]]   // [KH, KW*C, F]
    %a = memref.reinterpret_cast %in_base to offset: [in_off + n*sN + oh*sh*sH],
         sizes: [OW, KH, KW*C], strides: [sw*C, dh*sH, 1]  // overlapping rows
    linalg.generic {iterator_types = ["parallel", "parallel", "reduction",
                                      "reduction"]}
        ins(%a, %b) outs(%c_row)   // A (m, k1, k2), B (k1, k2, n), C (m, n)
    ```

    A zero fill of the whole output right before the convolution becomes a
    fill of each output row right before its contraction (which
    --kiln-tile-matmul folds into the tile). Others are left to
    convert-linalg-to-loops; --kiln-reorder-reduction-loops leaves the
    convolutions this pass takes in their named form.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect"];
}

def ConvToWinograd : Pass<"kiln-conv-to-winograd", "mlir::func::FuncOp"> {
  let summary = "Rewrite 3x3 stride-1 NHWC convolutions on buffers with "
                "Winograd's F(2x2, 3x3)";
  let description = [{
    Each f32 linalg.conv_2d_nhwc_hwcf on buffers of static shapes with a
    3x3 filter, stride and dilation 1, unit-stride channels and C (16 or
    more) and F multiples of `vector-width`, becomes, per block of 2 x 2
    output tiles (a row of tiles of one or more images):

    ```mlir
    // V[xi, t, c] = (B^T d_tc B)[xi]       vector code, d the 4 x 4 input tile
    // M[xi, t, f] = sum_c V[xi, t, c] U[xi, c, f]   (a batched linalg.generic)
    // out tile t  = A^T M[:, t, f] A       vector code
    ```

    with U[xi, c, f] = (G g_cf G^T)[xi] computed once at the function's
    start when the filter is an argument the function only reads, else
    before the convolution. V, M and U are stack buffers (1 MiB at most for
    all convolutions of a function; a convolution past it stays). Output
    rows and columns past the last whole tile stay convolutions on views,
    for --kiln-conv-to-matmul; a zero fill of the output right before is
    folded where tiles write.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "f32 lanes of the transforms' vectors: 8 (AVX2) or 16 (AVX-512)">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::vector::VectorDialect"];
}

def TileMatmul : Pass<"kiln-tile-matmul", "mlir::func::FuncOp"> {
  let summary = "Cache- and register-tile f32 matmuls on buffers into vector "
                "FMAs";
  let description = [{
    Replaces every f32 linalg op on buffers that computes
    C[b..., m, n] += A[.., m, k] * B[.., k, n] (linalg.matmul, the generic
    --kiln-reorder-reduction-loops makes of it, batched matmul with
    broadcast batch dims, and C[m, n] += A[m, k1, k2] * B[k1, k2, n] with K
    split in two reduction dims, as --kiln-conv-to-matmul makes of a
    convolution: loops over k1 and k2 when K2 >= 16, else one k loop of
    K1*K2 that carries A's column along; 2-D
    with A stored transposed, A[k, m]), where B and C have unit-stride
    rows, with loops:
    KC x MC cache blocks, NR-wide panels, and an MR x NR register tile whose
    accumulators are the iter_args of the k loop, updated by
    `vector.fma` of a broadcast A element and a row of B. `vector-width` 16
    (AVX-512) gives MR x NR = 8 x 32, 8 (AVX2) gives 6 x 16. Panels narrower
    than NR use masked loads and stores; the r < MR rows left over run as
    tiles of 4, 2 and 1 rows (r's bits).
    A zero `linalg.fill` of C right before the op is folded into it (the
    first k block starts from 0), and each tile prefetches the next one's C.
    A B of 1 MiB or more, at least 256 rows, that is not packed already is
    packed at run time, KC x 128 columns at a time into a 128 KiB stack
    buffer (`memref.alloca` in the entry block), when C has 64 rows or more.
    An A stored transposed over a K of KC or more is packed at run time too,
    when C has 4 panels or more (checked at run time: a workgroup's share),
    each MC x KC block into groups of MR rows in a second stack buffer
    (96 KiB for AVX2, 128 KiB for AVX-512); the row blocks then run outside
    B's column blocks, so that each A block is packed once per k block (and
    a B packed at run time once per row block). A few rows of A (32 or
    fewer) times a B of 1 MiB or more read in place run k blocks of 32
    rows.

    ```mlir
    linalg.matmul ins(%a, %b : memref<64x64xf32>, memref<64x64xf32>)
                  outs(%c : memref<64x64xf32>)
    // becomes
    scf.for %k0 .. { scf.for %i0 .. { scf.for %j .. {
      scf.for %i .. step 8 {
        %acc = vector.load %c[..] : memref<64x64xf32>, vector<16xf32>  // x16
        scf.for %k .. iter_args(%acc0 = %acc, ...) {
          %s = memref.load %a[%i, %k] ...
          %r = vector.fma %splat, %b0, %acc0 : vector<16xf32>          // x16
          scf.yield ...
        }
        vector.store ...
    } } } }
    ```

    A B that is a function argument marked `kiln.constant` (or its
    memref.collapse_shape keeping the last dim: a filter read as the matrix
    [KH*KW*C, F]) and read by this op alone is read packed (each NR-column
    panel stored contiguously, K x w row by row), and the function records `kiln.packed_rhs` = [argument,
    NR, ...]: whoever passes that argument must pack it (see
    compileArtifact). Each C element gets its products in k order, one FMA
    each, whichever tile variant computes it, so results do not depend on
    how rows are split among workgroups. A 2-D op reading B stored
    transposed, B[n, k], into at most 16 columns of C becomes dot products
    instead: vectors along k, a tile of rows x columns of C (16
    accumulators with AVX-512, 8 with AVX2) summed across lanes
    (`vector.reduction <add>` with reassoc), a last masked step when K is
    no multiple of the width. Runs after bufferization, before
    convert-linalg-to-loops; other linalg ops are left alone.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "f32 lanes per vector register: 16 (AVX-512) or 8 (AVX2)">
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect", "mlir::vector::VectorDialect"
  ];
}

def ColumnReductions : Pass<"kiln-column-reductions", "mlir::func::FuncOp"> {
  let summary = "Reduce leading dims into trailing ones in vector registers";
  let description = [{
    A `linalg.generic` on buffers with one input and one output, both
    static, f32 and row-major, whose output indices are the input's last
    ones (in order) and whose other loops are all reductions, taken in the
    input's dim order (a bias gradient: [N, H, W, C] summed to [C]), with a
    body of f32 arith ops on f32 values (values from outside the body
    broadcast), at least `vector-width` output elements, and an output that
    is no view of the input's buffer, becomes vector loops over the input as
    the matrix [R, T] (R the reduced elements, T the output's): the output
    in blocks of up to 8 vectors (the last block's last vector masked),
    each block's accumulators loaded from the output, carried through the
    loop over the R rows as iter_args, combined with one vector load of the
    row each by the body on vectors (without `reassoc`), and stored back.
    Each output element combines the rows in the same order as the
    generic: results are bitwise the same. Runs after bufferization, before
    convert-linalg-to-loops; other generics are left alone.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "f32 lanes per vector register: 16 (AVX-512) or 8 (AVX2)">
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect", "mlir::vector::VectorDialect"
  ];
}

def StreamingStores : Pass<"kiln-streaming-stores", "mlir::func::FuncOp"> {
  let summary = "Write a step's large outputs with non-temporal vector stores";
  let description = [{
    An elementwise f32 `linalg.generic` on buffers (all loops parallel,
    operands read at the loop indices or rank 0) whose outputs include a
    kernel argument marked `kiln.step_output` of `min-bytes` or more (the
    new parameters and optimizer state of a train step) becomes a vector
    loop of `vector-width` lanes whose stores to those outputs are
    non-temporal (`vector.store {nontemporal = true}`), followed by a
    `llvm.fence seq_cst`. An ordinary store first reads the line it
    writes (write-allocate), a third more memory traffic for an update
    that reads p, m, v and writes them back. The loop runs when every such
    output starts on a vector-aligned address with vector-aligned rows and
    the innermost dim is a multiple of the width; otherwise the generic
    runs as it was. --kiln-align-streaming-stores then gives the LLVM
    stores their alignment. Runs after bufferization, before
    convert-linalg-to-loops.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "f32 lanes per vector register: 16 (AVX-512) or 8 (AVX2)">,
    Option<"minBytes", "min-bytes", "int64_t", /*default=*/"8 << 20",
           "Smallest output written with non-temporal stores">
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::LLVM::LLVMDialect",
    "mlir::memref::MemRefDialect", "mlir::scf::SCFDialect",
    "mlir::vector::VectorDialect"
  ];
}

def AlignStreamingStores : Pass<"kiln-align-streaming-stores",
                                "mlir::ModuleOp"> {
  let summary = "Give the non-temporal vector stores their alignment";
  let description = [{
    MLIR 19's vector.store carries no alignment, and an LLVM store of a
    vector aligned to its element only is split into scalar non-temporal
    stores. Every non-temporal vector store comes from
    --kiln-streaming-stores, which runs it only on aligned addresses: each
    gets the alignment of its vector size. Runs on the LLVM dialect.
  }];
}

#endif // KILN_CODEGEN_PASSES
