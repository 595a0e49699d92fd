package experiments

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/regsched/regsched/experiments/datasets"
	"github.com/regsched/regsched/graphs"
	"github.com/regsched/regsched/ops"
	"github.com/regsched/regsched/schedules"
	"github.com/regsched/regsched/solvers"
)

// LoadData returns the training and test splits that d names. Breast
// cancer is standardized with the training split's statistics.
func LoadData(d Data) (train, test *datasets.Set, err error) {
	switch d.Set {
	case "digits":
		all, err := datasets.Digits()
		if err != nil {
			return nil, nil, err
		}
		return datasets.Split(all, d.TestFraction, d.SplitSeed)
	case "breast_cancer":
		all, err := datasets.BreastCancer()
		if err != nil {
			return nil, nil, err
		}
		if train, test, err = datasets.Split(all, d.TestFraction, d.SplitSeed); err != nil {
			return nil, nil, err
		}
		return train, test, datasets.Standardize(train, test)
	case "fashion_mnist":
		return datasets.FashionMNIST(d.Path)
	}
	return nil, nil, errors.Errorf("experiments: LoadData: unknown data set %q", d.Set)
}

// variant is one way of training a recipe: "dense" drops the penalties
// and the pruning, the main variant keeps them.
type variant struct {
	name      string
	penalties []PenaltySpec
	pruning   *PruningSpec
}

// variants lists the runs of one seed in order: the dense baseline
// first when the recipe requests it.
func (r *Recipe) variants() []variant {
	main := variant{name: "dense", penalties: r.Penalties, pruning: r.Pruning}
	switch {
	case r.Pruning != nil:
		main.name = "sparse"
	case len(r.Penalties) > 0:
		main.name = "regularized"
	}
	if r.Baseline && main.name != "dense" {
		return []variant{{name: "dense"}, main}
	}
	return []variant{main}
}

// model is a network built for training together with its solver.
type model struct {
	g      *gorgonia.ExprGraph
	mlp    *graphs.MLP
	params gorgonia.Nodes
	vm     gorgonia.VM
	solver *solvers.Solver
	reg    *graphs.Regularizer
	logits gorgonia.Value // read from the graph by each RunAll

	// pruned lists the weight matrices under pruning with their
	// sparsity schedule, and measured lists the matrices whose sparsity
	// Record.Sparsity reports.
	pruned    map[string]schedules.Schedule
	measured  []*gorgonia.Node
	terms     []termInfo
	window    window            // the solver's metrics since the last record
	structure solvers.Structure // of the pruned matrices

	lr      float64
	lrSched schedules.Schedule
}

// learnRate returns η at step t.
func (m *model) learnRate(t int) float64 {
	if m.lrSched != nil {
		return m.lrSched.At(t)
	}
	return m.lr
}

// termInfo is one registered penalty, for the records.
type termInfo struct {
	name  string
	w     *gorgonia.Node
	term  ops.Term
	sched schedules.Schedule
}

// sizes returns the layer widths of the recipe's MLP for a data set.
func (r *Recipe) sizes(features, classes int) []int {
	s := append([]int{features}, r.Model.Hidden...)
	return append(s, classes)
}

// selectParams returns the nodes that a params key names: "weights",
// "biases", "all" or one matrix "w<k>".
func selectParams(m *graphs.MLP, key string) ([]*gorgonia.Node, error) {
	switch key {
	case "weights":
		return m.Weights, nil
	case "biases":
		return m.Biases, nil
	case "all":
		return m.Params(), nil
	}
	if k, err := strconv.Atoi(strings.TrimPrefix(key, "w")); err == nil &&
		strings.HasPrefix(key, "w") && k >= 0 && k < len(m.Weights) {
		return []*gorgonia.Node{m.Weights[k]}, nil
	}
	return nil, errors.Errorf("params %q names no weights: expected weights, biases, all or w0…w%d",
		key, len(m.Weights)-1)
}

// newTerm returns the base term a penalty names.
func newTerm(p PenaltySpec) (ops.Term, error) {
	switch p.Term {
	case "l1":
		return ops.L1{}, nil
	case "l2":
		return ops.L2{}, nil
	case "elastic_net":
		return ops.ElasticNet{L1Ratio: p.L1Ratio}, nil
	case "group_lasso":
		return ops.GroupLasso{Axis: p.Axis}, nil
	case "log_sum":
		return ops.LogSum{Eps: p.Eps}, nil
	}
	return nil, errors.Errorf("unknown term %q: expected %s", p.Term, termNames)
}

const termNames = "l1, l2, elastic_net, group_lasso or log_sum"

// newMode returns the graphs.Mode a penalty's mode names.
func newMode(mode string) (graphs.Mode, error) {
	switch mode {
	case "auto":
		return graphs.Auto, nil
	case "gradient":
		return graphs.Gradient, nil
	case "proximal":
		return graphs.Proximal, nil
	}
	return 0, errors.Errorf("unknown mode %q: expected auto, gradient or proximal", mode)
}

