// RUN: kiln-opt %s -split-input-file --kiln-plan-memory | FileCheck %s

// --kiln-plan-memory places every call result of an outlined model function
// that is not an output in one scratch arena, live from the step that writes
// it to the last step that reads it (both included: a kernel reads its inputs
// while it writes its result). Sizes are rounded up to 64 bytes; buffers are
// placed largest first at the lowest offset that no buffer live at the same
// time overlaps. Each call gets `kiln.arena_offsets`, one per result, -1 for
// an output; the function gets `kiln.arena_size` and
// `kiln.arena_lower_bound`, the largest sum of sizes live at one step.
// The kernels' bodies do not matter here, so they are declarations.

// A chain of equal buffers ping-pongs between two offsets: each buffer is
// read by the step that writes the next one, so those two never share, but
// the one after that reuses the first one's memory. The last result is the
// output and lives in the caller's buffer, not in the arena.
// CHECK-LABEL: func.func @chain
// CHECK-SAME:    attributes {kiln.arena_lower_bound = 2048 : i64, kiln.arena_size = 2048 : i64}
// CHECK-NEXT:    %[[A:.+]] = call @k(%{{.+}}) {kiln.arena_offsets = array<i64: 0>}
// CHECK-NEXT:    %[[B:.+]] = call @k(%[[A]]) {kiln.arena_offsets = array<i64: 1024>}
// CHECK-NEXT:    %[[C:.+]] = call @k(%[[B]]) {kiln.arena_offsets = array<i64: 0>}
// CHECK-NEXT:    %[[D:.+]] = call @k(%[[C]]) {kiln.arena_offsets = array<i64: 1024>}
// CHECK-NEXT:    %[[Y:.+]] = call @k(%[[D]]) {kiln.arena_offsets = array<i64: -1>}
// CHECK-NEXT:    return %[[Y]]
func.func @chain(%x: tensor<256xf32>) -> tensor<256xf32> {
  %a = call @k(%x) : (tensor<256xf32>) -> tensor<256xf32>
  %b = call @k(%a) : (tensor<256xf32>) -> tensor<256xf32>
  %c = call @k(%b) : (tensor<256xf32>) -> tensor<256xf32>
  %d = call @k(%c) : (tensor<256xf32>) -> tensor<256xf32>
  %y = call @k(%d) : (tensor<256xf32>) -> tensor<256xf32>
  return %y : tensor<256xf32>
}
func.func private @k(tensor<256xf32>) -> tensor<256xf32> attributes {kiln.kernel}

// -----

// %a is read again by the last step (a skip connection), so its memory at
// offset 0 is not reused by anything written while it is live; the chain
// beside it rotates through the other offsets, and at step 2 three buffers
// are live at once, which is both the lower bound and the arena size.
// CHECK-LABEL: func.func @skip
// CHECK-SAME:    attributes {kiln.arena_lower_bound = 3072 : i64, kiln.arena_size = 3072 : i64}
// CHECK-NEXT:    %[[A:.+]] = call @k(%{{.+}}) {kiln.arena_offsets = array<i64: 0>}
// CHECK-NEXT:    %[[B:.+]] = call @k(%[[A]]) {kiln.arena_offsets = array<i64: 1024>}
// CHECK-NEXT:    %[[C:.+]] = call @k(%[[B]]) {kiln.arena_offsets = array<i64: 2048>}
// CHECK-NEXT:    %[[D:.+]] = call @k(%[[C]]) {kiln.arena_offsets = array<i64: 1024>}
// CHECK-NEXT:    %[[Y:.+]] = call @add(%[[D]], %[[A]]) {kiln.arena_offsets = array<i64: -1>}
// CHECK-NEXT:    return %[[Y]]
func.func @skip(%x: tensor<256xf32>) -> tensor<256xf32> {
  %a = call @k(%x) : (tensor<256xf32>) -> tensor<256xf32>
  %b = call @k(%a) : (tensor<256xf32>) -> tensor<256xf32>
  %c = call @k(%b) : (tensor<256xf32>) -> tensor<256xf32>
  %d = call @k(%c) : (tensor<256xf32>) -> tensor<256xf32>
  %y = call @add(%d, %a) : (tensor<256xf32>, tensor<256xf32>) -> tensor<256xf32>
  return %y : tensor<256xf32>
}
func.func private @k(tensor<256xf32>) -> tensor<256xf32> attributes {kiln.kernel}
func.func private @add(tensor<256xf32>, tensor<256xf32>) -> tensor<256xf32> attributes {kiln.kernel}

