//===- Signature.h - A model's named tensors --------------------*- C++ -*-===//
//
// What a caller needs to know to run a model: each tensor's name, element
// type and shape. Read from the IR (signatureOf in Model.h) or from an
// artifact (Driver.h); plain C++, no MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_IR_SIGNATURE_H
#define KILN_IR_SIGNATURE_H

#include "kiln/ir/HostTensor.h"

#include <map>
#include <string>
#include <vector>

namespace kiln {

struct TensorSpec {
  std::string name;
  DType dtype;
  Shape shape;
  std::string init; // parameters, and trained inputs of a train step
  /// An integer input that gather uses as ids: valid ids are [0, indexRange)
  /// (the table's rows); 0 when it indexes nothing.
  int64_t indexRange = 0;
};

struct ModelSignature {
  std::vector<TensorSpec> inputs, outputs, params;
};

using ParamValues = std::map<std::string, HostTensor>;

} // namespace kiln

#endif // KILN_IR_SIGNATURE_H
