/*===- TestKernels.c - Kernels for the runtime tests --------------*- C -*-===*
 *
 * Stand-ins for compiled kiln kernels, built into a shared object whose
 * bytes the tests embed in hand-made artifacts. Each takes `void **args`
 * like real kernels. KILN_TEST_SCALE lets a second copy of the library
 * differ in one constant, to tell two loaded models' code apart.
 *
 *===----------------------------------------------------------------------===*/
#ifndef KILN_TEST_SCALE
#define KILN_TEST_SCALE 2.0f
#endif

/* args: a, b (float[4]), out (float[4]): out = a + b */
void add_f32_4(void **args) {
  const float *a = (const float *)args[0];
  const float *b = (const float *)args[1];
  float *out = (float *)args[2];
  for (int i = 0; i < 4; ++i)
    out[i] = a[i] + b[i];
}

/* args: in (float[4]), out (float[4]): out = KILN_TEST_SCALE * in */
void scale_f32_4(void **args) {
  const float *in = (const float *)args[0];
  float *out = (float *)args[1];
  for (int i = 0; i < 4; ++i)
    out[i] = KILN_TEST_SCALE * in[i];
}