// -----

// Greedy by size, not by time: three buffers live together are placed
// largest first, so the last one written (4096 bytes) gets offset 0, then
// the 1024-byte one, then the 64-byte one written first.
// CHECK-LABEL: func.func @by_size
// CHECK-SAME:    attributes {kiln.arena_lower_bound = 5184 : i64, kiln.arena_size = 5184 : i64}
// CHECK-NEXT:    call @small({{.+}}) {kiln.arena_offsets = array<i64: 5120>}
// CHECK-NEXT:    call @medium({{.+}}) {kiln.arena_offsets = array<i64: 4096>}
// CHECK-NEXT:    call @large({{.+}}) {kiln.arena_offsets = array<i64: 0>}
// CHECK-NEXT:    call @join({{.+}}) {kiln.arena_offsets = array<i64: -1>}
func.func @by_size(%x: tensor<16xf32>) -> tensor<16xf32> {
  %s = call @small(%x) : (tensor<16xf32>) -> tensor<16xf32>
  %m = call @medium(%s) : (tensor<16xf32>) -> tensor<256xf32>
  %l = call @large(%m) : (tensor<256xf32>) -> tensor<1024xf32>
  %y = call @join(%s, %m, %l) : (tensor<16xf32>, tensor<256xf32>, tensor<1024xf32>) -> tensor<16xf32>
  return %y : tensor<16xf32>
}
func.func private @small(tensor<16xf32>) -> tensor<16xf32> attributes {kiln.kernel}
func.func private @medium(tensor<16xf32>) -> tensor<256xf32> attributes {kiln.kernel}
func.func private @large(tensor<256xf32>) -> tensor<1024xf32> attributes {kiln.kernel}
func.func private @join(tensor<16xf32>, tensor<256xf32>, tensor<1024xf32>) -> tensor<16xf32> attributes {kiln.kernel}

// -----

// Greedy by size is a heuristic, and the lower bound is not always reached.
// The two 128-byte buffers go first, both at offset 0 (their lifetimes do
// not meet); %b then sits at 128 beside %a, and %c, live beside both %b and
// %d, fits at neither 0 nor 128 and lands at 192. The arena is 256 bytes
// where 192 would do (%a and %b, or %c and %d, are the most live at once).
// CHECK-LABEL: func.func @above_bound
// CHECK-SAME:    attributes {kiln.arena_lower_bound = 192 : i64, kiln.arena_size = 256 : i64}
// CHECK-NEXT:    %[[A:.+]] = call @k({{.+}}) {kiln.arena_offsets = array<i64: 0>}
// CHECK-NEXT:    %[[B:.+]] = call @half(%[[A]]) {kiln.arena_offsets = array<i64: 128>}
// CHECK-NEXT:    %[[C:.+]] = call @same(%[[B]]) {kiln.arena_offsets = array<i64: 192>}
// CHECK-NEXT:    %[[D:.+]] = call @double(%[[C]]) {kiln.arena_offsets = array<i64: 0>}
// CHECK-NEXT:    call @join(%[[C]], %[[D]]) {kiln.arena_offsets = array<i64: -1>}
func.func @above_bound(%x: tensor<32xf32>) -> tensor<32xf32> {
  %a = call @k(%x) : (tensor<32xf32>) -> tensor<32xf32>
  %b = call @half(%a) : (tensor<32xf32>) -> tensor<16xf32>
  %c = call @same(%b) : (tensor<16xf32>) -> tensor<16xf32>
  %d = call @double(%c) : (tensor<16xf32>) -> tensor<32xf32>
  %y = call @join(%c, %d) : (tensor<16xf32>, tensor<32xf32>) -> tensor<32xf32>
  return %y : tensor<32xf32>
}
func.func private @k(tensor<32xf32>) -> tensor<32xf32> attributes {kiln.kernel}
func.func private @half(tensor<32xf32>) -> tensor<16xf32> attributes {kiln.kernel}
func.func private @same(tensor<16xf32>) -> tensor<16xf32> attributes {kiln.kernel}
func.func private @double(tensor<16xf32>) -> tensor<32xf32> attributes {kiln.kernel}
func.func private @join(tensor<16xf32>, tensor<32xf32>) -> tensor<32xf32> attributes {kiln.kernel}

