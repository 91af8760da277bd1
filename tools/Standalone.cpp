//===- Standalone.cpp - Programs and libraries that embed an artifact -----===//
//
// The artifact is embedded as data (an .incbin, assembled by the C++
// compiler this kilnc was built with) and linked with the runtime's archives
// from this build. Both outputs are byte-identical from run to run (no build
// id, no time stamps, fixed member names).
//
//===----------------------------------------------------------------------===//
#include "kiln/tools/Standalone.h"

#include "kiln/tools/ModelSource.h"
#include "tools/StandaloneConfig.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Object/Archive.h"
#include "llvm/Object/ArchiveWriter.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/raw_ostream.h"

#include <set>

namespace kiln {

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// The intermediate files of one build, removed on every way out of
/// kilnc: by the destructor on return, by LLVM's handler on a signal. They
/// have random names, so nothing that reaches an output may depend on a
/// name: the embedded data's source has no .file directive, the wrapper is
/// compiled from standard input, and archive members are named by kilnc.
class TempFiles {
public:
  TempFiles() = default;
  TempFiles(const TempFiles &) = delete;
  TempFiles &operator=(const TempFiles &) = delete;
  ~TempFiles() {
    for (const std::string &p : paths_) {
      llvm::sys::fs::remove(p);
      llvm::sys::DontRemoveFileOnSignal(p);
    }
  }
  /// A new empty file in the system's temporary directory.
  llvm::Expected<std::string> create(llvm::StringRef suffix) {
    llvm::SmallString<128> path;
    if (std::error_code ec =
            llvm::sys::fs::createTemporaryFile("kilnc", suffix, path))
      return makeError("cannot create a temporary file: " + ec.message());
    llvm::sys::RemoveFileOnSignal(path);
    paths_.push_back(std::string(path));
    return paths_.back();
  }

private:
  std::vector<std::string> paths_;
};

/// Runs `program` with `args` (and `input` as its standard input, if
/// given); its diagnostics go straight to our stderr.
llvm::Error runTool(llvm::StringRef program, llvm::ArrayRef<std::string> args,
                    std::optional<llvm::StringRef> input = std::nullopt) {
  if (!llvm::sys::fs::can_execute(program))
    return makeError("cannot run '" + program +
                     "', the C++ compiler kilnc was built with; --emit=exe "
                     "and --emit=lib need it to assemble and link");
  std::vector<llvm::StringRef> argv{program};
  std::string line = program.str();
  for (const std::string &a : args) {
    argv.push_back(a);
    line += " " + a;
  }
  std::string message;
  if (input)
    line += " < " + input->str();
  std::optional<llvm::StringRef> redirects[] = {input, std::nullopt,
                                                std::nullopt};
  int rc = llvm::sys::ExecuteAndWait(program, argv, std::nullopt, redirects, 0,
                                     0, &message);
  if (rc == 0)
    return llvm::Error::success();
  return makeError("'" + line + "' failed: " +
                   (rc < 0 ? message : "exit status " + std::to_string(rc)));
}

llvm::Error writeFile(const std::string &path, llvm::StringRef bytes) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (!ec) {
    os << bytes;
    os.close();
    ec = os.error();
  }
  if (ec)
    return makeError("cannot write '" + path + "': " + ec.message());
  return llvm::Error::success();
}

/// An object file defining `symbol` (64-byte aligned, read-only) as
/// `bytes`, and `symbol`_end just past them. `.incbin` keeps the bytes
/// exact and costs nothing however large the weights are; the source has no
/// .file directive, so the object names no path.
llvm::Expected<std::string> embedBytes(TempFiles &tmp, llvm::StringRef bytes,
                                       llvm::StringRef symbol, bool hidden) {
  std::string data, source, object;
  for (auto [path, suffix] :
       {std::pair{&data, "kmod"}, {&source, "s"}, {&object, "o"}}) {
    auto created = tmp.create(suffix);
    if (!created)
      return created.takeError();
    *path = std::move(*created);
  }
  if (auto err = writeFile(data, bytes))
    return err;
  std::string quoted;
  for (char c : data) {
    if (c == '"' || c == '\\')
      quoted += '\\';
    quoted += c;
  }
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "\t.section .rodata\n\t.balign 64\n";
  for (llvm::StringRef sym : {symbol.str(), symbol.str() + "_end"}) {
    os << "\t.globl " << sym << "\n";
    if (hidden)
      os << "\t.hidden " << sym << "\n";
  }
  os << "\t.type " << symbol << ", @object\n"
     << "\t.size " << symbol << ", " << bytes.size() << "\n"
     << symbol << ":\n\t.incbin \"" << quoted << "\"\n"
     << symbol << "_end:\n"
     << "\t.section .note.GNU-stack,\"\",@progbits\n";
  if (auto err = writeFile(source, s))
    return err;
  if (auto err = runTool(KILN_CXX_COMPILER,
                         {"-c", "-x", "assembler", source, "-o", object}))
    return err;
  return object;
}

