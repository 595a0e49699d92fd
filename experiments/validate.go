package experiments

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/pkg/errors"

	"github.com/regsched/regsched/schedules"
)

// Limits on recipe values, to turn a typo into an error before a long run.
const (
	maxSteps  = 100_000_000
	maxWidth  = 1 << 16
	maxLayers = 64
	maxSeeds  = 1000
)

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// ValidName reports whether name can name a recipe and its run folder:
// letters, digits, '.', '_' and '-', starting with a letter or digit, so
// that it is one path element that never climbs out of the output
// folder.
func ValidName(name string) bool { return validName.MatchString(name) }

// Validate checks every value of a recipe built in code or changed after
// parsing (as the command line's flags do). Errors name the recipe path,
// such as "pruning.sparsity (1.5) is outside [0, 1)".
func (r *Recipe) Validate() error {
	return r.validate("recipe", nil)
}

func (r *Recipe) validate(name string, lines KeyLines) error {
	e := NewFieldCheck(name, lines)
	if !ValidName(r.Name) {
		e.Fail("name", "(%q) must start with a letter or digit and contain only letters, "+
			"digits, '.', '_' and '-'", r.Name)
	}
	r.validateData(e)
	r.validateSize(e)
	if len(r.Model.Hidden) > maxLayers {
		e.Fail("model.hidden", "has %d layers, more than %d", len(r.Model.Hidden), maxLayers)
	}
	for i, h := range r.Model.Hidden {
		if h < 1 || h > maxWidth {
			e.Fail(fmt.Sprintf("model.hidden.%d", i), "(%d) is outside [1, %d]", h, maxWidth)
		}
	}

	r.validateSolver(e)
	if r.Steps < 1 || r.Steps > maxSteps {
		e.Fail("steps", "(%d) is outside [1, %d]", r.Steps, maxSteps)
	}
	if r.BatchSize < 1 {
		e.Fail("batch_size", "(%d) must be at least 1", r.BatchSize)
	}
	r.validateSplit(e)
	if r.EvalEvery < 1 {
		e.Fail("eval_every", "(%d) must be at least 1", r.EvalEvery)
	}
	if len(r.Seeds) == 0 || len(r.Seeds) > maxSeeds {
		e.Fail("seeds", "has %d seeds, expected between 1 and %d", len(r.Seeds), maxSeeds)
	}
	seen := map[uint64]bool{}
	for i, s := range r.Seeds {
		if seen[s] {
			e.Fail(fmt.Sprintf("seeds.%d", i), "(%d) is given twice", s)
		}
		seen[s] = true
	}

	for i := range r.Penalties {
		r.validatePenalty(e, i)
	}
	r.validateDuplicatePenalties(e)
	r.validatePruning(e)
	if r.Baseline && r.Pruning == nil && len(r.Penalties) == 0 {
		e.Fail("baseline", "needs penalties or pruning to compare against")
	}
	return errors.WithMessage(e.Err(), "experiments")
}

func (r *Recipe) validateData(e *FieldCheck) {
	d := r.Data
	switch d.Set {
	case "digits", "breast_cancer":
		if d.Path != "" {
			e.Fail("data.path", "(%q) is only read for fashion_mnist, because %s is built in", d.Path, d.Set)
		}
	case "fashion_mnist":
		if d.Path == "" {
			e.Fail("data.path", "is missing: fashion_mnist needs the folder of its IDX files")
		}
	default:
		e.Fail("data.set", "(%q) is unknown: expected digits, breast_cancer or fashion_mnist", d.Set)
	}
	if !(d.TestFraction > 0 && d.TestFraction < 1) {
		e.Fail("data.test_fraction", "(%v) is outside (0, 1)", d.TestFraction)
	}
}

