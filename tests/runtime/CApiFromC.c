/*===- CApiFromC.c - The runtime used from plain C99 --------------*- C -*-===*
 *
 * Built with -std=c99 -pedantic-errors, so kiln_runtime.h stays valid C for
 * the standalone binaries and C users it is for; the C++ test calls in here
 * to see that the API works end to end from C as well.
 *
 *===----------------------------------------------------------------------===*/
#include "kiln_runtime.h"

#include <stdio.h>

/* Loads the reference model from `bytes`, checks its interface, runs it on
 * two threads on a = {1, 2, 3, 4}, b = {5, 6, 7, 8} and stores y and z. Returns 0, or the
 * number of the check that failed with a message in `error`. */
int kiln_test_run_from_c(const void *bytes, size_t size, float y[4],
                         float z[4], char *error, size_t error_size) {
  kiln_model *model = NULL;
  kiln_tensor_info info;
  float a[4] = {1, 2, 3, 4};
  float b[4] = {5, 6, 7, 8};
  const void *inputs[2];
  void *outputs[2];
  int failed = 0;

  if (kiln_model_load_bytes(bytes, size, &model, error, error_size) !=
      KILN_OK)
    return 1;
  inputs[0] = a;
  inputs[1] = b;
  outputs[0] = y;
  outputs[1] = z;
  if (kiln_model_num_inputs(model) != 2 || kiln_model_num_outputs(model) != 2)
    failed = 2;
  else if (kiln_model_input_info(model, 1, &info) != KILN_OK ||
           info.rank != 2 || info.byte_size != 16 || info.dtype != KILN_F32)
    failed = 3;
  else if (kiln_model_set_num_threads(model, 2, error, error_size) !=
               KILN_OK ||
           kiln_model_num_threads(model) != 2)
    failed = 5;
  else if (kiln_model_run(model, inputs, outputs, error, error_size) !=
           KILN_OK)
    failed = 4;
  if (failed == 2 || failed == 3)
    snprintf(error, error_size, "unexpected interface of '%s'",
             kiln_model_name(model));
  kiln_model_free(model);
  return failed;
}
