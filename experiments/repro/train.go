package repro

import (
	"fmt"
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"

	"github.com/regsched/regsched/experiments"
	"github.com/regsched/regsched/experiments/datasets"
	"github.com/regsched/regsched/graphs"
	"github.com/regsched/regsched/ops"
	"github.com/regsched/regsched/schedules"
	"github.com/regsched/regsched/solvers"
)

// RunConfig is the training set-up of one MLP run: an inner solver,
// wrapped by solvers.Wrap, on minibatches of softmax cross-entropy. In
// a recipe it is the training section.
type RunConfig struct {
	Sizes     []int   `yaml:"sizes,flow"` // layer widths, input first
	Batch     int     `yaml:"batch"`      // minibatch size
	Steps     int     `yaml:"steps"`      // optimizer steps
	LearnRate float64 `yaml:"learn_rate"` // the inner solver's learning rate

	// Solver names the inner solver, whose learning rate Wrap sets.
	// "gorgonia-adam" (the default when empty) is Gorgonia's
	// AdamSolver, "adam" is solvers.NewAdam, which resets the moments
	// of regrown weights, and "sgd" is solvers.NewSGD, with which each
	// step is a plain proximal gradient step.
	Solver string `yaml:"solver"`
}

// newInner returns the inner solver that c.Solver names.
func (c RunConfig) newInner() (gorgonia.Solver, error) {
	switch c.Solver {
	case "", "gorgonia-adam":
		return gorgonia.NewAdamSolver(), nil
	case "adam":
		return solvers.NewAdam(), nil
	case "sgd":
		return solvers.NewSGD(), nil
	}
	return nil, errors.Errorf("repro: solver %q is unknown: want gorgonia-adam, adam or sgd",
		c.Solver)
}

// check records the invalid values of c, naming them under path.
func (c RunConfig) check(fc *experiments.FieldCheck, path string) {
	if len(c.Sizes) < 2 {
		fc.Fail(path+".sizes", "has %d layer widths, want at least 2", len(c.Sizes))
	}
	for i, s := range c.Sizes {
		if s <= 0 {
			fc.Fail(key(path+".sizes", i), "(%d) must be positive", s)
		}
	}
	if c.Batch <= 0 {
		fc.Fail(path+".batch", "(%d) must be positive", c.Batch)
	}
	if c.Steps <= 0 {
		fc.Fail(path+".steps", "(%d) must be positive", c.Steps)
	}
	checkPositive(fc, path+".learn_rate", c.LearnRate)
	if _, err := c.newInner(); err != nil {
		fc.Fail(path+".solver", "(%q) is unknown: want gorgonia-adam, adam or sgd", c.Solver)
	}
}

// validate returns the first invalid value of c as an error.
func (c RunConfig) validate() error {
	fc := experiments.NewFieldCheck("RunConfig", nil)
	c.check(fc, "training")
	return errors.WithMessage(fc.Err(), "repro")
}

// penaltySetup returns a Setup that adds a scheduled penalty to the
// weight matrices of the given layers, or of every layer when layers is
// empty. newTerm makes one term per matrix, because a term such as
// ops.SpectralNorm keeps state between steps. The coefficient nodes are
// named name_l for layer l.
func penaltySetup(newTerm func() ops.Term, sched schedules.Schedule, mode graphs.Mode,
	name string, layers ...int) Setup {
	return func(m *Model) (*gorgonia.Node, []solvers.Option, error) {
		if len(layers) == 0 {
			for l := range m.Weights {
				layers = append(layers, l)
			}
		}
		reg := graphs.NewRegularizer(m.Graph)
		for _, l := range layers {
			if err := reg.Add(m.Weights[l], newTerm(), sched, graphs.WithMode(mode),
				graphs.WithName(fmt.Sprintf("%s_%d", name, l))); err != nil {
				return nil, nil, err
			}
		}
		cost, err := reg.Augment(m.Loss)
		if err != nil {
			return nil, nil, err
		}
		return cost, []solvers.Option{solvers.WithRegularizer(reg)}, nil
	}
}

// Setup prepares a run on a freshly built model: it may add penalties
// to the graph and returns the cost to differentiate (nil for the
// model's loss) and the options passed to solvers.Wrap besides the
// learning rate.
type Setup func(m *Model) (cost *gorgonia.Node, opts []solvers.Option, err error)

// Hook is called after every optimizer step with the number of steps
// done; it may feed signals to the solver with Observe.
type Hook func(step int, m *Model, s *solvers.Solver) error

// Train trains init for c.Steps steps and returns the trained net and,
// if snapshotAt is in [1, c.Steps], a copy of the weights after that many
// steps. Shuffling uses seed.
func Train(c RunConfig, init *Net, train *datasets.Set, seed int64, setup Setup, hook Hook,
	snapshotAt int) (final, snapshot *Net, err error) {
	if err := c.validate(); err != nil {
		return nil, nil, err
	}
	m, err := NewModel(init, c.Batch)
	if err != nil {
		return nil, nil, err
	}
	cost := m.Loss
	opts := []solvers.Option{solvers.WithLearnRate(c.LearnRate)}
	if setup != nil {
		augmented, extra, err := setup(m)
		if err != nil {
			return nil, nil, err
		}
		if augmented != nil {
			cost = augmented
		}
		opts = append(opts, extra...)
	}
	inner, err := c.newInner()
	if err != nil {
		return nil, nil, err
	}
	s, err := solvers.Wrap(inner, opts...)
	if err != nil {
		return nil, nil, err
	}
	tr, err := NewTrainer(m, cost, s, train, seed)
	if err != nil {
		return nil, nil, err
	}
	defer tr.Close()
	for i := 0; i < c.Steps; i++ {
		loss, err := tr.Step()
		if err != nil {
			return nil, nil, err
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return nil, nil, errors.Errorf("repro: Train: cost is %v at step %d", loss, i)
		}
		if hook != nil {
			if err := hook(i+1, m, s); err != nil {
				return nil, nil, err
			}
		}
		if i+1 == snapshotAt {
			snapshot = m.Net()
		}
	}
	return m.Net(), snapshot, nil
}
