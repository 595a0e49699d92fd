// Package solvers wraps any gorgonia.Solver so that a model gains
// scheduled regularization and pruning without a new training loop.
//
// # The two-line change
//
// A Gorgonia training loop keeps its graph, its inner solver and its
// Let → RunAll → Step → Reset cycle. Penalty nodes join the loss through a
// graphs.Regularizer, and the solver is wrapped:
//
//	reg := graphs.NewRegularizer(g)
//	err := reg.Add(w1, ops.L1{}, lambda)          // λ(t)·‖w1‖₁
//	cost, err := reg.Augment(loss)                // line 1
//	gorgonia.Grad(cost, params...)
//	s, err := solvers.Wrap(gorgonia.NewAdamSolver(), // line 2
//		solvers.WithLearnRate(1e-3), solvers.WithRegularizer(reg),
//		solvers.WithPruning(w2, solvers.Magnitude{}, sparsity))
//	for ... { vm.RunAll(); s.Step(gorgonia.NodesToValueGrads(params)); vm.Reset() }
//
// The wrapper owns the learning rate η, so that the proximal threshold
// η·λ(t) and the inner step agree. Gorgonia keeps the rate private, but
// its WithLearnRate option can be applied to an existing solver, which
// keeps its moments, and the wrapper does that.
//
// # One step
//
// (*Solver).Step first checks every gradient and the parameter list. A
// NaN, ±Inf, wrong shape or type, or a parameter list that differs from
// the first one is an error that leaves weights, inner state and the step
// counter as they were. Step then reads what pruning scores need from the
// gradient, zeros the gradients of pruned weights and runs the inner
// solver. It applies each proximal term with threshold η(t)·λ(t),
// re-applies the masks and updates them at the steps the sparsity
// schedule sets. Last, it measures the signals, lets adaptive policies
// move, writes λ(t+1) into the coefficient nodes and records the
// metrics.
//
// This package's inner solvers zero the pruned weights inside their own
// pass. They are not given masked gradients: the moments of a pruned
// weight follow its gradient and are zeroed before each mask update, so
// a weight that comes back starts afresh. Until one comes back, the
// weights have the same bits as under Gorgonia's solver of the same kind,
// around which the wrapper makes separate passes. Without a Recorder or an adaptive policy, the weight metrics
// are measured when Metrics is called.
//
// # Pruning
//
// A sparsity schedule s(t) prunes exactly round(s·n) of a parameter's n
// units, rounded half away from zero. A unit is a weight (Unstructured)
// or a group (Rows, Columns, Filters, Channels, Blocks), and NM keeps N of
// every M weights along the input axis. Units of lowest
// score (Magnitude, Random, Movement, Taylor) are pruned first, ties going
// to the lower index. Selection is expected O(n) (SelectSmallest). Groups
// of parameters share a target uniformly, globally (with a floor that
// keeps every layer and output unit alive) or by ERK. SET and RigL
// regrowth drop and grow weights at a cosine-decayed fraction while the
// number of pruned weights stays the same.
//
// # Checkpoints
//
// Save and Load store the step counter, the random number generator, every
// mask and score, the state of adaptive policies and, when the inner
// solver is one of this package's (SGD, Momentum, Adam, AdamW), its
// moments, in a versioned format with a CRC-32 checksum. SaveFile replaces
// a file atomically. Gorgonia's own solvers keep their moments in
// unexported fields, so with one of them a resumed run restarts the
// moments from zero and is not bit-identical to an uninterrupted one.
// InnerCheckpointed reports which case applies, so that a command can warn.
// The model's weights are not part of the checkpoint.
//
// # Limitations
//
// The proximal step is exact proximal gradient descent only with plain
// SGD. With Adam or Momentum the threshold η·λ(t) ignores the per-weight
// scaling of the inner step, as is usual in practice. A failing inner
// solver may have changed weights before it returned its error. Gorgonia
// v0.9.18's WithLearnRate does not reach AdaGradSolver, and its AdamW does
// not update weights, so use this package's AdamW. Only float32 and
// float64 *tensor.Dense weights can be pruned or take a proximal step,
// and all parameters of a model must share one float type. Term values in
// the metrics call the term's Value whenever the weights are measured,
// except for L1 and L2, which are read from the statistics of the step.
package solvers
