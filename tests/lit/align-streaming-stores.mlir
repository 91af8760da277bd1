// RUN: kiln-opt %s --kiln-align-streaming-stores | FileCheck %s

// --kiln-align-streaming-stores: a non-temporal vector store gets the
// alignment of its vector (else LLVM splits it into scalar ones); other
// stores keep theirs.
// CHECK-LABEL: llvm.func @stores
// CHECK:         llvm.store %{{.+}}, %{{.+}} {alignment = 64 : i64, nontemporal} : vector<16xf32>, !llvm.ptr
// CHECK:         llvm.store %{{.+}}, %{{.+}} {alignment = 4 : i64} : vector<16xf32>, !llvm.ptr
// CHECK:         llvm.store %{{.+}}, %{{.+}} {alignment = 4 : i64, nontemporal} : f32, !llvm.ptr
llvm.func @stores(%p: !llvm.ptr, %v: vector<16xf32>, %s: f32) {
  llvm.store %v, %p {alignment = 4 : i64, nontemporal} : vector<16xf32>, !llvm.ptr
  llvm.store %v, %p {alignment = 4 : i64} : vector<16xf32>, !llvm.ptr
  llvm.store %s, %p {alignment = 4 : i64, nontemporal} : f32, !llvm.ptr
  llvm.return
}
