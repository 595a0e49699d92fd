// Package solvers wraps any gorgonia.Solver so that a model gains
// scheduled regularization and pruning without a new training loop.
//
// The wrapper, built by Wrap, runs the inner solver and around it applies
// proximal steps with threshold η·λ(t), keeps pruning masks, advances the
// coefficients of a graphs.Regularizer, and records metrics. See
// (*Solver).Step for the order of one step.
package solvers
