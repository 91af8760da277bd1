/*===- fashion_mlp_main.c - Calling a model compiled with --emit=lib --*- C -*-===
 *
 * A plain C program using the Fashion-MNIST classifier through nothing but
 * the header and library kilnc wrote:
 *
 *   kilnc --model=fashion_mlp --batch=1 --emit=lib -o libfashion_mlp.a
 *   cc -std=c99 fashion_mlp_main.c -I. libfashion_mlp.a \
 *      -lstdc++ -ldl -lpthread -lm -o fashion_mlp_main
 *
 * The weights are kilnc's seeded ones, so the class means nothing; what it
 * shows is that the call works and that the probabilities sum to 1.
 *
 *===----------------------------------------------------------------------===*/
#include "fashion_mlp.h"

#include <stdio.h>

int main(void) {
  /* Element alignment is all the call needs (64 bytes would be faster;
   * C99 has no way to ask for it). */
  static float image[FASHION_MLP_IMAGE_ELEMENTS];
  static float probs[FASHION_MLP_PROBS_ELEMENTS];
  /* A fixed pattern of pixel values in [0, 1], like a normalized image. */
  for (int i = 0; i < FASHION_MLP_IMAGE_ELEMENTS; ++i)
    image[i] = (float)((i * 37) % 256) / 255.0f;

  if (fashion_mlp_run(image, probs) != 0) {
    fprintf(stderr, "fashion_mlp_run: %s\n", fashion_mlp_last_error());
    return 1;
  }
  int best = 0;
  double sum = 0;
  for (int i = 0; i < FASHION_MLP_PROBS_ELEMENTS; ++i) {
    sum += probs[i];
    if (probs[i] > probs[best])
      best = i;
  }
  printf("class %d (p=%.4f), probabilities sum to %.4f\n", best,
         (double)probs[best], sum);
  return sum > 0.999 && sum < 1.001 ? 0 : 1;
}