/// A file beside `output` (same file system, so the rename is atomic) that
/// a tool can write; removed on a signal.
llvm::Expected<std::string> tempBeside(const std::string &output) {
  llvm::SmallString<128> path;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueFile(output + ".tmp-%%%%%%", path))
    return makeError("cannot write '" + output + "': " + ec.message());
  llvm::sys::RemoveFileOnSignal(path);
  return std::string(path);
}

} // namespace

llvm::Error emitExe(const std::string &kmod, const std::string &output) {
  TempFiles tmp;
  auto object = embedBytes(tmp, kmod, "kiln_embedded_kmod", false);
  if (!object)
    return object.takeError();
  auto linked = tempBeside(output);
  if (!linked)
    return linked.takeError();
  // --as-needed drops libraries nothing uses (glibc's empty libdl and
  // libpthread); no build id keeps two links of the same inputs identical;
  // --gc-sections and -s keep only the code and data the program uses.
  llvm::Error err = runTool(
      KILN_CXX_COMPILER,
      {"-o", *linked, *object, KILN_STANDALONE_MAIN_ARCHIVE,
       KILN_TOOL_SUPPORT_ARCHIVE, KILN_RUNTIME_ARCHIVE, KILN_BASE_ARCHIVE,
       KILN_ZLIB_ARCHIVE,
       "-Wl,--as-needed", "-ldl", "-lpthread", "-lm", "-Wl,--build-id=none",
       "-Wl,--gc-sections", "-s"});
  if (!err)
    if (std::error_code ec = llvm::sys::fs::rename(*linked, output))
      err = makeError("cannot write '" + output + "': " + ec.message());
  if (err)
    llvm::sys::fs::remove(*linked);
  llvm::sys::DontRemoveFileOnSignal(*linked);
  return err;
}