// -----

// Sizes are rounded up to 64 bytes, whatever the element type, so every
// offset stays 64-byte aligned: 17 x f32 (68 bytes) and 65 x i8 take 128,
// 3 x f32 (12 bytes) and a scalar f16 take 64.
// CHECK-LABEL: func.func @rounding
// CHECK-SAME:    attributes {kiln.arena_lower_bound = 384 : i64, kiln.arena_size = 384 : i64}
// CHECK-NEXT:    call @f32x3({{.+}}) {kiln.arena_offsets = array<i64: 256>}
// CHECK-NEXT:    call @f32x17({{.+}}) {kiln.arena_offsets = array<i64: 0>}
// CHECK-NEXT:    call @i8x65({{.+}}) {kiln.arena_offsets = array<i64: 128>}
// CHECK-NEXT:    call @f16({{.+}}) {kiln.arena_offsets = array<i64: 320>}
// CHECK-NEXT:    call @out({{.+}}) {kiln.arena_offsets = array<i64: -1>}
func.func @rounding(%x: tensor<3xf32>) -> tensor<3xf32> {
  %a = call @f32x3(%x) : (tensor<3xf32>) -> tensor<3xf32>
  %b = call @f32x17(%a) : (tensor<3xf32>) -> tensor<17xf32>
  %c = call @i8x65(%b) : (tensor<17xf32>) -> tensor<65xi8>
  %d = call @f16(%a, %b, %c) : (tensor<3xf32>, tensor<17xf32>, tensor<65xi8>) -> tensor<f16>
  %y = call @out(%d) : (tensor<f16>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}
func.func private @f32x3(tensor<3xf32>) -> tensor<3xf32> attributes {kiln.kernel}
func.func private @f32x17(tensor<3xf32>) -> tensor<17xf32> attributes {kiln.kernel}
func.func private @i8x65(tensor<17xf32>) -> tensor<65xi8> attributes {kiln.kernel}
func.func private @f16(tensor<3xf32>, tensor<17xf32>, tensor<65xi8>) -> tensor<f16> attributes {kiln.kernel}
func.func private @out(tensor<f16>) -> tensor<3xf32> attributes {kiln.kernel}

// -----

// Offsets are per result. An output stays out of the arena even where a
// later step reads it; here the only arena buffer is the second result of
// the first call.
// CHECK-LABEL: func.func @outputs
// CHECK-SAME:    attributes {kiln.arena_lower_bound = 64 : i64, kiln.arena_size = 64 : i64}
// CHECK-NEXT:    %[[S:.+]]:2 = call @split({{.+}}) {kiln.arena_offsets = array<i64: -1, 0>}
// CHECK-NEXT:    %[[Y:.+]] = call @k(%[[S]]#0, %[[S]]#1) {kiln.arena_offsets = array<i64: -1>}
// CHECK-NEXT:    return %[[S]]#0, %[[Y]]
func.func @outputs(%x: tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %s:2 = call @split(%x) : (tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>)
  %y = call @k(%s#0, %s#1) : (tensor<16xf32>, tensor<16xf32>) -> tensor<16xf32>
  return %s#0, %y : tensor<16xf32>, tensor<16xf32>
}
func.func private @split(tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) attributes {kiln.kernel}
func.func private @k(tensor<16xf32>, tensor<16xf32>) -> tensor<16xf32> attributes {kiln.kernel}

// -----

// Nothing to place: with every result an output the arena is empty, and
// kernels themselves get no attributes.
// CHECK-LABEL: func.func @no_arena
// CHECK-SAME:    attributes {kiln.arena_lower_bound = 0 : i64, kiln.arena_size = 0 : i64}
// CHECK-NEXT:    call @k({{.+}}) {kiln.arena_offsets = array<i64: -1>}
// CHECK-NEXT:    return
// CHECK:       func.func private @k(tensor<16xf32>) -> tensor<16xf32> attributes {kiln.kernel}{{$}}
func.func @no_arena(%x: tensor<16xf32>) -> tensor<16xf32> {
  %y = call @k(%x) : (tensor<16xf32>) -> tensor<16xf32>
  return %y : tensor<16xf32>
}
func.func private @k(tensor<16xf32>) -> tensor<16xf32> attributes {kiln.kernel}

// -----

// In place: an elementwise kernel (one kiln op marked Kiln_Elementwise)
// writes its result over an operand of the same type that no later step
// reads. %r overwrites %a (relu), %s overwrites %r (add with a broadcast
// bias: the [256] operand has the result's type, the [1] one does not), so
// the three share offset 0 and one buffer lives at a time. %m, a matmul,
// is not elementwise and gets a buffer of its own.
// CHECK-LABEL: func.func @in_place
// CHECK-SAME:    attributes {kiln.arena_lower_bound = 2048 : i64, kiln.arena_size = 2048 : i64}
// CHECK-NEXT:    %[[A:.+]] = call @k(%{{.+}}) {kiln.arena_offsets = array<i64: 0>}
// CHECK-NEXT:    %[[R:.+]] = call @relu(%[[A]]) {kiln.arena_offsets = array<i64: 0>}
// CHECK-NEXT:    %[[S:.+]] = call @bias(%[[R]], %{{.+}}) {kiln.arena_offsets = array<i64: 0>}
// CHECK-NEXT:    %[[M:.+]] = call @matmul(%[[S]]) {kiln.arena_offsets = array<i64: 1024>}
// CHECK-NEXT:    call @k(%[[M]]) {kiln.arena_offsets = array<i64: -1>}
func.func @in_place(%x: tensor<256xf32>, %b: tensor<1xf32>) -> tensor<256xf32> {
  %a = call @k(%x) : (tensor<256xf32>) -> tensor<256xf32>
  %r = call @relu(%a) : (tensor<256xf32>) -> tensor<256xf32>
  %s = call @bias(%r, %b) : (tensor<256xf32>, tensor<1xf32>) -> tensor<256xf32>
  %m = call @matmul(%s) : (tensor<256xf32>) -> tensor<256xf32>
  %y = call @k(%m) : (tensor<256xf32>) -> tensor<256xf32>
  return %y : tensor<256xf32>
}
func.func private @k(tensor<256xf32>) -> tensor<256xf32> attributes {kiln.kernel}
func.func private @relu(%a: tensor<256xf32>) -> tensor<256xf32> attributes {kiln.kernel} {
  %0 = kiln.relu %a : tensor<256xf32>
  return %0 : tensor<256xf32>
}
func.func private @bias(%a: tensor<256xf32>, %b: tensor<1xf32>) -> tensor<256xf32> attributes {kiln.kernel} {
  %0 = kiln.add %a, %b : tensor<256xf32>, tensor<1xf32> -> tensor<256xf32>
  return %0 : tensor<256xf32>
}
func.func private @matmul(%a: tensor<256xf32>) -> tensor<256xf32> attributes {kiln.kernel} {
  %0 = kiln.reshape %a : tensor<256xf32> -> tensor<16x16xf32>
  %1 = kiln.matmul %0, %0 : tensor<16x16xf32>, tensor<16x16xf32> -> tensor<16x16xf32>
  %2 = kiln.reshape %1 : tensor<16x16xf32> -> tensor<256xf32>
  return %2 : tensor<256xf32>
}

// -----

// Not in place: %a is read again after the relu (a skip connection), so
// the relu's result gets a buffer of its own.
// CHECK-LABEL: func.func @not_in_place
// CHECK-NEXT:    %[[A:.+]] = call @k(%{{.+}}) {kiln.arena_offsets = array<i64: 0>}
// CHECK-NEXT:    %[[R:.+]] = call @relu(%[[A]]) {kiln.arena_offsets = array<i64: 1024>}
// CHECK-NEXT:    call @add(%[[R]], %[[A]]) {kiln.arena_offsets = array<i64: -1>}
func.func @not_in_place(%x: tensor<256xf32>) -> tensor<256xf32> {
  %a = call @k(%x) : (tensor<256xf32>) -> tensor<256xf32>
  %r = call @relu(%a) : (tensor<256xf32>) -> tensor<256xf32>
  %y = call @add(%r, %a) : (tensor<256xf32>, tensor<256xf32>) -> tensor<256xf32>
  return %y : tensor<256xf32>
}
func.func private @k(tensor<256xf32>) -> tensor<256xf32> attributes {kiln.kernel}
func.func private @relu(%a: tensor<256xf32>) -> tensor<256xf32> attributes {kiln.kernel} {
  %0 = kiln.relu %a : tensor<256xf32>
  return %0 : tensor<256xf32>
}
func.func private @add(tensor<256xf32>, tensor<256xf32>) -> tensor<256xf32> attributes {kiln.kernel}

// -----

// A reshape left in the function (--kiln-outline-kernels keeps it as a
// view) is its input's buffer: it gets no offset of its own, and a step
// reading the view keeps the input's buffer alive. %a is read through the
// view by the last step, so %b and %c cannot reuse offset 0.
// CHECK-LABEL: func.func @view
// CHECK-SAME:    attributes {kiln.arena_lower_bound = 3072 : i64, kiln.arena_size = 3072 : i64}
// CHECK-NEXT:    %[[A:.+]] = call @k(%{{.+}}) {kiln.arena_offsets = array<i64: 0>}
// CHECK-NEXT:    %[[V:.+]] = kiln.reshape %[[A]]
// CHECK-NOT:     arena_offsets
// CHECK-NEXT:    %[[B:.+]] = call @k(%[[A]]) {kiln.arena_offsets = array<i64: 1024>}
// CHECK-NEXT:    %[[C:.+]] = call @k(%[[B]]) {kiln.arena_offsets = array<i64: 2048>}
// CHECK-NEXT:    call @join(%[[C]], %[[V]]) {kiln.arena_offsets = array<i64: -1>}
func.func @view(%x: tensor<256xf32>) -> tensor<256xf32> {
  %a = call @k(%x) : (tensor<256xf32>) -> tensor<256xf32>
  %v = kiln.reshape %a : tensor<256xf32> -> tensor<16x16xf32>
  %b = call @k(%a) : (tensor<256xf32>) -> tensor<256xf32>
  %c = call @k(%b) : (tensor<256xf32>) -> tensor<256xf32>
  %y = call @join(%c, %v) : (tensor<256xf32>, tensor<16x16xf32>) -> tensor<256xf32>
  return %y : tensor<256xf32>
}
func.func private @k(tensor<256xf32>) -> tensor<256xf32> attributes {kiln.kernel}
func.func private @join(tensor<256xf32>, tensor<16x16xf32>) -> tensor<256xf32> attributes {kiln.kernel}
