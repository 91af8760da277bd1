/*===- kiln_runtime.h - C API of the kiln runtime -------------------*- C -*-===
 *
 * Loads a compiled kiln model (.kmod), verifies it, and runs it on caller
 * buffers. Valid C99; every call reports failure as a status with a message
 * in a caller-provided buffer and never throws or aborts. The runtime links
 * nothing of LLVM or MLIR.
 *
 *   char err[256];
 *   kiln_model *m;
 *   if (kiln_model_load_file("fashion_mlp.kmod", &m, err, sizeof err))
 *     { fprintf(stderr, "%s\n", err); return 1; }
 *   const void *in[] = {image};  void *out[] = {probs};
 *   kiln_model_run(m, in, out, err, sizeof err);
 *   kiln_model_free(m);
 *
 *===----------------------------------------------------------------------===*/
#ifndef KILN_RUNTIME_H
#define KILN_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kiln_status {
  KILN_OK = 0,
  KILN_ERROR_IO = 1,       /* a file could not be read */
  KILN_ERROR_FORMAT = 2,   /* not a valid .kmod (truncated, corrupt, version) */
  KILN_ERROR_ARGUMENT = 3, /* a bad argument (null pointer, index) */
  KILN_ERROR_PLATFORM = 4  /* the host cannot run it (CPU, loader) */
} kiln_status;

typedef enum kiln_dtype {
  KILN_F32 = 0,
  KILN_F16 = 1,
  KILN_BF16 = 2,
  KILN_I8 = 3,
  KILN_I32 = 4
} kiln_dtype;

typedef struct kiln_model kiln_model;

/* One tensor of a model's interface. Pointers stay valid while the model
 * lives. */
typedef struct kiln_tensor_info {
  const char *name;
  kiln_dtype dtype;
  size_t rank;
  const int64_t *shape; /* `rank` dimensions; may be NULL when rank is 0 */
  size_t byte_size;
  /* An integer input used as ids into a table: valid ids are
   * [0, index_range); 0 when it indexes nothing. */
  int64_t index_range;
} kiln_tensor_info;

/* Loads and verifies a model. On failure *model is NULL and `error` (of
 * `error_size` bytes; 0 allowed, and then `error` may be NULL) holds a
 * message, truncated to fit and always NUL-terminated; on success it holds
 * "". A model whose code cannot run on this host (another target, CPU
 * extensions this host lacks, which the message names, or code the system
 * loader refuses) is KILN_ERROR_PLATFORM. */
kiln_status kiln_model_load_file(const char *path, kiln_model **model,
                                 char *error, size_t error_size);
/* The same from memory; the bytes are copied. */
kiln_status kiln_model_load_bytes(const void *data, size_t size,
                                  kiln_model **model, char *error,
                                  size_t error_size);
/* The same without a copy, for an artifact linked into the program: the
 * bytes are read in place (weights included), so they must stay unchanged
 * at `data` until kiln_model_free. `data` must be 64-byte aligned
 * (KILN_ERROR_ARGUMENT otherwise). */
kiln_status kiln_model_load_borrowed(const void *data, size_t size,
                                     kiln_model **model, char *error,
                                     size_t error_size);
/* Frees the model and unloads its code; NULL is a no-op. */
void kiln_model_free(kiln_model *model);

/* For a NULL model: "" (name), 0 (counts, arena size) and
 * KILN_ERROR_ARGUMENT (infos, also for an index out of range or a NULL
 * info). */
const char *kiln_model_name(const kiln_model *model);
size_t kiln_model_num_inputs(const kiln_model *model);
size_t kiln_model_num_outputs(const kiln_model *model);
kiln_status kiln_model_input_info(const kiln_model *model, size_t index,
                                  kiln_tensor_info *info);
kiln_status kiln_model_output_info(const kiln_model *model, size_t index,
                                   kiln_tensor_info *info);
/* Bytes of scratch memory one run uses. */
size_t kiln_model_arena_size(const kiln_model *model);

/* Sets how many threads later runs use: each step's kernel is split into
 * up to that many workgroups (as many as its work is worth), the first run
 * on the caller's thread and the others on the model's own worker threads,
 * which are started here (never during a run) and sleep between runs.
 * 0 means the default: the CPUs this process may run on. Results are
 * bitwise the same for every count. KILN_ERROR_ARGUMENT for a NULL model or
 * more than 1024 threads; KILN_ERROR_PLATFORM when a thread cannot be
 * started (the model then runs on the caller's thread alone). Not while the
 * model runs. */
kiln_status kiln_model_set_num_threads(kiln_model *model, size_t threads,
                                       char *error, size_t error_size);
/* The number of threads set (or the default); 0 for a NULL model. */
size_t kiln_model_num_threads(const kiln_model *model);

/* Runs the model: inputs[i] and outputs[i] point to row-major buffers of
 * the sizes the infos give, each aligned at least to its element size
 * (64 bytes is best for the kernels). Inputs are never written. An output
 * may not overlap an input or another output (no run in place). A NULL,
 * misaligned or overlapping buffer is KILN_ERROR_ARGUMENT, found before any
 * kernel runs.
 * Not re-entrant on one model; distinct models may run concurrently.
 * Kernels run with denormal floats flushed to zero (x86 FTZ and DAZ), as
 * XLA's and TensorFlow's do; the caller's floating-point mode is restored
 * before the call returns. */
kiln_status kiln_model_run(kiln_model *model, const void *const *inputs,
                           void *const *outputs, char *error,
                           size_t error_size);

/* The number of steps (kernel calls, in order) of a run; 0 for NULL. */
size_t kiln_model_num_steps(const kiln_model *model);

/* Runs like kiln_model_run and adds the wall time of step i, in seconds, to
 * step_seconds[i] for every step (kiln_model_num_steps of them), for
 * profiling. */
kiln_status kiln_model_run_profiled(kiln_model *model,
                                    const void *const *inputs,
                                    void *const *outputs,
                                    double *step_seconds, char *error,
                                    size_t error_size);

#ifdef __cplusplus
}
#endif

#endif /* KILN_RUNTIME_H */