// newInner returns the inner solver a SolverSpec names, with every
// setting except the learning rate, which the wrapper owns. SGD,
// momentum, Adam and AdamW are package solvers' checkpointable versions,
// which step as Gorgonia's do.
func newInner(s SolverSpec) (gorgonia.Solver, error) {
	switch s.Name {
	case "sgd":
		o := solvers.NewSGD()
		o.Clip = s.Clip
		return o, nil
	case "momentum":
		o := solvers.NewMomentum()
		o.Momentum, o.Clip = s.Momentum, s.Clip
		return o, nil
	case "adam":
		o := solvers.NewAdam()
		o.Beta1, o.Beta2, o.Eps, o.Clip = s.Beta1, s.Beta2, s.Epsilon, s.Clip
		return o, nil
	case "adamw":
		o := solvers.NewAdamW()
		o.Beta1, o.Beta2, o.Eps, o.Clip = s.Beta1, s.Beta2, s.Epsilon, s.Clip
		o.WeightDecay = s.WeightDecay
		return o, nil
	case "rmsprop":
		opts := []gorgonia.SolverOpt{gorgonia.WithEps(s.Epsilon)}
		if s.Clip > 0 {
			opts = append(opts, gorgonia.WithClip(s.Clip))
		}
		return gorgonia.NewRMSPropSolver(opts...), nil
	}
	return nil, errors.Errorf("unknown solver %q: expected %s", s.Name, solverNames)
}

const solverNames = "sgd, momentum, adam, adamw or rmsprop"

// parseStructure reads a pruning structure: "unstructured", "rows",
// "columns", "blocks:RxC" or "N:M".
func parseStructure(s string) (solvers.Structure, error) {
	switch s {
	case "unstructured":
		return solvers.Unstructured{}, nil
	case "rows":
		return solvers.Rows{}, nil
	case "columns":
		return solvers.Columns{}, nil
	}
	if size, ok := strings.CutPrefix(s, "blocks:"); ok {
		r, c, ok := strings.Cut(size, "x")
		rows, err1 := strconv.Atoi(r)
		cols, err2 := strconv.Atoi(c)
		if !ok || err1 != nil || err2 != nil || rows < 1 || cols < 1 {
			return nil, errors.Errorf("structure %q: expected blocks:RxC with positive R and C, "+
				"for example blocks:4x4", s)
		}
		return solvers.Blocks{Rows: rows, Cols: cols}, nil
	}
	if n, m, ok := strings.Cut(s, ":"); ok {
		keep, err1 := strconv.Atoi(n)
		of, err2 := strconv.Atoi(m)
		if err1 != nil || err2 != nil || keep < 1 || keep >= of {
			return nil, errors.Errorf("structure %q: expected N:M with 1 ≤ N < M, for example 2:4", s)
		}
		return solvers.NM{N: keep, M: of, Axis: 0}, nil
	}
	return nil, errors.Errorf("structure %q is unknown: expected unstructured, rows, columns, "+
		"blocks:RxC or N:M", s)
}

// wantZeros returns the zeros a target sparsity s leaves in an in×out
// weight matrix under a structure: round(s·units) whole units, rounded
// half away from zero, times the weights per unit. For N:M it is
// min(round(s·M), M−N) weights of every run of M along the input axis.
func wantZeros(st solvers.Structure, in, out int, s float64) int {
	round := func(units int) int { return int(math.Round(s * float64(units))) }
	switch st := st.(type) {
	case solvers.Rows:
		return round(in) * out
	case solvers.Columns:
		return round(out) * in
	case solvers.Blocks:
		return round(in/st.Rows*(out/st.Cols)) * st.Rows * st.Cols
	case solvers.NM:
		return min(round(st.M), st.M-st.N) * (in / st.M) * out
	}
	return round(in * out)
}

// buildModel builds the training graph, its machine and its wrapped
// solver for one variant and seed. Nothing is trained.
func buildModel(r *Recipe, v variant, seed uint64, features, classes int) (*model, error) {
	g := gorgonia.NewGraph()
	mlp, err := graphs.NewMLP(g, graphs.MLPConfig{
		Sizes: r.sizes(features, classes),
		Dtype: tensor.Float64,
		Batch: r.BatchSize,
		Seed:  int64(seed),
	})
	if err != nil {
		return nil, err
	}
	m := &model{g: g, mlp: mlp, params: mlp.Params(), pruned: map[string]schedules.Schedule{}}

	m.reg = graphs.NewRegularizer(g)
	for i, p := range v.penalties {
		if err := m.addPenalty(i, p); err != nil {
			return nil, errors.Wrapf(err, "penalties.%d", i)
		}
	}
	cost, err := m.reg.Augment(mlp.Loss)
	if err != nil {
		return nil, err
	}
	if _, err := gorgonia.Grad(cost, m.params...); err != nil {
		return nil, errors.Wrap(err, "experiments: computing the gradient")
	}
	gorgonia.Read(mlp.Logits, &m.logits)

	opts := []solvers.Option{solvers.WithRegularizer(m.reg), solvers.WithSeed(seed),
		solvers.WithRecorder(&m.window)}
	m.lr = r.Solver.LR
	if r.Solver.LRSchedule != "" {
		if m.lrSched, err = schedules.Parse(r.Solver.LRSchedule); err != nil {
			return nil, errors.Wrap(err, "solver.lr_schedule")
		}
		opts = append(opts, solvers.WithLearnRateSchedule(m.lrSched))
	} else {
		opts = append(opts, solvers.WithLearnRate(r.Solver.LR))
	}
	if p := v.pruning; p != nil {
		pruneOpts, err := m.pruning(p)
		if err != nil {
			return nil, errors.Wrap(err, "pruning")
		}
		opts = append(opts, pruneOpts...)
	}
	m.measured = m.measuredWeights()

	inner, err := newInner(r.Solver)
	if err != nil {
		return nil, errors.Wrap(err, "solver")
	}
	if m.solver, err = solvers.Wrap(inner, opts...); err != nil {
		return nil, err
	}
	m.vm = gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(m.params...))
	return m, nil
}

