// Package graphs attaches scheduled penalties to an existing Gorgonia
// graph, builds reference models and checks gradients numerically.
//
// A Regularizer owns one scalar coefficient node per penalty that acts
// through the gradient. Add registers λ(t)·R(w), and Augment returns the
// loss plus every such penalty. SetCoefficient writes a new λ into a
// coefficient node in place, so a compiled machine reads it on its next
// run:
//
//	reg := graphs.NewRegularizer(g)
//	err := reg.Add(w, ops.L2{}, sched)
//	cost, err := reg.Augment(loss)
//
// CheckGradient compares a graph's gradients with central differences,
// for use in unit tests. NewMLP builds fully connected networks with a
// softmax cross-entropy or mean squared error loss.
//
// Two measures of input sensitivity feed adaptive policies through
// solvers.Solver.Observe: a SensitivityProbe perturbs the input and
// measures how far the output moves, and MeasureInputGradient returns
// the norms of the cost's gradient with respect to the input:
//
//	probe, err := graphs.NewSensitivityProbe(m.Output, m.X, graphs.SensitivityConfig{})
//	s, err := probe.Measure()
//	solver.Observe("sensitivity", s.Mean)
//
// Limitations: a Regularizer is not safe for concurrent use, and
// CheckGradient costs two forward passes per checked element.
package graphs
