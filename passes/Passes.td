//===- Passes.td - kiln graph passes -----------------------*- tablegen -*-===//
//
// Graph passes on the kiln dialect. One record, one file, one flag, one lit
// test: `Decompose` -> Decompose.cpp -> --kiln-decompose -> decompose.mlir.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_PASSES
#define KILN_PASSES

include "mlir/Pass/PassBase.td"

def Decompose : Pass<"kiln-decompose", "mlir::func::FuncOp"> {
  let summary = "Expand composite ops into kiln primitives";
  let description = [{
    Rewrites softmax, log_softmax, layer_norm and reduce_mean into
    reductions and elementwise ops, so that later stages (lowering, fusion)
    see only primitives. Softmax subtracts the row maximum first, so it stays
    finite for large logits.
  }];
  let dependentDialects = ["kiln::KilnDialect"];
}

def Fusion : Pass<"kiln-fusion", "mlir::func::FuncOp"> {
  let summary = "Group ops into kiln.fusion regions, one kernel each";
  let description = [{
    Greedy producer-into-consumer grouping under the cost model of
    docs/fusion.md (FusionAnalysis.h): two groups merge when the merged
    kernel moves fewer bytes plus launches than the two apart, which needs
    a way to run it with its intermediates in cache and no op computed twice
    (a grid to chunk it along, a tree to tile, or a size that fits). Merges
    that would make a cycle between groups are skipped. Each group of two or
    more ops becomes a `kiln.fusion` op carrying its grid; a single op stays
    as it is.

    `level`: `none` forms no region; `elementwise` merges only elementwise
    ops; `full` also takes in matmul, conv2d, reductions, max_pool2d,
    transpose and reshape (epilogues, softmax and norms, attention).

    ```mlir
    %m = kiln.matmul %x, %w ...
    %y = kiln.relu %m ...
    // becomes
    %y = kiln.fusion "contraction" (%x, %w) {...} { matmul; relu; yield }
    ```
  }];
  let options = [
    Option<"level", "level", "std::string", /*default=*/"\"full\"",
           "none, elementwise or full">,
    Option<"cacheBudget", "cache-budget", "int64_t",
           /*default=*/"kiln::kCacheBudget",
           "Bytes a chunk of a fused kernel may keep live (tests make it "
           "small to cut small shapes into chunks)">
  ];
  let dependentDialects = ["kiln::KilnDialect"];
}

#endif // KILN_PASSES