namespace {

/// `name` as a C identifier not in `taken` (compared ignoring case, since
/// it also names an upper-case macro), then added to it.
std::string cIdentifier(llvm::StringRef name, std::set<std::string> &taken) {
  static const std::set<std::string> keywords = {
      "auto",     "bool",    "break",  "case",     "char",     "const",
      "continue", "default", "do",     "double",   "else",     "enum",
      "extern",   "false",   "float",  "for",      "goto",     "if",
      "inline",   "int",     "long",   "register", "restrict", "return",
      "short",    "signed",  "sizeof", "static",   "struct",   "switch",
      "true",     "typedef", "union",  "unsigned", "void",     "volatile",
      "while"};
  std::string id;
  for (char c : name)
    id += llvm::isAlnum(c) ? c : '_';
  if (id.empty() || llvm::isDigit(id[0]) || id[0] == '_')
    id = "t" + id; // leading '_' + capital is reserved in C
  if (keywords.count(id))
    id += "_";
  std::string unique = id;
  for (int n = 2; taken.count(llvm::StringRef(unique).lower()); ++n)
    unique = id + "_" + std::to_string(n);
  taken.insert(llvm::StringRef(unique).lower());
  return unique;
}

const char *cType(DType t) {
  switch (t) {
  case DType::F32:
    return "float";
  case DType::I32:
    return "int32_t";
  case DType::I8:
    return "int8_t";
  case DType::F16:
  case DType::BF16:
    return "uint16_t"; // raw bits: C99 has no half types
  }
  return "void";
}

struct CParam {
  const TensorSpec *spec;
  std::string id;
  bool input;
};

/// The typed entry point's declaration, shared by the header and wrapper.
std::string cDeclaration(const std::string &prefix,
                         const std::vector<CParam> &params) {
  std::string d = "int " + prefix + "_run(";
  for (size_t i = 0; i < params.size(); ++i)
    d += std::string(i ? ", " : "") + (params[i].input ? "const " : "") +
         cType(params[i].spec->dtype) + " *" + params[i].id;
  return d + (params.empty() ? "void)" : ")");
}

std::string header(const std::string &headerFile, const std::string &guard,
                   const std::string &prefix, const std::string &libFile,
                   const std::string &model,
                   const std::vector<CParam> &params) {
  std::string s;
  llvm::raw_string_ostream os(s);
  std::string upper = llvm::StringRef(prefix).upper();
  os << "/* " << headerFile << " - model '" << model << "', compiled by kilnc\n"
     << " *\n"
     << " * Generated by `kilnc --emit=lib` with " << libFile
     << ", which holds\n"
     << " * the model's code, its weights and the kiln runtime; do not edit.\n"
     << " * Link with\n"
     << " *   cc app.c " << libFile << " -lstdc++ -ldl -lpthread -lm\n"
     << " * (position-dependent or PIE executables; not shared libraries).\n"
     << " *\n"
     << " * " << prefix << "_run() runs the model once:\n";
  size_t width = 0;
  for (const CParam &p : params)
    width = std::max(width, p.id.size());
  for (const CParam &p : params)
    os << " *   " << p.id << std::string(width - p.id.size(), ' ')
       << (p.input ? "  in   " : "  out  ") << "'" << p.spec->name << "' "
       << dtypeName(p.spec->dtype) << " " << toString(p.spec->shape) << "\n";
  os << " * Buffers are row-major, " << upper << "_<NAME>_ELEMENTS elements\n"
     << " * long, aligned at least to their element size (64 bytes runs "
        "best);\n"
     << " * f16 and bf16 are passed as their raw 16 bits. It returns 0 on\n"
     << " * success, else a kiln_status code, and " << prefix
     << "_last_error()\n"
     << " * gives this thread's message of the last call (\"\" after a "
        "success).\n"
     << " * The model loads on the first call; calls from several threads "
        "are\n * safe and run one at a time.\n */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include <stdint.h>\n\n";
  for (const CParam &p : params)
    os << "#define " << upper << "_" << llvm::StringRef(p.id).upper()
       << "_ELEMENTS " << numElements(p.spec->shape) << "\n";
  os << "\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << cDeclaration(prefix, params) << ";\n"
     << "const char *" << prefix << "_last_error(void);\n\n"
     << "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << guard << " */\n";
  return s;
}

std::string wrapper(const std::string &prefix, const std::string &symbol,
                    const std::vector<CParam> &params) {
  std::string in, out;
  for (const CParam &p : params)
    (p.input ? in : out) += (p.input ? in : out).empty() ? p.id : ", " + p.id;
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "// " << prefix
     << "_run.cpp - generated by kilnc --emit=lib: the typed entry point\n"
     << "// over the kiln runtime's C API and the embedded artifact.\n"
     << "#include \"kiln_runtime.h\"\n\n#include <cstdint>\n#include "
        "<cstdio>\n#include <mutex>\n\n"
     << "extern \"C\" const unsigned char " << symbol << "[], " << symbol
     << "_end[];\n\nnamespace {\n\n"
     << "// Loaded once, on first use, thread-safely (a function-local "
        "static),\n// in place: the artifact is part of this library.\n"
     << "// a failed load is kept and reported by every call.\n"
     << "struct Loaded {\n  kiln_model *model = nullptr;\n"
     << "  kiln_status status = KILN_OK;\n  char error[512] = \"\";\n"
     << "  Loaded() {\n    status = kiln_model_load_borrowed(" << symbol
     << ", " << symbol << "_end - " << symbol
     << ",\n                                      &model, error, sizeof "
        "error);\n"
     << "  }\n};\n\n"
     << "// kiln_model_run is not re-entrant on one model.\n"
     << "std::mutex runMutex;\nthread_local char lastError[512];\n\n"
     << "} // namespace\n\n"
     << "extern \"C\" " << cDeclaration(prefix, params) << " {\n"
     << "  static Loaded loaded;\n  if (!loaded.model) {\n"
     << "    std::snprintf(lastError, sizeof lastError, \"%s\", "
        "loaded.error);\n"
     << "    return loaded.status;\n  }\n"
     << "  const void *const *inputs = nullptr;\n"
     << "  void *const *outputs = nullptr;\n";
  // Zero-length arrays are not C++; a model without inputs passes NULL.
  if (!in.empty())
    os << "  const void *in[] = {" << in << "};\n  inputs = in;\n";
  if (!out.empty())
    os << "  void *out[] = {" << out << "};\n  outputs = out;\n";
  os << "  std::lock_guard<std::mutex> lock(runMutex);\n"
     << "  return kiln_model_run(loaded.model, inputs, outputs, lastError,\n"
     << "                        sizeof lastError);\n}\n\n"
     << "extern \"C\" const char *" << prefix
     << "_last_error(void) { return lastError; }\n";
  return s;
}

} // namespace