func (r *Recipe) validateSolver(e *FieldCheck) {
	s := r.Solver
	switch s.Name {
	case "sgd", "momentum", "adam", "adamw", "rmsprop":
	default:
		e.Fail("solver.name", "(%q) is unknown: expected %s", s.Name, solverNames)
	}
	if s.LRSchedule != "" {
		sched, err := schedules.Parse(s.LRSchedule)
		if err != nil {
			e.Fail("solver.lr_schedule", "(%q): %v", s.LRSchedule, err)
		} else {
			forCheckedSteps(r.Steps, sched, func(t int) bool {
				if v := sched.At(t); !(v > 0) || math.IsInf(v, 0) {
					e.Fail("solver.lr_schedule",
						"gives η = %v at step %d, but η must be positive and finite", v, t)
					return false
				}
				return true
			})
		}
	} else if !(s.LR > 0) || math.IsInf(s.LR, 0) {
		e.Fail("solver.lr", "(%v) must be positive and finite", s.LR)
	}
	unit := func(path string, v float64) {
		if !(v >= 0 && v < 1) {
			e.Fail(path, "(%v) is outside [0, 1)", v)
		}
	}
	unit("solver.momentum", s.Momentum)
	unit("solver.beta1", s.Beta1)
	unit("solver.beta2", s.Beta2)
	if !(s.Epsilon >= 0) || math.IsInf(s.Epsilon, 0) {
		e.Fail("solver.epsilon", "(%v) must be non-negative and finite", s.Epsilon)
	}
	if !(s.WeightDecay >= 0) || math.IsInf(s.WeightDecay, 0) {
		e.Fail("solver.weight_decay", "(%v) must be non-negative and finite", s.WeightDecay)
	}
	if !(s.Clip >= 0) || math.IsInf(s.Clip, 0) {
		e.Fail("solver.clip", "(%v) must be non-negative and finite", s.Clip)
	}
}

// validParams reports whether key names weights of a model with the
// recipe's number of layers.
func (r *Recipe) validParams(key string) bool {
	switch key {
	case "weights", "biases", "all":
		return true
	}
	for k := 0; k <= len(r.Model.Hidden); k++ {
		if key == fmt.Sprintf("w%d", k) {
			return true
		}
	}
	return false
}

func (r *Recipe) validatePenalty(e *FieldCheck, i int) {
	p := r.Penalties[i]
	at := func(key string) string { return fmt.Sprintf("penalties.%d.%s", i, key) }
	if !r.validParams(p.Params) {
		e.Fail(at("params"), "(%q) names no weights: expected weights, biases, all or w0…w%d",
			p.Params, len(r.Model.Hidden))
	}
	switch p.Term {
	case "l1", "l2", "elastic_net", "group_lasso", "log_sum":
	default:
		e.Fail(at("term"), "(%q) is unknown: expected %s", p.Term, termNames)
	}
	if p.Term == "elastic_net" && !(p.L1Ratio >= 0 && p.L1Ratio <= 1) {
		e.Fail(at("l1_ratio"), "(%v) is outside [0, 1]", p.L1Ratio)
	}
	if p.Term == "group_lasso" && p.Axis != 0 && p.Axis != 1 {
		e.Fail(at("axis"), "(%d) must be 0 (columns are groups) or 1 (rows are groups)", p.Axis)
	}
	if p.Term == "log_sum" && (!(p.Eps > 0) || math.IsInf(p.Eps, 0)) {
		e.Fail(at("eps"), "(%v) must be positive and finite", p.Eps)
	}
	for _, f := range []struct {
		key, term string
		set       bool
	}{{"l1_ratio", "elastic_net", p.L1Ratio != 0}, {"axis", "group_lasso", p.Axis != 0},
		{"eps", "log_sum", p.Eps != 0}} {
		if f.set && p.Term != f.term {
			e.Fail(at(f.key), "applies only to the term %s", f.term)
		}
	}
	switch p.Mode {
	case "auto", "gradient", "proximal":
	default:
		e.Fail(at("mode"), "(%q) is unknown: expected auto, gradient or proximal", p.Mode)
	}
	if p.Schedule == "" {
		e.Fail(at("schedule"), "is missing: give λ(t), for example constant(1e-4)")
		return
	}
	s, err := schedules.Parse(p.Schedule)
	if err != nil {
		e.Fail(at("schedule"), "(%q): %v", p.Schedule, err)
		return
	}
	forCheckedSteps(r.Steps, s, func(t int) bool {
		if v := s.At(t); !(v >= 0) || math.IsInf(v, 0) {
			e.Fail(at("schedule"), "gives λ = %v at step %d, but λ must be non-negative and finite",
				v, t)
			return false
		}
		return true
	})
}

