// Package ops provides penalty terms R(w) on tensors and the Gorgonia op
// that puts λ·R(w) into a graph.
//
// A term is a value with exported settings, such as L1{} or
// GroupLasso{Axis: 1}. Every term computes its value and adds its
// gradient into a tensor (Term); terms with a closed-form proximal
// operator also replace w by argmin_x ½‖x−w‖² + t·R(x) in place
// (ProxTerm), which is how sparsity-inducing terms make exact zeros.
//
// Penalty turns a term into a graph node coef·R(w), with coef a scalar
// input node, so changing coef's value changes the penalty's strength on
// the next run without rebuilding the graph:
//
//	coef := gorgonia.NewScalar(g, tensor.Float64, gorgonia.WithName("lambda"),
//		gorgonia.WithValue(1e-3))
//	pen, err := ops.Penalty(w, coef, ops.L1{})
//	cost, err := gorgonia.Add(loss, pen)
//
// Limitations: terms read *tensor.Dense values that are contiguous; views
// must be materialized first. Penalty runs on the CPU only.
package ops
