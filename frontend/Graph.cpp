//===- Graph.cpp - Graphs and tensor handles of the kiln DSL --------------===//
//
// A Graph only records nodes; every op function has checked its node's shape
// before it gets here. What is checked here is what no single op can see:
// names (inputs, outputs, parameters) that must be unique or consistent, and
// handles that point outside their graph.
//
//===----------------------------------------------------------------------===//
#include "kiln/frontend/kiln.h"
#include "kiln/ir/ParamInit.h"

namespace kiln {

static const Node &nodeOf(const Graph *graph, int id) {
  if (!graph)
    throw ShapeError("kiln: use of an empty Tensor (default-constructed, "
                     "not made by a Graph)");
  if (id < 0 || id >= (int)graph->nodes().size())
    throw ShapeError("kiln: tensor %" + std::to_string(id) +
                     " does not belong to graph '" + graph->name() + "'");
  return graph->nodes()[id];
}

const Shape &Tensor::shape() const { return nodeOf(graph_, id_).shape; }

DType Tensor::dtype() const { return nodeOf(graph_, id_).dtype; }

int64_t Tensor::dim(int64_t i) const {
  const Shape &s = shape();
  int64_t r = (int64_t)s.size();
  if (i < -r || i >= r)
    throw ShapeError("kiln: dim " + std::to_string(i) +
                     " is out of range for shape " + toString(s));
  return s[i < 0 ? i + r : i];
}

static void checkStaticShape(const std::string &what, const Shape &shape) {
  if (numElements(shape) < 0)
    throw ShapeError("kiln: " + what + " has a negative dim or too many "
                     "elements in " + toString(shape));
}

Tensor Graph::input(const std::string &name, Shape shape, DType dtype) {
  for (const auto &[n, id] : inputs_)
    if (n == name)
      throw ShapeError("kiln: graph '" + name_ + "' already has an input '" +
                       name + "'");
  checkStaticShape("input '" + name + "'", shape);
  Node node;
  node.op = "input"; // becomes a function argument, not an op
  node.shape = std::move(shape);
  node.dtype = dtype;
  Tensor t = add(std::move(node));
  inputs_.emplace_back(name, t.id());
  return t;
}

Tensor Graph::param(const std::string &name, Shape shape,
                    const std::string &init) {
  if (name.empty())
    throw ShapeError("kiln.param: needs a non-empty name");
  // Checked here too, so that the error points at the DSL.
  if (!isKnownInit(init))
    throw ShapeError("kiln.param: '" + name + "' has init \"" + init +
                     "\"; expected one of " + kKnownInits);
  checkStaticShape("parameter '" + name + "'", shape);
  // Asking twice for one name shares the weight, as long as the two uses
  // agree on what the weight is.
  for (int id = 0; id < (int)nodes_.size(); ++id) {
    const Node &n = nodes_[id];
    if (n.op != "param" || std::get<std::string>(n.attrs.at("name")) != name)
      continue;
    if (n.shape != shape || std::get<std::string>(n.attrs.at("init")) != init)
      throw ShapeError("kiln.param: '" + name + "' is already " +
                       toString(n.shape) + " (init " +
                       std::get<std::string>(n.attrs.at("init")) +
                       "), now asked for as " + toString(shape) + " (init " +
                       init + ")");
    return Tensor(this, id);
  }
  Node node;
  node.op = "param";
  node.attrs["name"] = name;
  node.attrs["init"] = init;
  node.shape = std::move(shape);
  node.dtype = DType::F32;
  return add(std::move(node));
}

Tensor Graph::constant(float value) { return constant({value}, {}); }

Tensor Graph::constant(std::vector<float> values, Shape shape) {
  checkStaticShape("constant", shape);
  if ((int64_t)values.size() != numElements(shape))
    throw ShapeError("kiln.constant: " + std::to_string(values.size()) +
                     " values for shape " + toString(shape) + " (" +
                     std::to_string(numElements(shape)) + " elements)");
  Node node;
  node.op = "constant";
  node.shape = std::move(shape);
  node.dtype = DType::F32;
  node.constant = std::move(values);
  return add(std::move(node));
}

void Graph::output(const std::string &name, Tensor t) {
  t.shape(); // rejects an empty handle before graph() dereferences it
  if (&t.graph() != this)
    throw ShapeError("kiln: output '" + name + "' of graph '" + name_ +
                     "' is a tensor of graph '" + t.graph().name() + "'");
  for (const auto &[n, id] : outputs_)
    if (n == name)
      throw ShapeError("kiln: graph '" + name_ + "' already has an output '" +
                       name + "'");
  outputs_.emplace_back(name, t.id());
}

std::string Graph::uniqueName(const std::string &kind) {
  return kind + std::to_string(counters_[kind]++);
}

Tensor Graph::add(Node node) {
  int id = (int)nodes_.size();
  // Operands must come first, so the node list is already in program order.
  for (int in : node.inputs)
    if (in < 0 || in >= id)
      throw ShapeError("kiln." + node.op + ": operand %" + std::to_string(in) +
                       " is not an earlier node of graph '" + name_ + "'");
  if (node.scope.empty())
    node.scope = scope();
  nodes_.push_back(std::move(node));
  return Tensor(this, id);
}

} // namespace kiln
