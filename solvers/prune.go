package solvers

import (
	"math"
	"slices"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/regsched/regsched/schedules"
)

// Criterion scores weights for pruning: the weights of lowest score are
// pruned first. Weights that are already pruned rank below every other
// weight, so a growing target only adds zeros and a shrinking one revives
// the best-scored pruned weights.
type Criterion interface{ criterionName() string }

// Magnitude prunes the weights of smallest |w|, measured after the step.
type Magnitude struct{}

// Random prunes weights chosen uniformly at random with the solver's
// random number generator (see WithSeed).
type Random struct{}

// Movement prunes the weights that moved least away from zero. The score
// of w is Σₜ wₜ·(wₜ₊₁ − wₜ), the weight times its update accumulated over
// every step since Wrap. This is movement pruning (Sanh et al. 2020),
// written with the actual update so that it applies to any inner solver.
// It costs one copy of the weights and one pass per step.
type Movement struct{}

// Taylor prunes the weights of smallest first-order Taylor score |w·g|,
// with w and its gradient g read before the inner step of the update step
// (Gorgonia's solvers zero g during the step).
type Taylor struct{}

func (Magnitude) criterionName() string { return "magnitude" }
func (Random) criterionName() string    { return "random" }
func (Movement) criterionName() string  { return "movement" }
func (Taylor) criterionName() string    { return "taylor" }

// Allocation chooses how a pruning group's target is shared among its
// parameters.
type Allocation int

const (
	// Uniform prunes every parameter to the group's target.
	Uniform Allocation = iota
	// Global ranks the units of all parameters together, so layers end
	// at different sparsities. A per-layer floor keeps each layer's best
	// unit, and, for unstructured pruning, the best weight of each output
	// unit (a column of a 2-D weight in Gorgonia's x×W layout, a filter
	// of a 4-D one) unless AllowEmpty is given.
	Global
	// ERK gives each parameter a density proportional to the
	// Erdős–Rényi-kernel ratio Σ dims / Π dims (Evci et al. 2020, RigL),
	// scaled so that the group's total number of pruned units is
	// round(s·N). Parameters that would exceed density 1 stay dense.
	ERK
)

// PruneOption configures one WithPruning or WithPruningGroup.
type PruneOption func(*pruneGroup) error

// WithStructure sets what a pruned unit is. The default is Unstructured.
func WithStructure(st Structure) PruneOption {
	return func(g *pruneGroup) error {
		if st == nil {
			return errors.New("solvers: WithStructure: structure is nil")
		}
		g.structure = st
		return nil
	}
}

// UpdateEvery recomputes the masks every n steps (steps 0, n, 2n, …)
// with the target of that step. Without it, masks are recomputed at each
// step where the target differs from the one last applied.
func UpdateEvery(n int) PruneOption {
	return func(g *pruneGroup) error {
		if n <= 0 {
			return errors.Errorf("solvers: UpdateEvery: n (%d) is not positive", n)
		}
		g.every = n
		return nil
	}
}

// Allocate sets how a group shares its target. The default is Uniform.
func Allocate(a Allocation) PruneOption {
	return func(g *pruneGroup) error {
		if a < Uniform || a > ERK {
			return errors.Errorf("solvers: Allocate: unknown allocation (%d)", a)
		}
		g.alloc = a
		return nil
	}
}

// Exclude leaves the parameters with these node names out of the group,
// such as biases and normalisation scales.
func Exclude(names ...string) PruneOption {
	return func(g *pruneGroup) error {
		g.exclude = append(g.exclude, names...)
		return nil
	}
}

// AllowEmpty lets Global allocation prune whole layers and output units.
func AllowEmpty() PruneOption {
	return func(g *pruneGroup) error {
		g.allowEmpty = true
		return nil
	}
}

