//===- gemm_ref.cpp - Reference f32 GEMM and FMA peak for peers.sh -------===//
//
// The bar kiln's GEMM is held to, measured on the host in the same run:
//
//   gemm_ref peak                     -> peak threads=1 gflops=X
//   gemm_ref openblas|onednn T N...   -> gemm_ref lib=L M=N N=N K=N threads=T gflops=X
//
// Row-major C = A * B, square, through OpenBLAS's cblas_sgemm or oneDNN's
// dnnl_sgemm; the median of repeated calls after a warm-up. A sample of C is
// checked against a double-precision dot product so that a fast wrong answer
// does not count. The peak is a loop of independent FMAs on registers, enough
// of them to cover the FMA latency on both pipes. Built by
// benchmarks/peers.py with g++, outside kiln's build: kiln never links these
// libraries.
//
//===----------------------------------------------------------------------===//
#include <cblas.h>
#include <dnnl.h>
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

double seconds() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Independent accumulators: 2 pipes x 4 cycles latency needs 8; 16 leaves
// margin. The multiplier and addend are chosen so values stay finite.
#if defined(__AVX512F__)
using Vec = __m512;
constexpr int lanes = 16;
inline Vec splat(float x) { return _mm512_set1_ps(x); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline void store(float *out, Vec v) { _mm512_storeu_ps(out, v); }
constexpr const char *isa = "avx512";
#else
using Vec = __m256;
constexpr int lanes = 8;
inline Vec splat(float x) { return _mm256_set1_ps(x); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline void store(float *out, Vec v) { _mm256_storeu_ps(out, v); }
constexpr const char *isa = "avx2";
#endif

float sum(Vec v) {
  float out[lanes];
  store(out, v);
  float s = 0;
  for (float x : out)
    s += x;
  return s;
}

double peakGflops() {
  constexpr int accs = 16;
  // Many short trials and the best: a trial that another process preempts
  // measures the scheduler, not the core.
  const long iters = 1'000'000;
  double best = 0;
  for (int trial = 0; trial < 200; ++trial) {
    // Named registers, not an array: an array may be kept in memory, and
    // then store-to-load latency, not the FMA pipes, sets the pace.
    Vec m = splat(0.999999f), a = splat(1e-7f);
    Vec c0 = splat(1.00f), c1 = splat(1.01f), c2 = splat(1.02f),
        c3 = splat(1.03f), c4 = splat(1.04f), c5 = splat(1.05f),
        c6 = splat(1.06f), c7 = splat(1.07f), c8 = splat(1.08f),
        c9 = splat(1.09f), c10 = splat(1.10f), c11 = splat(1.11f),
        c12 = splat(1.12f), c13 = splat(1.13f), c14 = splat(1.14f),
        c15 = splat(1.15f);
    double t0 = seconds();
    for (long it = 0; it < iters; ++it) {
      c0 = fma(c0, m, a), c1 = fma(c1, m, a), c2 = fma(c2, m, a);
      c3 = fma(c3, m, a), c4 = fma(c4, m, a), c5 = fma(c5, m, a);
      c6 = fma(c6, m, a), c7 = fma(c7, m, a), c8 = fma(c8, m, a);
      c9 = fma(c9, m, a), c10 = fma(c10, m, a), c11 = fma(c11, m, a);
      c12 = fma(c12, m, a), c13 = fma(c13, m, a), c14 = fma(c14, m, a);
      c15 = fma(c15, m, a);
    }
    double t = seconds() - t0;
    float s = sum(c0) + sum(c1) + sum(c2) + sum(c3) + sum(c4) + sum(c5) +
              sum(c6) + sum(c7) + sum(c8) + sum(c9) + sum(c10) + sum(c11) +
              sum(c12) + sum(c13) + sum(c14) + sum(c15);
    if (!std::isfinite(s))
      std::fprintf(stderr, "gemm_ref: peak loop diverged\n");
    best = std::max(best, 2.0 * lanes * accs * iters / t / 1e9);
  }
  return best;
}

using Gemm = void (*)(int n, const float *a, const float *b, float *c);

void openblasGemm(int n, const float *a, const float *b, float *c) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n,
              b, n, 0.0f, c, n);
}

