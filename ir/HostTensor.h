//===- HostTensor.h - A dense tensor in host memory -------------*- C++ -*-===//
//
// The value type that crosses kiln's interfaces on the host: inputs and
// outputs of the interpreter and of compiled code, .npy files, parameters.
// Row-major, 64-byte aligned storage. Plain C++, no MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_IR_HOSTTENSOR_H
#define KILN_IR_HOSTTENSOR_H

#include "kiln/ir/Shapes.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <sys/mman.h>

namespace kiln {

enum class DType { F32, F16, BF16, I8, I32 };

/// "f32", "i32", ...
const char *dtypeName(DType t);
size_t dtypeSize(DType t);
inline bool isFloat(DType t) {
  return t == DType::F32 || t == DType::F16 || t == DType::BF16;
}
inline bool isInteger(DType t) { return t == DType::I8 || t == DType::I32; }

class HostTensor {
public:
  HostTensor() = default;
  /// Throws std::length_error for a shape with a negative dim or too many
  /// elements, std::bad_alloc when memory runs out.
  HostTensor(DType dtype, Shape shape)
      : dtype_(dtype), shape_(std::move(shape)), data_(allocate(bytesOf())) {}
  HostTensor(const HostTensor &o) : HostTensor(o.dtype_, o.shape_) {
    std::memcpy(data(), o.data(), byteSize());
  }
  /// Leaves `o` a valid scalar.
  HostTensor(HostTensor &&o) noexcept
      : dtype_(o.dtype_), shape_(std::move(o.shape_)),
        data_(std::move(o.data_)) {
    o.shape_.clear();
    o.data_ = allocate(64);
  }
  HostTensor &operator=(HostTensor o) {
    std::swap(dtype_, o.dtype_);
    std::swap(shape_, o.shape_);
    std::swap(data_, o.data_);
    return *this;
  }

  DType dtype() const { return dtype_; }
  const Shape &shape() const { return shape_; }
  int64_t size() const { return numElements(shape_); }
  size_t byteSize() const { return size() * dtypeSize(dtype_); }
  void *data() { return data_.get(); }
  const void *data() const { return data_.get(); }
  template <typename T> T *as() { return static_cast<T *>(data()); }
  template <typename T> const T *as() const {
    return static_cast<const T *>(data());
  }

  /// Element `i` (row-major) widened to double, whatever the dtype.
  double get(int64_t i) const;
  /// Stores `v` at `i`, rounded to the dtype (integers truncate).
  void set(int64_t i, double v);

private:
  struct Free {
    void operator()(void *p) const { std::free(p); }
  };
  size_t bytesOf() const {
    int64_t n = numElements(shape_);
    if (n < 0 || (uint64_t)n > SIZE_MAX / 64)
      throw std::length_error("tensor of shape " + toString(shape_) +
                              " has a negative dim or too many elements");
    return n * dtypeSize(dtype_);
  }
  // Zeroed, so that a fresh tensor never holds stale bits (or NaNs).
  static constexpr size_t kHugePage = 2 << 20;
  static std::unique_ptr<void, Free> allocate(size_t bytes) {
    // Large tensors on huge-page boundaries, for the TLB (see
    // MappedMemory.cpp).
    size_t align = bytes >= kHugePage ? kHugePage : 64;
    size_t rounded = bytes ? (bytes + align - 1) / align * align : align;
    void *p = std::aligned_alloc(align, rounded);
    if (!p)
      throw std::bad_alloc();
    if (align == kHugePage)
      madvise(p, rounded, MADV_HUGEPAGE);
    std::memset(p, 0, rounded);
    return std::unique_ptr<void, Free>(p);
  }

  DType dtype_ = DType::F32;
  Shape shape_;
  std::unique_ptr<void, Free> data_ = allocate(0);
};

/// "" when `got` has the wanted dtype and shape, else a message naming
/// `what` (e.g. "input 'image'"): "input 'image': expected f32 [1, 784], got
/// i32 [2, 784]".
std::string checkTensor(const HostTensor &got, const std::string &what,
                        DType wantType, const Shape &wantShape);

} // namespace kiln

#endif // KILN_IR_HOSTTENSOR_H
