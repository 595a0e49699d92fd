package solvers

import (
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"

	"github.com/regsched/regsched/graphs"
	"github.com/regsched/regsched/ops"
	"github.com/regsched/regsched/schedules"
)

// Option configures Wrap.
type Option func(*config) error

type config struct {
	eta      float64
	etaSet   bool
	etaSched schedules.Schedule
	reg      *graphs.Regularizer
	groups   []*pruneGroup
	recorder Recorder
	seed     uint64
}

// WithRegularizer makes the solver advance reg's coefficients and apply
// its proximal terms. Wrap writes λ(0) into every coefficient node, and
// each Step writes λ(t+1) after step t, so the forward pass of step t
// always reads λ(t).
func WithRegularizer(reg *graphs.Regularizer) Option {
	return func(c *config) error {
		if reg == nil {
			return errors.New("solvers: WithRegularizer: regularizer is nil")
		}
		if c.reg != nil {
			return errors.New("solvers: WithRegularizer: given more than once")
		}
		c.reg = reg
		return nil
	}
}

// WithLearnRate sets the learning rate η, applied to the inner solver and
// used in the proximal threshold η·λ(t). It must be positive and finite.
func WithLearnRate(eta float64) Option {
	return func(c *config) error {
		if !(eta > 0) || math.IsInf(eta, 1) {
			return errors.Errorf("solvers: WithLearnRate: eta (%v) is not positive and finite", eta)
		}
		c.eta, c.etaSet = eta, true
		return nil
	}
}

// WithLearnRateSchedule makes the learning rate η(t) follow s: before
// step t the solver applies s.At(t) to the inner solver and uses it in
// the proximal threshold. It replaces WithLearnRate. A value that is not
// positive and finite makes that Step fail without changing anything.
func WithLearnRateSchedule(s schedules.Schedule) Option {
	return func(c *config) error {
		if s == nil {
			return errors.New("solvers: WithLearnRateSchedule: schedule is nil")
		}
		c.etaSched, c.etaSet = s, true
		return nil
	}
}

// WithRecorder makes every Step pass its metrics to r.
func WithRecorder(r Recorder) Option {
	return func(c *config) error {
		c.recorder = r
		return nil
	}
}

// WithSeed seeds the random number generator used by Random pruning and
// SET regrowth. The default seed is 1.
func WithSeed(seed uint64) Option {
	return func(c *config) error {
		c.seed = seed
		return nil
	}
}

// Solver wraps a gorgonia.Solver with schedules, proximal steps and masks.
// A Solver is not safe for concurrent use.
type Solver struct {
	inner    gorgonia.Solver
	eta      float64 // learning rate of the current step
	etaSet   bool
	etaSched schedules.Schedule
	reg      *graphs.Regularizer
	terms    []term
	groups   []*pruneGroup
	recorder Recorder
	rng      *rand.PCG
	rand     *rand.Rand

	step    int
	bound   bool
	params  []param
	dtype   dtypeKind
	metrics Metrics

	// eager is set when a Recorder or an adaptive policy reads the weight
	// metrics at every step. Otherwise Metrics measures them on demand.
	eager           bool
	weightsMeasured bool

	signals  map[string]float64
	observed []string
	adaptive []schedules.Adaptive
	owners   []string // per adaptive schedule, the names of what it scales

	// Per-step buffers sized by initMetrics, one entry per parameter.
	zeros         []int     // weights exactly 0
	absSum, sqSum []float64 // Σ|w| and Σw²
	haveStats     []bool    // zeros, absSum and sqSum are measured this step
	masked        []bool    // the mask is still applied after the inner and proximal steps
	keeps         [][]bool  // masks passed to the inner step; nil where none
	l1Term        []int     // index of the parameter's L1 prox term, or -1
	l1Threshold   []float64 // η·λ of that term at this step

	fuseProx        bool      // every prox is an L1 term, at most one per parameter
	pass            fusedPass // work passed to an inner solver of this package
	finishChunkFunc func(i, lo, hi int)
}

var _ gorgonia.Solver = (*Solver)(nil)

// term is one regularizer entry as the solver applies it.
type term struct {
	entry  graphs.Entry
	index  int // entry index in the regularizer
	param  int // index in the model, set by bind
	prox   ops.ProxTerm
	isL1   bool
	lambda float64 // λ at the current step
	key    string  // "penalty/<name>"
}

