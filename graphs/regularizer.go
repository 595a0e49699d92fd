package graphs

import (
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"

	"github.com/regsched/regsched/ops"
	"github.com/regsched/regsched/schedules"
)

// Mode chooses how a term acts on its weight.
type Mode int

const (
	// Auto picks Proximal for terms with a closed-form prox that makes
	// exact zeros (L1, ElasticNet, GroupLasso) and Gradient otherwise.
	Auto Mode = iota
	// Gradient puts coef·R(w) into the loss.
	Gradient
	// Proximal leaves the loss alone; the wrapped solver applies the
	// term's proximal operator with threshold η·λ(t) after each step.
	Proximal
)

// Entry is one scheduled penalty as the solver sees it.
type Entry struct {
	Name     string             // unique; also the coefficient node's name
	W        *gorgonia.Node     // the penalised weight
	Term     ops.Term           // R
	Schedule schedules.Schedule // λ(t); may implement schedules.Adaptive
	Mode     Mode               // Gradient or Proximal, never Auto
	Coef     *gorgonia.Node     // scalar input node holding λ(t); nil for Proximal
}

// Option configures one entry added with Add.
type Option func(*Entry)

// WithMode sets how the term acts.
func WithMode(m Mode) Option { return func(e *Entry) { e.Mode = m } }

// WithName sets the entry's name.
func WithName(name string) Option { return func(e *Entry) { e.Name = name } }

// Regularizer attaches scheduled penalties to an existing graph.
type Regularizer struct {
	g       *gorgonia.ExprGraph
	entries []Entry
}

// NewRegularizer returns a Regularizer for g.
func NewRegularizer(g *gorgonia.ExprGraph) *Regularizer { return &Regularizer{g: g} }

// Add registers λ(t)·R(w).
func (r *Regularizer) Add(w *gorgonia.Node, t ops.Term, s schedules.Schedule, opts ...Option) error {
	return errors.New("graphs: Add: not implemented yet")
}

// Augment returns loss + Σ coefᵢ·Rᵢ(wᵢ) over the Gradient entries.
func (r *Regularizer) Augment(loss *gorgonia.Node) (*gorgonia.Node, error) {
	return nil, errors.New("graphs: Augment: not implemented yet")
}

// Entries returns the registered penalties in the order they were added.
func (r *Regularizer) Entries() []Entry { return r.entries }

// SetCoefficient writes v into entry i's coefficient node in place, so
// the next forward pass sees it. It does not allocate.
func (r *Regularizer) SetCoefficient(i int, v float64) error {
	return errors.New("graphs: SetCoefficient: not implemented yet")
}
