package solvers

import (
	"io"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"

	"github.com/regsched/regsched/graphs"
	"github.com/regsched/regsched/schedules"
)

// Option configures Wrap.
type Option func(*config) error

type config struct{}

// WithRegularizer makes the solver advance reg's coefficients and apply
// its proximal terms.
func WithRegularizer(reg *graphs.Regularizer) Option { return func(*config) error { return nil } }

// WithLearnRate sets the learning rate η, applied to the inner solver and
// used in the proximal threshold η·λ(t).
func WithLearnRate(eta float64) Option { return func(*config) error { return nil } }

// Criterion scores weights for pruning.
type Criterion interface{ criterionName() string }

// Magnitude prunes the weights of smallest |w|.
type Magnitude struct{}

func (Magnitude) criterionName() string { return "magnitude" }

// PruneOption configures one WithPruning.
type PruneOption func(*pruneConfig) error

type pruneConfig struct{}

// WithPruning prunes w to the sparsity schedule by criterion c.
func WithPruning(w *gorgonia.Node, c Criterion, sparsity schedules.Schedule, opts ...PruneOption) Option {
	return func(*config) error { return nil }
}

// Solver wraps a gorgonia.Solver with schedules, proximal steps and masks.
type Solver struct{}

var _ gorgonia.Solver = (*Solver)(nil)

// Wrap returns a Solver around inner.
func Wrap(inner gorgonia.Solver, opts ...Option) (*Solver, error) {
	return nil, errors.New("solvers: Wrap: not implemented yet")
}

// Step performs one solver step.
func (s *Solver) Step(model []gorgonia.ValueGrad) error {
	return errors.New("solvers: Step: not implemented yet")
}

// Observe feeds a measured signal to adaptive policies.
func (s *Solver) Observe(name string, v float64) {}

// Steps returns the number of completed steps.
func (s *Solver) Steps() int { return 0 }

// Save writes the solver's state.
func (s *Solver) Save(w io.Writer) error { return errors.New("solvers: Save: not implemented yet") }

// Load restores state written by Save.
func (s *Solver) Load(r io.Reader) error { return errors.New("solvers: Load: not implemented yet") }
