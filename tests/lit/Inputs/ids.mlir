// Token ids 995..1004 from random inputs in [0, 10): half of them lie
// outside a 1000-row table (used by kiln-run-model-source.test).
func.func @ids(%x: tensor<1x64xi32> {kiln.name = "x"}) -> (tensor<1x64xi32> {kiln.name = "y"}) {
  %c = kiln.constant dense<995> : tensor<i32>
  %0 = kiln.add %x, %c : tensor<1x64xi32>, tensor<i32> -> tensor<1x64xi32>
  return %0 : tensor<1x64xi32>
}