/// libNAME.a with NAME_run, the embedded artifact and the runtime's own
/// objects (so that one archive is all a C program links), and NAME.h.
llvm::Error emitLib(const std::string &kmod, const ModelSignature &sig,
                    const std::string &modelName, const std::string &output) {
  llvm::StringRef file = llvm::sys::path::filename(output);
  if (!file.ends_with(".a") || file.size() <= 2)
    return makeError("--emit=lib writes a static library: -o libNAME.a, "
                     "not '" +
                     output + "'");
  llvm::StringRef stem = file.drop_back(2);
  if (stem.starts_with("lib") && stem.size() > 3)
    stem = stem.drop_front(3);
  std::set<std::string> taken;
  std::string prefix = cIdentifier(stem, taken);
  std::vector<CParam> params;
  for (const TensorSpec &t : sig.inputs)
    params.push_back({&t, cIdentifier(t.name, taken), true});
  for (const TensorSpec &t : sig.outputs)
    params.push_back({&t, cIdentifier(t.name, taken), false});

  TempFiles tmp;
  std::string symbol = "kiln_embedded_kmod_" + prefix;
  auto embedded = embedBytes(tmp, kmod, symbol, /*hidden=*/true);
  if (!embedded)
    return embedded.takeError();
  auto source = tmp.create("cpp");
  if (!source)
    return source.takeError();
  auto object = tmp.create("o");
  if (!object)
    return object.takeError();
  if (auto err = writeFile(*source, wrapper(prefix, symbol, params)))
    return err;
  // From standard input, so that the object's file symbol is "<stdin>"
  // rather than the random temporary name. -fPIE as the runtime's own
  // objects are (Debian's compilers default to it), so that the archive
  // links into the same executables they do.
  if (auto err =
          runTool(KILN_CXX_COMPILER,
                  {"-std=c++17", "-O2", "-fPIE", "-I", KILN_RUNTIME_INCLUDE_DIR,
                   "-x", "c++", "-c", "-", "-o", *object},
                  llvm::StringRef(*source)))
    return err;

  auto runtime = llvm::MemoryBuffer::getFile(KILN_RUNTIME_ARCHIVE);
  if (!runtime)
    return makeError(llvm::Twine("cannot read the runtime library ") +
                     KILN_RUNTIME_ARCHIVE + ": " +
                     runtime.getError().message());
  auto archive = llvm::object::Archive::create((*runtime)->getMemBufferRef());
  if (!archive)
    return archive.takeError();
  std::vector<llvm::NewArchiveMember> members;
  std::string names[] = {prefix + "_run.o", symbol + ".o"};
  std::string paths[] = {*object, *embedded};
  for (int i = 0; i < 2; ++i) {
    auto member =
        llvm::NewArchiveMember::getFile(paths[i], /*Deterministic=*/true);
    if (!member)
      return member.takeError();
    member->MemberName = names[i];
    members.push_back(std::move(*member));
  }
  llvm::Error childErr = llvm::Error::success();
  for (const llvm::object::Archive::Child &child :
       (*archive)->children(childErr)) {
    auto member = llvm::NewArchiveMember::getOldMember(child, true);
    if (!member) {
      llvm::consumeError(std::move(childErr));
      return member.takeError();
    }
    members.push_back(std::move(*member));
  }
  if (childErr)
    return childErr;
  auto bytes = llvm::writeArchiveToBuffer(
      members, llvm::SymtabWritingMode::NormalSymtab,
      llvm::object::Archive::K_GNU, /*Deterministic=*/true, /*Thin=*/false);
  if (!bytes)
    return bytes.takeError();

  std::string headerFile = (stem + ".h").str();
  llvm::SmallString<128> headerPath = llvm::sys::path::parent_path(output);
  llvm::sys::path::append(headerPath, headerFile);
  std::string guard = llvm::StringRef(prefix).upper() + "_H";
  std::string error;
  if (!writeFileAtomically(output, (*bytes)->getBuffer().str(), error) ||
      !writeFileAtomically(
          std::string(headerPath),
          header(headerFile, guard, prefix, file.str(), modelName, params),
          error))
    return makeError(error);
  return llvm::Error::success();
}

} // namespace kiln
