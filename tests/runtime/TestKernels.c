/*===- TestKernels.c - Kernels for the runtime tests --------------*- C -*-===*
 *
 * Stand-ins for compiled kiln kernels, built into a shared object whose
 * bytes the tests embed in hand-made artifacts. Each takes `void **args`
 * and a workgroup range like real kernels. KILN_TEST_SCALE lets a second copy of the library
 * differ in one constant, to tell two loaded models' code apart.
 *
 *===----------------------------------------------------------------------===*/
#include <stdint.h>

#ifndef KILN_TEST_SCALE
#define KILN_TEST_SCALE 2.0f
#endif

/* args: a, b (float[4]), out (float[4]): out = a + b. One workgroup. */
void add_f32_4(void **args, int64_t workgroup_id, int64_t workgroup_count) {
  const float *a = (const float *)args[0];
  const float *b = (const float *)args[1];
  float *out = (float *)args[2];
  (void)workgroup_id;
  (void)workgroup_count;
  for (int i = 0; i < 4; ++i)
    out[i] = a[i] + b[i];
}

/* args: in (float[4]), out (float[4]): out = KILN_TEST_SCALE * in. */
void scale_f32_4(void **args, int64_t workgroup_id, int64_t workgroup_count) {
  const float *in = (const float *)args[0];
  float *out = (float *)args[1];
  (void)workgroup_id;
  (void)workgroup_count;
  for (int i = 0; i < 4; ++i)
    out[i] = KILN_TEST_SCALE * in[i];
}

/* args: in (float[64]), out (float[64]), seen (int32[64]): workgroup `id`
 * of `count` computes out = KILN_TEST_SCALE * in + 1 on its chunk of
 * ceil(64 / count) elements, as compiled kernels split their work, and
 * adds `count` to seen[i] for each i of its chunk, so that a test sees
 * every element written exactly once and by which count. */
void split_scale_f32_64(void **args, int64_t workgroup_id,
                        int64_t workgroup_count) {
  const float *in = (const float *)args[0];
  float *out = (float *)args[1];
  int32_t *seen = (int32_t *)args[2];
  int64_t chunk = (64 + workgroup_count - 1) / workgroup_count;
  int64_t lo = workgroup_id * chunk, hi = lo + chunk;
  if (hi > 64)
    hi = 64;
  for (int64_t i = lo; i < hi; ++i) {
    out[i] = KILN_TEST_SCALE * in[i] + 1.0f;
    seen[i] += (int32_t)workgroup_count;
  }
}

/* args: seen (int32[64]): zeroes it, as the first step of a run. */
void zero_i32_64(void **args, int64_t workgroup_id, int64_t workgroup_count) {
  int32_t *seen = (int32_t *)args[0];
  (void)workgroup_id;
  (void)workgroup_count;
  for (int i = 0; i < 64; ++i)
    seen[i] = 0;
}