func (r *Recipe) validatePruning(e *FieldCheck) {
	p := r.Pruning
	if p == nil {
		return
	}
	if !r.validParams(p.Params) || p.Params == "biases" {
		e.Fail("pruning.params", "(%q) names no weight matrices: expected weights or w0…w%d",
			p.Params, len(r.Model.Hidden))
	}
	switch p.Criterion {
	case "magnitude", "random", "movement", "taylor":
	default:
		e.Fail("pruning.criterion", "(%q) is unknown: expected %s", p.Criterion, criterionNames)
	}

	if _, err := parseStructure(p.Structure); err != nil {
		e.Fail("pruning.structure", "%v", strings.TrimPrefix(err.Error(), "structure "))
	}
	if g := p.Regrowth; g != nil {
		switch {
		case g.Kind != "set" && g.Kind != "rigl":
			e.Fail("pruning.regrowth.kind", "(%q) is unknown: expected set or rigl", g.Kind)
		case g.Every < 1:
			e.Fail("pruning.regrowth.every", "(%d) must be at least 1", g.Every)
		case g.End < 1:
			e.Fail("pruning.regrowth.end", "(%d) must be at least 1", g.End)
		case !(g.DropFraction > 0 && g.DropFraction <= 1):
			e.Fail("pruning.regrowth.drop_fraction", "(%v) is outside (0, 1]", g.DropFraction)
		case p.Structure != "unstructured":
			e.Fail("pruning.regrowth", "needs unstructured pruning, not %s", p.Structure)
		}
	}

	if p.Schedule != "" {
		for _, f := range []struct {
			key string
			set bool
		}{{"start", p.Start != 0}, {"end", p.End != 0}, {"every", p.Every != 0},
			{"power", p.Power != 0}} {
			if _, written := e.lines["pruning."+f.key]; f.set || written {
				e.Fail("pruning."+f.key, "applies only without pruning.schedule")
			}
		}
	} else {
		if !(p.Sparsity >= 0 && p.Sparsity < 1) {
			e.Fail("pruning.sparsity", "(%v) is outside [0, 1)", p.Sparsity)
		}
		if p.Start < 0 {
			e.Fail("pruning.start", "(%d) is negative", p.Start)
		}
		if p.End < p.Start {
			e.Fail("pruning.end", "(%d) is before pruning.start (%d)", p.End, p.Start)
		}
		if p.Every < 1 {
			e.Fail("pruning.every", "(%d) must be at least 1", p.Every)
		}
		if !(p.Power > 0) || math.IsInf(p.Power, 0) {
			e.Fail("pruning.power", "(%v) must be positive and finite", p.Power)
		}
	}

	if e.Err() != nil {
		return
	}
	spec := p.PruningSchedule()
	s, err := schedules.Parse(spec)
	if err != nil {
		e.Fail("pruning.schedule", "(%q): %v", spec, err)
		return
	}
	if r.Steps < 1 || r.Steps > maxSteps {
		return
	}
	forCheckedSteps(r.Steps, s, func(t int) bool {
		if v := s.At(t); !(v >= 0 && v < 1) {
			e.Fail("pruning.schedule", "(%q) gives sparsity %v at step %d, outside [0, 1)",
				spec, v, t)
			return false
		}
		return true
	})

	final := s.At(r.Steps - 1)
	if p.Schedule != "" && p.Sparsity != 0 && math.Abs(final-p.Sparsity) > 1e-12 {
		e.Fail("pruning.sparsity", "(%v) differs from the value pruning.schedule reaches "+
			"at the last step (%v)", p.Sparsity, final)
	}
	r.validateStructureFit(e, final)
}

// maxCheckedSteps bounds the steps at which a schedule is checked, about
// 40 ms for a composed schedule (an estimate, not a measurement).
const maxCheckedSteps = 2_000_000

// forCheckedSteps calls check at the steps of a run of n steps where s
// can take a new value, until check returns false. A schedule that
// reports its span (schedules.Spanner) is constant before and after it,
// so step 0, the last step and every step of the span inside the run are
// checked. That is every step that matters when the span, or the run for
// a schedule without one, has at most maxCheckedSteps steps.
//
// NOTE: a longer span is checked at maxCheckedSteps evenly spaced steps
// and its ends, so a value that leaves its range only between them passes
// here. The solver still rejects it at the step where it occurs.
func forCheckedSteps(n int, s schedules.Schedule, check func(t int) bool) {
	if n < 1 || n > maxSteps {
		return
	}
	lo, hi := 0, n-1
	if sp, ok := s.(schedules.Spanner); ok {
		if start, end, ok := sp.Span(); ok {
			lo, hi = max(start, 0), min(end, n-1)
		}
	}
	// Steps go in increasing order, so the first failure is the earliest.
	last, stopped := -1, false
	visit := func(t int) {
		if stopped || t <= last {
			return
		}
		last = t
		stopped = !check(t)
	}
	visit(0)
	if lo <= hi {
		stride := 1
		if hi-lo+1 > maxCheckedSteps {
			stride = (hi - lo + 1) / maxCheckedSteps
		}
		for t := lo; t <= hi && !stopped; t += stride {
			visit(t)
		}
		visit(hi)
	}
	visit(n - 1)
}
