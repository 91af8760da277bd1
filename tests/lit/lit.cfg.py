# -*- Python -*-
#
# lit configuration of kiln's FileCheck tests. It is loaded through the
# lit.site.cfg.py that CMake writes into the build tree, which says where
# that build's tools are (config.kiln_tools_dir) and where LLVM's test tools
# are (config.llvm_tools_dir).

import os
import sys

import lit.formats
from lit.llvm import llvm_config  # set up by lit.site.cfg.py

config.name = "kiln"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py",
                   "lit.site.cfg.py.in", "Inputs"]

config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.kiln_obj_root, "tests", "lit")

# Tests name tools bare: kiln-opt, kilnc, kiln-run, kiln-bench, kiln-train from this
# build, then FileCheck, not and count from LLVM (both prepended, in this
# order).
llvm_config.with_environment(
    "PATH", [config.kiln_tools_dir, config.llvm_tools_dir], append_path=True)

# Helper scripts (Inputs/*.py) run on the Python that runs lit.
config.substitutions.append(("%python", sys.executable))

# A missing tool would otherwise show up as every test failing with
# "command not found"; say what to build instead.
for tool in ["kiln-opt", "kilnc", "kiln-run", "kiln-bench", "kiln-train"]:
    if not os.path.exists(os.path.join(config.kiln_tools_dir, tool)):
        lit_config.fatal("%s is not built in %s (ninja %s)"
                         % (tool, config.kiln_tools_dir, tool))
for tool in ["FileCheck", "not", "count"]:
    if not os.path.exists(os.path.join(config.llvm_tools_dir, tool)):
        lit_config.fatal("%s is not in %s" % (tool, config.llvm_tools_dir))
