// Package ops provides penalty terms R(w) on tensors and the Gorgonia op
// that puts λ·R(w) into a graph.
//
// A term is a value with exported settings, such as L1{} or
// GroupLasso{Axis: 1}. Every term computes its value and adds its
// gradient into a tensor (Term). Terms with a closed-form proximal
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
// Group lasso over the rows of a weight and a spectral norm bound join an
// existing loss the same way, each with its own coefficient node (see
// ExamplePenalty):
//
//	group, err := ops.Penalty(w, groupCoef, ops.GroupLasso{Axis: 1})
//	spectral, err := ops.Penalty(w, spectralCoef, &ops.SpectralNorm{Iters: 2})
//
// Projections onto convex sets (ProjectNonNegative, ProjectBox,
// ProjectMaxNorm, ProjectL1Ball) are also available as Constraint terms,
// which act only through the proximal step.
//
// Limitations: terms read *tensor.Dense values that are contiguous, so
// views must be materialized first. Penalty runs on the CPU only. The L1 value
// and gradient on float32 use AVX2 on amd64 processors that have it and
// plain Go elsewhere.
package ops