// Wrap returns a Solver around inner. The learning rate (WithLearnRate or
// WithLearnRateSchedule) is required when a regularizer term acts through
// the proximal step. When given, it is applied to inner, which must then
// be one of Gorgonia's Vanilla, Momentum, Adam, RMSProp or
// BarzilaiBorwein solvers, or implement SetLearnRate(float64) as this
// package's solvers do. BarzilaiBorwein chooses its own step size, so
// Wrap rejects it with a proximal term. Gorgonia v0.9.18's WithLearnRate
// does not reach AdaGradSolver, so an AdaGrad inner solver cannot take a
// learning rate from the wrapper.
func Wrap(inner gorgonia.Solver, opts ...Option) (*Solver, error) {
	if inner == nil {
		return nil, errors.New("solvers: Wrap: inner solver is nil")
	}
	c := config{seed: 1}
	for i, opt := range opts {
		if opt == nil {
			return nil, errors.Errorf("solvers: Wrap: option %d is nil", i)
		}
		if err := opt(&c); err != nil {
			return nil, err
		}
	}

	s := &Solver{
		inner:    inner,
		eta:      c.eta,
		etaSet:   c.etaSet,
		etaSched: c.etaSched,
		reg:      c.reg,
		groups:   c.groups,
		recorder: c.recorder,
		signals:  make(map[string]float64),
	}
	s.rng = rand.NewPCG(c.seed, 0x9e3779b97f4a7c15)
	s.rand = rand.New(s.rng)

	if err := s.initTerms(); err != nil {
		return nil, err
	}
	if err := s.checkGroups(); err != nil {
		return nil, err
	}
	s.collectAdaptive()
	s.eager = s.recorder != nil || len(s.adaptive) > 0
	if s.etaSet {
		if !canSetLearnRate(inner) {
			return nil, errors.Errorf("solvers: Wrap: cannot set the learning rate of %T. "+
				"Use a Gorgonia solver or one with a SetLearnRate(float64) method", inner)
		}
		if s.etaSched == nil {
			setLearnRate(inner, s.eta)
		}
	}
	if err := s.writeCoefficients(0); err != nil {
		return nil, errors.Wrap(err, "solvers: Wrap")
	}
	return s, nil
}

// initTerms reads the regularizer's entries and checks that each
// proximal one can be applied.
func (s *Solver) initTerms() error {
	if s.reg == nil {
		return nil
	}
	for i, e := range s.reg.Entries() {
		t := term{entry: e, index: i, param: -1, key: "penalty/" + e.Name}
		if e.Schedule == nil || e.W == nil || e.Term == nil {
			return errors.Errorf("solvers: Wrap: regularizer entry %q is incomplete", e.Name)
		}
		if e.Mode == graphs.Proximal {
			p, ok := e.Term.(ops.ProxTerm)
			if !ok {
				return errors.Errorf("solvers: Wrap: term %q (%T) acts through the proximal "+
					"step but has no Prox method", e.Name, e.Term)
			}
			t.prox = p
			t.isL1 = isL1(e.Term)
			if !s.etaSet {
				return errors.Errorf("solvers: Wrap: term %q acts through the proximal step, "+
					"which needs the learning rate: add WithLearnRate or WithLearnRateSchedule",
					e.Name)
			}
			if _, ok := s.inner.(*gorgonia.BarzilaiBorweinSolver); ok {
				return errors.Errorf("solvers: Wrap: term %q acts through the proximal step, "+
					"but BarzilaiBorweinSolver chooses its own step size", e.Name)
			}
		}
		s.terms = append(s.terms, t)
	}
	return nil
}

// writeCoefficients writes λ(step) into every coefficient node and stores
// it as each term's current λ. It fails, writing nothing, if a λ is not
// finite and non-negative.
func (s *Solver) writeCoefficients(step int) error {
	for i := range s.terms {
		if _, err := s.lambdaAt(i, step); err != nil {
			return err
		}
	}
	for i := range s.terms {
		t := &s.terms[i]
		t.lambda, _ = s.lambdaAt(i, step)
		if err := s.reg.SetCoefficient(t.index, t.lambda); err != nil {
			return err
		}
	}
	return nil
}

func (s *Solver) lambdaAt(i, step int) (float64, error) {
	t := &s.terms[i]
	v := t.entry.Schedule.At(step)
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, errors.Errorf("solvers: λ of term %q at step %d (%v) is not finite and "+
			"non-negative", t.entry.Name, step, v)
	}
	return v, nil
}

// canSetLearnRate reports whether setLearnRate reaches inner.
func canSetLearnRate(inner gorgonia.Solver) bool {
	switch inner.(type) {
	case *gorgonia.VanillaSolver, *gorgonia.Momentum, *gorgonia.AdamSolver,
		*gorgonia.RMSPropSolver, *gorgonia.BarzilaiBorweinSolver:
		return true
	case interface{ SetLearnRate(float64) }:
		return true
	}
	return false
}

// setLearnRate sets the learning rate of inner. Gorgonia's WithLearnRate
// sets only the rate field of an existing solver, so moments are kept.
func setLearnRate(inner gorgonia.Solver, eta float64) {
	if ls, ok := inner.(interface{ SetLearnRate(float64) }); ok {
		ls.SetLearnRate(eta)
		return
	}
	gorgonia.WithLearnRate(eta)(inner)
}

// Steps returns the number of completed steps.
func (s *Solver) Steps() int { return s.step }

// Inner returns the wrapped solver.
func (s *Solver) Inner() gorgonia.Solver { return s.inner }

// InnerCheckpointed reports whether Save includes the inner solver's
// state. It is false for Gorgonia's solvers, whose moments are
// unexported: after Load such a solver starts its moments from zero, so a
// resumed run differs from an uninterrupted one.
func (s *Solver) InnerCheckpointed() bool {
	_, ok := s.inner.(Checkpointer)
	return ok
}

// Observe feeds a measured signal, such as a validation loss, to the
// adaptive policies. The value is passed to Update after the next Step
// together with the signals the solver measures, then deleted.
func (s *Solver) Observe(name string, v float64) {
	if _, ok := s.signals[name]; !ok {
		s.observed = append(s.observed, name)
	}
	s.signals[name] = v
}