// WithPruning prunes w to the sparsity schedule by criterion c. After a
// mask update at step t, w has round(s(t)·n) pruned units (see
// Structure), rounded half away from zero. NM structures and the Global
// floor can cap that count, and UpdateEvery sets the update steps.
func WithPruning(w *gorgonia.Node, c Criterion, sparsity schedules.Schedule,
	opts ...PruneOption) Option {
	return WithPruningGroup([]*gorgonia.Node{w}, c, sparsity, opts...)
}

// WithPruningGroup prunes several parameters to one sparsity schedule,
// sharing the target as Allocate sets. A parameter may belong to one
// pruning group only.
func WithPruningGroup(ws []*gorgonia.Node, c Criterion, sparsity schedules.Schedule,
	opts ...PruneOption) Option {
	return func(cfg *config) error {
		g := &pruneGroup{crit: c, sched: sparsity, structure: Unstructured{}}
		if c == nil {
			return errors.New("solvers: WithPruning: criterion is nil")
		}
		if sparsity == nil {
			return errors.New("solvers: WithPruning: sparsity schedule is nil")
		}
		for i, opt := range opts {
			if opt == nil {
				return errors.Errorf("solvers: WithPruning: option %d is nil", i)
			}
			if err := opt(g); err != nil {
				return err
			}
		}
		for i, w := range ws {
			if w == nil {
				return errors.Errorf("solvers: WithPruning: weight %d is nil", i)
			}
			if slices.Contains(g.exclude, w.Name()) {
				continue
			}
			g.nodes = append(g.nodes, w)
		}
		if len(g.nodes) == 0 {
			return errors.New("solvers: WithPruning: no weights left to prune")
		}
		cfg.groups = append(cfg.groups, g)
		return nil
	}
}

// pruneGroup is the state of one WithPruning or WithPruningGroup.
type pruneGroup struct {
	nodes      []*gorgonia.Node
	crit       Criterion
	sched      schedules.Schedule
	structure  Structure
	alloc      Allocation
	every      int
	exclude    []string
	allowEmpty bool
	regrow     Regrowth

	layers []*layer
	units  int // total units over the layers

	target  float64 // target of the last mask update
	updated bool    // a mask update happened since Wrap

	// Decided before the inner step of the current step.
	pendingUpdate bool
	pendingTarget float64
	pendingRegrow bool

	// Scratch for selection over all layers, in layer order.
	scores  []float64
	scratch []float64
	pruned  []bool
	grown   []bool       // regrowth scratch
	counts  []int        // pruned units per layer (scratch)
	keys    []uint32     // magnitude keys (scratch), see rankKeys
	hist    *radixCounts // radix counts for keys
	erk     []float64
	dense   []bool
}

// layer is one parameter of a pruning group.
type layer struct {
	node     *gorgonia.Node
	name     string
	param    int // index in the model, set by bind
	shape    tensor.Shape
	size     int
	units    int
	unitOf   []int32 // element → unit; nil when units are elements
	offset   int     // first unit in the group's scratch
	outer    []int32 // element → output unit, for the Global floor
	best     []int   // best element of each output unit (scratch)
	runOrder []int   // N:M run scratch

	keep      []bool    // kept elements; shared with the parameter
	elScores  []float64 // element scores when units are groups
	movement  []float64 // accumulated movement scores
	prev      []float64 // weights before the inner step (movement)
	gradScore []float64 // RigL growth scores or Taylor scores

	pruned int // number of pruned weights
	flips  int // mask changes at the last update
}