void onednnGemm(int n, const float *a, const float *b, float *c) {
  if (dnnl_sgemm('N', 'N', n, n, n, 1.0f, a, n, b, n, 0.0f, c, n) !=
      dnnl_success) {
    std::fprintf(stderr, "gemm_ref: dnnl_sgemm failed at n=%d\n", n);
    std::exit(1);
  }
}

/// Largest relative error of a sample of C against double-precision dots.
double sampleError(int n, const std::vector<float> &a,
                   const std::vector<float> &b, const std::vector<float> &c) {
  double worst = 0;
  std::mt19937 rng(7);
  for (int s = 0; s < 64; ++s) {
    int i = rng() % n, j = rng() % n;
    double dot = 0, mag = 0;
    for (int k = 0; k < n; ++k) {
      dot += (double)a[(size_t)i * n + k] * b[(size_t)k * n + j];
      mag += std::fabs((double)a[(size_t)i * n + k] * b[(size_t)k * n + j]);
    }
    worst = std::max(worst, std::fabs(c[(size_t)i * n + j] - dot) / mag);
  }
  return worst;
}

double gemmGflops(Gemm gemm, int n) {
  std::vector<float> a((size_t)n * n), b((size_t)n * n), c((size_t)n * n);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (float &x : a)
    x = dist(rng);
  for (float &x : b)
    x = dist(rng);
  gemm(n, a.data(), b.data(), c.data());
  double err = sampleError(n, a, b, c);
  if (err > 1e-4) {
    std::fprintf(stderr, "gemm_ref: wrong result at n=%d (rel err %.3g)\n", n,
                 err);
    std::exit(1);
  }
  double flop = 2.0 * n * n * n;
  // Enough calls for ~0.5 s, at least 5, after two warm-ups.
  gemm(n, a.data(), b.data(), c.data());
  double t0 = seconds();
  gemm(n, a.data(), b.data(), c.data());
  double once = seconds() - t0;
  int reps = std::clamp((int)(0.5 / std::max(once, 1e-6)), 5, 1000);
  std::vector<double> times;
  for (int r = 0; r < reps; ++r) {
    double start = seconds();
    gemm(n, a.data(), b.data(), c.data());
    times.push_back(seconds() - start);
  }
  std::sort(times.begin(), times.end());
  return flop / times[times.size() / 2] / 1e9;
}

int usage() {
  std::fprintf(stderr, "usage: gemm_ref peak\n"
                       "       gemm_ref openblas|onednn THREADS N...\n");
  return 2;
}

} // namespace

int main(int argc, char **argv) {
  if (argc == 2 && !std::strcmp(argv[1], "peak")) {
    std::printf("peak threads=1 isa=%s gflops=%.1f\n", isa, peakGflops());
    return 0;
  }
  if (argc < 4)
    return usage();
  std::string lib = argv[1];
  int threads = std::atoi(argv[2]);
  Gemm gemm = lib == "openblas" ? openblasGemm
              : lib == "onednn" ? onednnGemm
                                : nullptr;
  if (!gemm || threads < 1)
    return usage();
  openblas_set_num_threads(threads);
  omp_set_num_threads(threads); // oneDNN's Debian build threads with OpenMP
  for (int i = 3; i < argc; ++i) {
    int n = std::atoi(argv[i]);
    if (n < 1)
      return usage();
    std::printf("gemm_ref lib=%s M=%d N=%d K=%d threads=%d gflops=%.1f\n",
                lib.c_str(), n, n, n, threads, gemmGflops(gemm, n));
    std::fflush(stdout);
  }
  return 0;
}