// addPenalty registers penalty i on every weight its params key names.
func (m *model) addPenalty(i int, p PenaltySpec) error {
	ws, err := selectParams(m.mlp, p.Params)
	if err != nil {
		return err
	}
	t, err := newTerm(p)
	if err != nil {
		return err
	}
	mode, err := newMode(p.Mode)
	if err != nil {
		return err
	}
	for _, w := range ws {
		// Each weight gets its own parsed schedule, because an adaptive
		// one keeps state that must not be shared.
		s, err := schedules.Parse(p.Schedule)
		if err != nil {
			return errors.Wrap(err, "schedule")
		}
		name := p.Term + "/" + w.Name()
		if m.termNamed(name) {
			// The same term twice on one weight: the penalty index
			// keeps the coefficient node names unique.
			name = fmt.Sprintf("%s#%d/%s", p.Term, i, w.Name())
		}
		if err := m.reg.Add(w, t, s, graphs.WithName(name), graphs.WithMode(mode)); err != nil {
			return err
		}
		m.terms = append(m.terms, termInfo{name: name, w: w, term: t, sched: s})
	}
	return nil
}

// termNamed reports whether a penalty term named name is registered.
func (m *model) termNamed(name string) bool {
	for _, t := range m.terms {
		if t.name == name {
			return true
		}
	}
	return false
}

// pruning returns one WithPruning option per weight matrix, so that each
// matrix reaches the target sparsity by itself.
func (m *model) pruning(p *PruningSpec) ([]solvers.Option, error) {
	ws, err := selectParams(m.mlp, p.Params)
	if err != nil {
		return nil, err
	}
	var c solvers.Criterion
	switch p.Criterion {
	case "magnitude":
		c = solvers.Magnitude{}
	case "random":
		c = solvers.Random{}
	case "movement":
		c = solvers.Movement{}
	case "taylor":
		c = solvers.Taylor{}
	default:
		return nil, errors.Errorf("unknown criterion %q: expected %s", p.Criterion, criterionNames)
	}
	st, err := parseStructure(p.Structure)
	if err != nil {
		return nil, err
	}
	pruneOpts := []solvers.PruneOption{solvers.WithStructure(st)}
	if g := p.Regrowth; g != nil {
		var r solvers.Regrowth
		switch g.Kind {
		case "set":
			r = solvers.SET{Every: g.Every, End: g.End, DropFraction: g.DropFraction}
		case "rigl":
			r = solvers.RigL{Every: g.Every, End: g.End, DropFraction: g.DropFraction}
		default:
			return nil, errors.Errorf("unknown regrowth kind %q: expected set or rigl", g.Kind)
		}
		pruneOpts = append(pruneOpts, solvers.WithRegrowth(r))
	}
	m.structure = st
	var opts []solvers.Option
	for _, w := range ws {
		s, err := schedules.Parse(p.PruningSchedule())
		if err != nil {
			return nil, errors.Wrap(err, "schedule")
		}
		m.pruned[w.Name()] = s
		opts = append(opts, solvers.WithPruning(w, c, s, pruneOpts...))
	}
	return opts, nil
}

const criterionNames = "magnitude, random, movement or taylor"

// measuredWeights returns the matrices whose sparsity a record reports:
// the pruned ones, else the penalised ones, else every weight matrix.
func (m *model) measuredWeights() []*gorgonia.Node {
	var out []*gorgonia.Node
	seen := make(map[*gorgonia.Node]bool)
	for _, w := range m.mlp.Weights {
		if _, ok := m.pruned[w.Name()]; ok {
			out = append(out, w)
			seen[w] = true
		}
	}
	if len(out) == 0 {
		for _, t := range m.terms {
			if !seen[t.w] {
				out = append(out, t.w)
				seen[t.w] = true
			}
		}
	}
	if len(out) == 0 {
		out = m.mlp.Weights
	}
	return out
}