// checkGroups validates the groups against their nodes' shapes and
// allocates their per-layer state. It runs in Wrap.
func (s *Solver) checkGroups() error {
	seen := map[*gorgonia.Node]bool{}
	for _, g := range s.groups {
		if _, ok := g.structure.(NM); ok && g.alloc != Uniform {
			return errors.New("solvers: WithPruning: N:M structure needs Uniform allocation")
		}
		if g.regrow != nil {
			if _, ok := g.structure.(Unstructured); !ok {
				return errors.Errorf("solvers: WithRegrowth: regrowth needs Unstructured "+
					"pruning, not %s", g.structure)
			}
		}
		for _, n := range g.nodes {
			if seen[n] {
				return errors.Errorf("solvers: WithPruning: parameter %q is in more than one "+
					"pruning group", n.Name())
			}
			seen[n] = true
			l, err := newLayer(n, g)
			if err != nil {
				return err
			}
			l.offset = g.units
			g.units += l.units
			g.layers = append(g.layers, l)
		}
		g.scores = make([]float64, g.units)
		g.scratch = make([]float64, g.units)
		g.pruned = make([]bool, g.units)
		g.grown = make([]bool, g.units)
		g.counts = make([]int, len(g.layers))
		if _, ok := g.crit.(Magnitude); ok && g.alloc != Global && g.units < math.MaxInt32 {
			if _, ok := g.structure.(Unstructured); ok {
				g.keys = make([]uint32, g.units)
				g.hist = new(radixCounts)
			}
		}
		g.erk = make([]float64, len(g.layers))
		g.dense = make([]bool, len(g.layers))
	}
	return nil
}

func newLayer(n *gorgonia.Node, g *pruneGroup) (*layer, error) {
	shape := n.Shape()
	if shape.IsScalar() || shape.TotalSize() == 0 {
		return nil, errors.Errorf("solvers: WithPruning: parameter %q has shape %v, which "+
			"cannot be pruned", n.Name(), shape)
	}
	units, unitOf, err := g.structure.units(shape)
	if err != nil {
		return nil, errors.Wrapf(err, "solvers: WithPruning: parameter %q with shape %v",
			n.Name(), shape)
	}

	size := shape.TotalSize()
	l := &layer{
		node:   n,
		name:   n.Name(),
		param:  -1,
		shape:  shape.Clone(),
		size:   size,
		units:  units,
		unitOf: unitOf,
		keep:   make([]bool, size),
	}
	for i := range l.keep {
		l.keep[i] = true
	}

	if nm, ok := g.structure.(NM); ok {
		l.elScores = make([]float64, size)
		l.runOrder = make([]int, nm.M)
	} else if unitOf != nil {
		l.elScores = make([]float64, size)
	}
	if g.alloc == Global && !g.allowEmpty {
		if unitOf == nil {
			l.outer = outputUnits(shape)
			l.best = make([]int, int(slices.Max(l.outer))+1)
		}
	}

	switch g.crit.(type) {
	case Movement:
		l.movement = make([]float64, size)
		l.prev = make([]float64, size)
	case Taylor:
		l.gradScore = make([]float64, size)
	}
	if g.regrow != nil && l.gradScore == nil {
		l.gradScore = make([]float64, size)
	}
	return l, nil
}

// outputUnits maps each element to its output unit: the column of a 2-D
// weight (Gorgonia's x×W layout) or the filter of a 4-D one. Other shapes
// have a single output unit.
func outputUnits(shape tensor.Shape) []int32 {
	idx := make([]int32, shape.TotalSize())
	switch len(shape) {
	case 2:
		for i := range idx {
			idx[i] = int32(i % shape[1])
		}
	case 4:
		per := shape[1] * shape[2] * shape[3]
		for i := range idx {
			idx[i] = int32(i / per)
		}
	}
	return idx
}

// plan decides, before the inner step, whether step t updates the masks
// or regrows them.
func (g *pruneGroup) plan(t int) error {
	g.pendingUpdate, g.pendingRegrow = false, false
	target := g.sched.At(t)
	if math.IsNaN(target) || target < 0 || target >= 1 {
		return errors.Errorf("solvers: Step: sparsity target at step %d (%v) is outside [0, 1)",
			t, target)
	}
	switch {
	case g.every > 0:
		g.pendingUpdate = t%g.every == 0 && (g.updated || target > 0)
	default:
		g.pendingUpdate = target != g.target
	}
	g.pendingTarget = target
	if !g.pendingUpdate && g.regrow != nil && g.updated {
		g.pendingRegrow = g.regrow.due(t)
	}
	return nil
}
