package repro

import (
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"

	"github.com/regsched/regsched/solvers"
)

// RunConfig is the training set-up of one MLP run: Adam, wrapped by
// solvers.Wrap, on minibatches of softmax cross-entropy.
type RunConfig struct {
	Sizes     []int   // layer widths, input first
	Batch     int     // minibatch size
	Steps     int     // optimizer steps
	LearnRate float64 // Adam's learning rate

	// NewInner, if not nil, returns the inner solver; nil means
	// Gorgonia's AdamSolver. Wrap sets its learning rate.
	NewInner func() gorgonia.Solver
}

func (c RunConfig) validate() error {
	switch {
	case len(c.Sizes) < 2:
		return errors.Errorf("repro: RunConfig: %d layer widths, want at least 2", len(c.Sizes))
	case c.Batch <= 0:
		return errors.Errorf("repro: RunConfig: Batch (%d) must be positive", c.Batch)
	case c.Steps <= 0:
		return errors.Errorf("repro: RunConfig: Steps (%d) must be positive", c.Steps)
	case !(c.LearnRate > 0):
		return errors.Errorf("repro: RunConfig: LearnRate (%v) must be positive", c.LearnRate)
	}
	return nil
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
func Train(c RunConfig, init *Net, train *Dataset, seed int64, setup Setup, hook Hook,
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
	var inner gorgonia.Solver = gorgonia.NewAdamSolver()
	if c.NewInner != nil {
		inner = c.NewInner()
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
