// RUN: kiln-opt %s --kiln-cpu-kernel-codegen | FileCheck %s

// --kiln-cpu-kernel-codegen: the kernels of an outlined model (what
// kilnc --emit=kmod compiles) to the LLVM dialect. Each takes the workgroup
// id and count first, then one pointer per input and output. A kernel split
// into workgroups writes its share straight into the caller's output
// buffer: no allocation and no copy of the whole output, which every
// workgroup would otherwise make, racing the others.

// CHECK-LABEL: llvm.func @model_k0_matmul
// CHECK-SAME:    (%{{.+}}: i64 {kiln.workgroup_id}, %{{.+}}: i64 {kiln.workgroup_count}, %{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr)
// CHECK-SAME:    kiln.max_workgroups = 8 : i64
// CHECK-NOT:     llvm.call
// CHECK:         llvm.intr.fmuladd({{.+}}) : (vector<{{8|16}}xf32>
// CHECK-NOT:     llvm.call
// CHECK:         llvm.store %{{.+}}, %{{.+}} {{.*}}: vector<{{8|16}}xf32>, !llvm.ptr
// CHECK-NOT:     llvm.call
// CHECK:         llvm.return
func.func private @model_k0_matmul(%a: tensor<64x784xf32> {bufferization.writable = false}, %b: tensor<784x128xf32> {bufferization.writable = false}) -> tensor<64x128xf32> attributes {kiln.kernel} {
  %0 = kiln.matmul %a, %b : tensor<64x784xf32>, tensor<784x128xf32> -> tensor<64x128xf32>
  return %0 : tensor<64x128xf32>
}

// Too small to split: one workgroup, the arguments unused.
// CHECK-LABEL: llvm.func @model_k1_relu
// CHECK-SAME:    (%{{.+}}: i64 {kiln.workgroup_id}, %{{.+}}: i64 {kiln.workgroup_count}, %{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr)
// CHECK-SAME:    kiln.max_workgroups = 1 : i64
// CHECK-NOT:     llvm.call
// CHECK:         llvm.return
func.func private @model_k1_relu(%x: tensor<64x128xf32> {bufferization.writable = false}) -> tensor<64x128xf32> attributes {kiln.kernel} {
  %0 = kiln.relu %x : tensor<64x128xf32>
  return %0 : tensor<64x128xf32>
}

// A weight argument that compileArtifact marks `llvm.noalias` (nothing
// writes a weight while a model runs) keeps the mark on its pointer, so
// that LLVM may move the bias loads past the stores to the output and
// vectorise the bias + ReLU across the channels.
// CHECK-LABEL: llvm.func @model_k2_add_relu
// CHECK-SAME:    (%{{.+}}: i64 {kiln.workgroup_id}, %{{.+}}: i64 {kiln.workgroup_count}, %{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr {kiln.constant, llvm.noalias}, %{{.+}}: !llvm.ptr)
func.func private @model_k2_add_relu(%x: tensor<64x32xf32> {bufferization.writable = false}, %b: tensor<32xf32> {bufferization.writable = false, kiln.constant, llvm.noalias}) -> tensor<64x32xf32> attributes {kiln.kernel} {
  %0 = kiln.add %x, %b : tensor<64x32xf32>, tensor<32xf32> -> tensor<64x32xf32>
  %1 = kiln.relu %0 : tensor<64x32xf32>
  return %1 : tensor<64x32xf32>
}
