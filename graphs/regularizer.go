package graphs

import (
	"fmt"
	"math"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/regsched/regsched/ops"
	"github.com/regsched/regsched/schedules"
)

// Mode chooses how a term acts on its weight.
type Mode int

const (
	// Auto picks Proximal for terms with a closed-form prox that makes
	// exact zeros (L1, ElasticNet, GroupLasso) and for constraints
	// (ops.Constraint), and Gradient otherwise.
	Auto Mode = iota
	// Gradient puts coef·R(w) into the loss.
	Gradient
	// Proximal leaves the loss alone. The wrapped solver applies the
	// term's proximal operator with threshold η·λ(t) after each step.
	Proximal
)

// String returns "auto", "gradient" or "proximal".
func (m Mode) String() string {
	switch m {
	case Auto:
		return "auto"
	case Gradient:
		return "gradient"
	case Proximal:
		return "proximal"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Entry is one scheduled penalty as the solver uses it.
type Entry struct {
	Name     string             // unique; also the coefficient node's name
	W        *gorgonia.Node     // the penalised weight
	Term     ops.Term           // R
	Schedule schedules.Schedule // λ(t); may implement schedules.Adaptive
	Mode     Mode               // Gradient or Proximal, never Auto
	Coef     *gorgonia.Node     // scalar input node containing λ(t); nil for Proximal
}

// Option configures one entry added with Add.
type Option func(*Entry)

// WithMode sets how the term acts. The default, Auto, is described at
// Auto.
func WithMode(m Mode) Option { return func(e *Entry) { e.Mode = m } }

// WithName sets the entry's name, which must be unique among the graph's
// node names. The default is "coef<i>_<term>_<weight name>", with i the
// entry's index, made unique by a numeric suffix when needed.
func WithName(name string) Option { return func(e *Entry) { e.Name = name } }

// Regularizer attaches scheduled penalties to an existing graph.
//
// Register penalties with Add, then call Augment once on the loss. Each
// Gradient entry owns a scalar coefficient node of its weight's dtype,
// containing λ(t). SetCoefficient writes a new λ into it in place, so the
// next forward pass of a compiled machine reads it. Proximal entries have
// no node, because the wrapped solver applies their prox with threshold
// η·λ(t).
//
// A Regularizer is not safe for concurrent use.
type Regularizer struct {
	g         *gorgonia.ExprGraph
	entries   []Entry
	coefs     []float64 // current λ of each entry
	augmented bool
}

// NewRegularizer returns a Regularizer for g.
func NewRegularizer(g *gorgonia.ExprGraph) *Regularizer { return &Regularizer{g: g} }

// Add registers λ(t)·R(w), with λ(t) given by s and R by t. The
// coefficient starts at s.At(0).
//
// Add returns an error, and registers nothing, when w, t or s is nil, w is
// not a float32 or float64 tensor of the Regularizer's graph, the same
// (w, term) pair is already registered, the name is taken, the mode is
// Proximal for a term without a proximal operator, s.At(0) is negative or
// not finite, or Augment has already been called.
func (r *Regularizer) Add(w *gorgonia.Node, t ops.Term, s schedules.Schedule, opts ...Option) error {
	if err := r.checkAdd(w, t, s); err != nil {
		return err
	}
	e := Entry{W: w, Term: t, Schedule: s}
	for _, opt := range opts {
		if opt != nil {
			opt(&e)
		}
	}
	if err := r.resolveMode(&e); err != nil {
		return err
	}
	if err := r.resolveName(&e); err != nil {
		return err
	}
	lambda := s.At(0)
	if err := checkCoefficient("Add", e.Name, lambda); err != nil {
		return errors.Wrap(err, "at step 0")
	}

	if e.Mode == Gradient {
		e.Coef = gorgonia.NewScalar(r.g, w.Dtype(), gorgonia.WithName(e.Name),
			gorgonia.WithValue(scalarValue(w.Dtype(), lambda)))
	}
	r.entries = append(r.entries, e)
	r.coefs = append(r.coefs, lambda)
	return nil
}

func (r *Regularizer) checkAdd(w *gorgonia.Node, t ops.Term, s schedules.Schedule) error {
	switch {
	case r == nil || r.g == nil:
		return errors.New("graphs: Add: the Regularizer has no graph; use NewRegularizer")
	case r.augmented:
		return errors.New("graphs: Add: called after Augment; register every penalty first")
	case w == nil:
		return errors.New("graphs: Add: w is nil")
	case t == nil:
		return errors.Errorf("graphs: Add: term for %v is nil", w.Name())
	case s == nil:
		return errors.Errorf("graphs: Add: schedule for %v on %v is nil", t, w.Name())
	case w.Graph() != r.g:
		return errors.Errorf("graphs: Add: w (%v) belongs to another graph", w.Name())
	case w.IsScalar():
		return errors.Errorf("graphs: Add: w (%v) is a scalar, expected a tensor", w.Name())
	}
	if dt := w.Dtype(); dt != tensor.Float32 && dt != tensor.Float64 {
		return errors.Errorf("graphs: Add: w (%v) has dtype %v, expected float32 or float64",
			w.Name(), dt)
	}
	key := termKey(t)
	for _, e := range r.entries {
		if e.W == w && termKey(e.Term) == key {
			return errors.Errorf("graphs: Add: %v on %v is already registered as %q",
				key, w.Name(), e.Name)
		}
	}
	return nil
}

func (r *Regularizer) resolveMode(e *Entry) error {
	switch e.Mode {
	case Auto:
		e.Mode = Gradient
		if makesZeros(e.Term) {
			e.Mode = Proximal
		}
	case Gradient:
		if _, ok := e.Term.(ops.Constraint); ok {
			return errors.Errorf("graphs: Add: mode gradient for %v on %v: a constraint acts "+
				"only through its projection; use Proximal", termKey(e.Term), e.W.Name())
		}
	case Proximal:
		if _, ok := e.Term.(ops.ProxTerm); !ok {
			return errors.Errorf("graphs: Add: mode proximal for %v on %v: the term has no "+
				"proximal operator; use Gradient", termKey(e.Term), e.W.Name())
		}
	default:
		return errors.Errorf("graphs: Add: invalid mode (%v) for %v on %v",
			e.Mode, termKey(e.Term), e.W.Name())
	}
	return nil
}

func (r *Regularizer) resolveName(e *Entry) error {
	if e.Name != "" {
		if r.nameTaken(e.Name) {
			return errors.Errorf("graphs: Add: name %q is already used in the graph", e.Name)
		}
		return nil
	}
	base := fmt.Sprintf("coef%d_%s_%s", len(r.entries), sanitize(termKey(e.Term)), e.W.Name())
	e.Name = base
	for i := 1; r.nameTaken(e.Name); i++ {
		e.Name = fmt.Sprintf("%s_%d", base, i)
	}
	return nil
}

func (r *Regularizer) nameTaken(name string) bool {
	for _, e := range r.entries {
		if e.Name == name {
			return true
		}
	}
	return len(r.g.ByName(name)) > 0
}

// Augment returns loss + Σ coefᵢ·Rᵢ(wᵢ) over the Gradient entries, or
// loss itself when there are none. It may be called once, and later calls
// and Add after it return errors. loss must be a scalar node of the
// Regularizer's graph with the dtype of every Gradient entry's weight.
func (r *Regularizer) Augment(loss *gorgonia.Node) (*gorgonia.Node, error) {
	switch {
	case r == nil || r.g == nil:
		return nil, errors.New("graphs: Augment: the Regularizer has no graph; use NewRegularizer")
	case r.augmented:
		return nil, errors.New("graphs: Augment: already called; it may be called once")
	case loss == nil:
		return nil, errors.New("graphs: Augment: loss is nil")
	case loss.Graph() != r.g:
		return nil, errors.Errorf("graphs: Augment: loss (%v) belongs to another graph", loss.Name())
	case !loss.IsScalar():
		return nil, errors.Errorf("graphs: Augment: loss (%v) has shape %v, expected a scalar",
			loss.Name(), loss.Shape())
	}
	for _, e := range r.entries {
		if e.Mode == Gradient && e.W.Dtype() != loss.Dtype() {
			return nil, errors.Errorf("graphs: Augment: %q: w (%v) has dtype %v but loss has %v",
				e.Name, e.W.Name(), e.W.Dtype(), loss.Dtype())
		}
	}

	cost := loss
	for _, e := range r.entries {
		if e.Mode != Gradient {
			continue
		}
		p, err := ops.Penalty(e.W, e.Coef, e.Term)
		if err != nil {
			return nil, errors.Wrapf(err, "graphs: Augment: %q", e.Name)
		}
		if cost, err = gorgonia.Add(cost, p); err != nil {
			return nil, errors.Wrapf(err, "graphs: Augment: %q: adding the penalty", e.Name)
		}
	}
	r.augmented = true
	return cost, nil
}

// Entries returns the registered penalties in the order they were added.
// The slice is shared with r, so callers must not modify it.
func (r *Regularizer) Entries() []Entry { return r.entries }

// Coefficient returns the current λ of entry i, for Gradient and Proximal
// entries alike: s.At(0) until SetCoefficient changes it.
func (r *Regularizer) Coefficient(i int) (float64, error) {
	if i < 0 || i >= len(r.entries) {
		return 0, errors.Errorf("graphs: Coefficient: index (%d) is outside [0, %d)", i, len(r.entries))
	}
	return r.coefs[i], nil
}

// SetCoefficient writes v into entry i's coefficient node in place, so
// the next forward pass reads it. It does not allocate. For a Proximal
// entry it only records v, which Coefficient returns. v must be finite
// and non-negative.
func (r *Regularizer) SetCoefficient(i int, v float64) error {
	if i < 0 || i >= len(r.entries) {
		return errors.Errorf("graphs: SetCoefficient: index (%d) is outside [0, %d)",
			i, len(r.entries))
	}
	e := &r.entries[i]
	if err := checkCoefficient("SetCoefficient", e.Name, v); err != nil {
		return err
	}
	if e.Coef != nil {
		switch p := e.Coef.Value().(type) {
		case *gorgonia.F64:
			*p = gorgonia.F64(v)
		case *gorgonia.F32:
			*p = gorgonia.F32(v)
		default:
			return errors.Errorf("graphs: SetCoefficient: %q is a %T, expected a scalar", e.Name, p)
		}
	}
	r.coefs[i] = v
	return nil
}

func checkCoefficient(fn, name string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return errors.Errorf("graphs: %s: coefficient of %q (%v) must be finite and non-negative",
			fn, name, v)
	}
	return nil
}

// makesZeros reports whether t's proximal operator makes exact zeros, so
// that Auto chooses Proximal for it.
func makesZeros(t ops.Term) bool {
	switch t.(type) {
	case ops.L1, *ops.L1, ops.ElasticNet, *ops.ElasticNet, ops.GroupLasso, *ops.GroupLasso,
		ops.Constraint:
		return true
	}
	return false
}

// termKey returns the text that identifies a term and its settings.
func termKey(t ops.Term) string {
	if s, ok := t.(fmt.Stringer); ok {
		return fmt.Sprintf("%T %s", t, s)
	}
	return fmt.Sprintf("%T%+v", t, t)
}

// sanitize keeps the letters and digits of a term key for a node name.
func sanitize(s string) string {
	if i := strings.LastIndexByte(s, ' '); i >= 0 {
		s = s[i+1:]
	}
	return strings.Map(func(c rune) rune {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.':
			return c
		}
		return -1
	}, s)
}

func scalarValue(dt tensor.Dtype, v float64) gorgonia.Value {
	if dt == tensor.Float32 {
		return gorgonia.NewF32(float32(v))
	}
	return gorgonia.NewF64(v)
}
