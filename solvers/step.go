package solvers

import (
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/regsched/regsched/graphs"
	"github.com/regsched/regsched/schedules"
)

type dtypeKind int

const (
	noType dtypeKind = iota
	f32
	f64
)

func (d dtypeKind) String() string {
	switch d {
	case f32:
		return "float32"
	case f64:
		return "float64"
	}
	return "none"
}

// param is one entry of the model list as the solver tracks it.
type param struct {
	vg     gorgonia.ValueGrad
	node   *gorgonia.Node // nil when the entry is not a node
	name   string
	scalar bool
	size   int
	keep   []bool // nil when the parameter is not pruned
	layer  *layer
	group  *pruneGroup
	key    string       // "sparsity/<name>"
	shape  tensor.Shape // of the weight at the first Step; nil for a scalar

	// Refreshed by check at every step.
	w32, g32 []float32
	w64, g64 []float64
	dense    *tensor.Dense
	gradSq   float64
}

// Step performs one solver step on model, in this order:
//
//  1. Check every gradient (finite, with the weight's shape and type) and
//     the parameter list (the same entries in the same order as at the
//     first Step). On any failure, return an error and change nothing.
//  2. Zero the gradients of pruned weights.
//  3. Run the inner solver with the learning rate η(t).
//  4. Apply each proximal term's prox with threshold η(t)·λ(t).
//  5. Re-apply the masks, then update or regrow them at the steps the
//     pruning schedule sets, so that pruned weights are exactly 0.
//  6. Measure the signals (sparsity, norms, penalty values), let the
//     adaptive policies move, and write λ(t+1) into the coefficient
//     nodes for the next forward pass.
//  7. Record the metrics and pass them to the Recorder.
//
// With an inner solver of this package, step 2 is left out, and steps 4
// (when every proximal term is L1) and 5 (the masking) run inside its
// pass over each chunk of weights. The moments of pruned weights follow
// their gradients instead of decaying, and they are zeroed before every
// mask update, so a weight that comes back starts with zero moments, as
// a regrown one does. Under Gorgonia's solvers it keeps the moments it
// had when it was pruned, decayed. Until a pruned weight comes back, the
// weights have the same bits under this package's solver and Gorgonia's
// of the same kind. Scores that need the gradient (Taylor pruning, RigL
// regrowth) are read between steps 1 and 2, because Gorgonia's solvers
// zero the gradient. An error from the inner solver itself is returned
// wrapped, and the weights it already changed stay changed.
func (s *Solver) Step(model []gorgonia.ValueGrad) error {
	firstBind := !s.bound
	if firstBind {
		if err := s.bind(model); err != nil {
			return err
		}
	}
	if err := s.check(model); err != nil {
		if firstBind {
			s.bound = false
		}
		return err
	}
	t := s.step

	eta, err := s.learnRateAt(t)
	if err != nil {
		return err
	}
	for i := range s.terms {
		if s.terms[i].lambda, err = s.lambdaAt(i, t); err != nil {
			return errors.Wrap(err, "solvers: Step")
		}
	}
	for _, g := range s.groups {
		if err := g.plan(t); err != nil {
			return err
		}
	}

	// Nothing has changed up to here.
	s.captureScores()
	if s.etaSched != nil {
		setLearnRate(s.inner, eta)
	}
	masked := s.masked
	clear(masked)
	clear(s.haveStats)
	if err := s.innerStep(model, eta); err != nil {
		return err
	}

	if err := s.proxStep(eta); err != nil {
		return err
	}
	for i := range s.params {
		if s.params[i].keep != nil && !masked[i] {
			s.maskWithStats(i)
		}
	}
	s.accumulateMovement()
	updated, flips := s.updateMasks(t)

	s.measure(t, eta, updated, flips)
	s.advancePolicies(t)
	s.step++
	// An invalid λ(t+1) is left unwritten, and the next Step reports it.
	_ = s.writeCoefficients(s.step)

	if s.recorder != nil {
		s.recorder.Record(&s.metrics)
	}
	return nil
}

func (s *Solver) learnRateAt(t int) (float64, error) {
	if s.etaSched == nil {
		return s.eta, nil
	}
	eta := s.etaSched.At(t)
	if !(eta > 0) || math.IsInf(eta, 1) {
		return 0, errors.Errorf("solvers: Step: learning rate at step %d (%v) is not "+
			"positive and finite", t, eta)
	}
	return eta, nil
}

// bind records the parameter list of the first Step and resolves the
// pruned and penalised weights to positions in it.
func (s *Solver) bind(model []gorgonia.ValueGrad) error {
	if len(model) == 0 {
		return errors.New("solvers: Step: the parameter list is empty")
	}
	params := make([]param, len(model))
	for i, vg := range model {
		if vg == nil {
			return errors.Errorf("solvers: Step: parameter %d is nil", i)
		}
		p := &params[i]
		p.vg = vg
		p.node, _ = vg.(*gorgonia.Node)
		if nm, ok := vg.(gorgonia.Namer); ok {
			p.name = nm.Name()
		} else {
			p.name = fmt.Sprintf("parameter %d", i)
		}
		p.key = "sparsity/" + p.name
	}
	find := func(n *gorgonia.Node) int {
		for i := range params {
			if params[i].node == n {
				return i
			}
		}
		return -1
	}

	for _, g := range s.groups {
		for _, l := range g.layers {
			i := find(l.node)
			if i < 0 {
				return errors.Errorf("solvers: Step: pruned parameter %q is not in the "+
					"parameter list", l.name)
			}
			if params[i].keep != nil {
				return errors.Errorf("solvers: Step: parameter %q is pruned twice", l.name)
			}
			l.param = i
			params[i].keep, params[i].layer, params[i].group = l.keep, l, g
		}
	}
	for k := range s.terms {
		t := &s.terms[k]
		t.param = find(t.entry.W)
		if t.param < 0 && t.entry.Mode == graphs.Proximal {
			return errors.Errorf("solvers: Step: weight %q of proximal term %q is not in "+
				"the parameter list", t.entry.W.Name(), t.entry.Name)
		}
	}

	s.params = params
	s.bound = true
	s.initMetrics()
	return nil
}

// sameParam reports whether a and b are the same parameter: the same
// node, or equal values of a comparable type.
func sameParam(a, b gorgonia.ValueGrad) bool {
	na, okA := a.(*gorgonia.Node)
	nb, okB := b.(*gorgonia.Node)
	if okA || okB {
		return okA && okB && na == nb
	}
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	return ta == tb && ta.Comparable() && a == b
}

// check validates model against the bound parameter list and refreshes
// each parameter's data slices. It changes nothing the caller can see.
func (s *Solver) check(model []gorgonia.ValueGrad) error {
	if len(model) != len(s.params) {
		return errors.Errorf("solvers: Step: the parameter list has %d entries, but the "+
			"first Step had %d, and the list must not change", len(model), len(s.params))
	}
	s.dtype = noType
	for i, vg := range model {
		p := &s.params[i]
		if !sameParam(vg, p.vg) {
			return errors.Errorf("solvers: Step: entry %d of the parameter list is not %q "+
				"as at the first Step, and the list must not change", i, p.name)
		}
		if err := s.checkParam(p); err != nil {
			return err
		}
	}
	for _, t := range s.terms {
		if t.param >= 0 && t.entry.Mode == graphs.Proximal && s.params[t.param].scalar {
			return errors.Errorf("solvers: Step: proximal term %q needs a tensor weight, "+
				"but %q is a scalar", t.entry.Name, s.params[t.param].name)
		}
	}
	return nil
}

func (s *Solver) checkParam(p *param) error {
	w := p.vg.Value()
	g, err := p.vg.Grad()
	if err != nil {
		return errors.Wrapf(err, "solvers: Step: no gradient for %q", p.name)
	}
	var kind dtypeKind
	switch wv := w.(type) {
	case *tensor.Dense:
		gv, ok := g.(*tensor.Dense)
		if !ok {
			return errors.Errorf("solvers: Step: gradient of %q is a %T, but its weight is "+
				"a *tensor.Dense", p.name, g)
		}
		if !wv.Shape().Eq(gv.Shape()) {
			return errors.Errorf("solvers: Step: gradient of %q has shape %v, but its "+
				"weight has shape %v", p.name, gv.Shape(), wv.Shape())
		}
		if wv.Dtype() != gv.Dtype() {
			return errors.Errorf("solvers: Step: gradient of %q is %v, but its weight is "+
				"%v, and mixed float types are not supported", p.name, gv.Dtype(), wv.Dtype())
		}
		if !wv.IsNativelyAccessible() || !gv.IsNativelyAccessible() {
			return errors.Errorf("solvers: Step: %q is not in Go memory", p.name)
		}
		// Inner solvers keep moments by position and size, so a weight
		// that changed shape would be stepped with the moments of another.
		if p.shape == nil {
			p.shape = wv.Shape().Clone()
		} else if !wv.Shape().Eq(p.shape) {
			return errors.Errorf("solvers: Step: %q has shape %v, but it had shape %v at "+
				"the first Step, and the weights must not change shape", p.name, wv.Shape(), p.shape)
		}
		p.dense, p.scalar, p.size = wv, false, wv.Shape().TotalSize()
		p.w32, p.g32, p.w64, p.g64 = nil, nil, nil, nil
		switch wv.Dtype() {
		case tensor.Float32:
			kind, p.w32, p.g32 = f32, wv.Float32s(), gv.Float32s()
		case tensor.Float64:
			kind, p.w64, p.g64 = f64, wv.Float64s(), gv.Float64s()
		default:
			return errors.Errorf("solvers: Step: %q is %v, but only float32 and float64 are "+
				"supported", p.name, wv.Dtype())
		}
		if p.layer != nil && !wv.Shape().Eq(p.layer.shape) {
			return errors.Errorf("solvers: Step: %q has shape %v, but its mask was built "+
				"for %v", p.name, wv.Shape(), p.layer.shape)
		}
	case *gorgonia.F32:
		gv, ok := g.(*gorgonia.F32)
		kind = f32
		if err := p.setScalar(kind, g, ok, func() float64 { return float64(*gv) }); err != nil {
			return err
		}
	case *gorgonia.F64:
		gv, ok := g.(*gorgonia.F64)
		kind = f64
		if err := p.setScalar(kind, g, ok, func() float64 { return float64(*gv) }); err != nil {
			return err
		}
	default:
		return errors.Errorf("solvers: Step: weight of %q is a %T, but only *tensor.Dense, "+
			"*gorgonia.F32 and *gorgonia.F64 are supported", p.name, w)
	}
	if s.dtype == noType {
		s.dtype = kind
	} else if s.dtype != kind {
		return errors.Errorf("solvers: Step: %q is %v, but earlier parameters are %v, "+
			"and mixed float types are not supported", p.name, kind, s.dtype)
	}
	if p.scalar {
		return nil
	}

	var bad int
	if p.g32 != nil {
		bad, p.gradSq = firstNonFinite32(p.g32, p.keep)
		if bad >= 0 {
			return errors.Errorf("solvers: Step: gradient of %q has %v at index %d",
				p.name, p.g32[bad], bad)
		}
	} else {
		bad, p.gradSq = firstNonFinite(p.g64, p.keep)
		if bad >= 0 {
			return errors.Errorf("solvers: Step: gradient of %q has %v at index %d",
				p.name, p.g64[bad], bad)
		}
	}
	return nil
}

// setScalar records p as a scalar parameter of the given kind. ok reports
// whether the gradient g has that kind, and grad returns its value.
func (p *param) setScalar(kind dtypeKind, g gorgonia.Value, ok bool, grad func() float64) error {
	if !ok {
		return errors.Errorf("solvers: Step: gradient of %q is a %T, but its weight is a %v "+
			"scalar", p.name, g, kind)
	}
	p.scalar, p.size, p.dense = true, 1, nil
	p.w32, p.g32, p.w64, p.g64 = nil, nil, nil, nil
	if v := grad(); v-v != 0 {
		return errors.Errorf("solvers: Step: gradient of %q is %v", p.name, v)
	}
	p.gradSq = grad() * grad()
	return nil
}

// innerStep runs the inner solver. An inner solver of this package
// zeros the pruned weights after its update, in its own pass over each
// chunk of weights, and leaves their gradients as they are (see Step).
// When every proximal term is L1, at most one per parameter, that pass
// also applies the prox with threshold η·λ and measures the weights. For
// any other solver the gradients of pruned weights are zeroed before it
// runs, and the weights after the proximal step.
func (s *Solver) innerStep(model []gorgonia.ValueGrad, eta float64) error {
	keeps := s.keeps
	for i := range s.params {
		p := &s.params[i]
		keeps[i] = nil
		if p.keep != nil && p.layer.masked() {
			keeps[i] = p.keep
		}
	}

	var err error
	if ms, ok := s.inner.(maskedStepper); ok {
		pass := &s.pass
		pass.keep, pass.after = keeps, nil
		if s.fuseProx {
			pass.after = s.finishChunkFunc
			for i := range s.params {
				s.l1Threshold[i] = 0
				if k := s.l1Term[i]; k >= 0 {
					s.l1Threshold[i] = eta * s.terms[k].lambda
				}
			}
			clear(s.zeros)
			clear(s.absSum)
			clear(s.sqSum)
		}
		err = ms.stepMasked(model, pass)
		for i, k := range keeps {
			s.masked[i] = k != nil || (s.fuseProx && s.params[i].keep != nil)
			s.haveStats[i] = s.fuseProx && s.eager
		}
	} else {
		for i, k := range keeps {
			if k == nil {
				continue
			}
			if p := &s.params[i]; p.g32 != nil {
				applyMask(p.g32, k)
			} else {
				applyMask(p.g64, k)
			}
		}
		err = s.inner.Step(model)
	}
	return errors.Wrap(err, "solvers: Step: inner solver")
}

// proxStep applies every proximal term and records in s.masked which
// parameters keep their mask afterwards. The fused L1 pass applies the
// mask and measures the weights while each chunk is in cache. Any other
// prox may move pruned weights, so the mask is applied again after it.
func (s *Solver) proxStep(eta float64) error {
	if s.fuseProx {
		if _, ok := s.inner.(maskedStepper); ok {
			return nil // innerStep applied every prox
		}
	}

	for i := range s.terms {
		t := &s.terms[i]
		if t.prox == nil {
			continue
		}
		p := &s.params[t.param]
		thr := eta * t.lambda
		if t.isL1 {
			s.proxL1WithStats(t.param, thr)
			s.masked[t.param] = true
			continue
		}
		if thr == 0 {
			continue
		}
		// The prox reads pruned weights as 0, whichever path masked them.
		if p.keep != nil && !s.masked[t.param] {
			if p.w32 != nil {
				applyMask(p.w32, p.keep)
			} else {
				applyMask(p.w64, p.keep)
			}
		}
		if err := t.prox.Prox(p.dense, thr); err != nil {
			return errors.Wrapf(err, "solvers: Step: prox of term %q", t.entry.Name)
		}
		s.masked[t.param] = false
		s.haveStats[t.param] = false
	}
	return nil
}

// statsChunk is the number of weights a fused pass handles at a time, so
// that measuring them after the update reads the L1 cache, not memory.
const statsChunk = 2048

// finishChunk does the wrapper's work on weights [lo, hi) of parameter i
// right after the inner solver updated them. It applies the L1 prox when
// the parameter has one, and the mask. It also measures the chunk when
// the metrics are measured at every step.
func (s *Solver) finishChunk(i, lo, hi int) {
	p := &s.params[i]
	var keep []bool
	if p.keep != nil {
		keep = p.keep[lo:hi]
	}
	thr := s.l1Threshold[i]
	switch {
	case s.l1Term[i] >= 0 && p.w32 != nil:
		softThreshold32(p.w32[lo:hi], float32(thr), keep)
	case s.l1Term[i] >= 0:
		softThreshold(p.w64[lo:hi], thr, keep)
	case keep != nil && p.w32 != nil:
		applyMask(p.w32[lo:hi], keep)
	case keep != nil:
		applyMask(p.w64[lo:hi], keep)
	}
	if !s.eager {
		return
	}
	z, a, q := p.chunkStats(lo, hi)
	s.zeros[i], s.absSum[i], s.sqSum[i] = s.zeros[i]+z, s.absSum[i]+a, s.sqSum[i]+q
}

// chunkStats returns the number of zeros, Σ|w| and Σw² of weights
// [lo, hi) of p.
func (p *param) chunkStats(lo, hi int) (zeros int, abs, sq float64) {
	if p.w32 != nil {
		return weightStats32(p.w32[lo:hi])
	}
	return weightStats(p.w64[lo:hi])
}

// proxL1WithStats applies the L1 prox with threshold thr and the mask to
// parameter i and, when the metrics are measured at every step, stores
// its weight statistics.
func (s *Solver) proxL1WithStats(i int, thr float64) {
	s.passWithStats(i, func(lo, hi int) {
		p := &s.params[i]
		var keep []bool
		if p.keep != nil {
			keep = p.keep[lo:hi]
		}
		if p.w32 != nil {
			softThreshold32(p.w32[lo:hi], float32(thr), keep)
		} else {
			softThreshold(p.w64[lo:hi], thr, keep)
		}
	})
}

// maskWithStats applies the mask of parameter i and, when the metrics are
// measured at every step, stores its weight statistics.
func (s *Solver) maskWithStats(i int) {
	s.passWithStats(i, func(lo, hi int) {
		if p := &s.params[i]; p.w32 != nil {
			applyMask(p.w32[lo:hi], p.keep[lo:hi])
		} else {
			applyMask(p.w64[lo:hi], p.keep[lo:hi])
		}
	})
}

// passWithStats runs update on the weights of parameter i in chunks of
// statsChunk and, when the metrics are measured at every step, measures
// each chunk after its update.
func (s *Solver) passWithStats(i int, update func(lo, hi int)) {
	p := &s.params[i]
	var zeros int
	var abs, sq float64
	for lo := 0; lo < p.size; lo += statsChunk {
		hi := min(lo+statsChunk, p.size)
		update(lo, hi)
		if !s.eager {
			continue
		}
		z, a, q := p.chunkStats(lo, hi)
		zeros, abs, sq = zeros+z, abs+a, sq+q
	}
	s.zeros[i], s.absSum[i], s.sqSum[i], s.haveStats[i] = zeros, abs, sq, s.eager
}

// measure fills the metrics and the signals of step t. The weight
// statistics are measured now when a Recorder or an adaptive policy needs
// them at every step, and otherwise when Metrics is called.
func (s *Solver) measure(t int, eta float64, updated bool, flips int) {
	m := &s.metrics
	m.Step, m.MaskUpdated, m.Flips = t, updated, flips
	if s.etaSet {
		m.LearnRate = eta
	}
	var gsq float64
	for i := range s.params {
		p := &s.params[i]
		pm := &m.Params[i]
		pm.GradNorm = math.Sqrt(p.gradSq)
		if p.group != nil {
			pm.Target = p.group.pendingTarget
			pm.Flips = p.layer.flips
		}
		gsq += p.gradSq
	}
	m.GradNorm = math.Sqrt(gsq)
	s.signals["grad_norm"] = m.GradNorm
	for i := range s.terms {
		m.Terms[i].Lambda = s.terms[i].lambda
	}

	s.weightsMeasured = false
	if updated {
		clear(s.haveStats) // the fused passes ran before the mask update
	}
	if s.eager {
		s.measureWeights()
	}
}

// measureWeights fills the metrics and signals that depend on the
// weights: zeros, sparsity and norms per parameter and overall, and the
// value of every term.
func (s *Solver) measureWeights() {
	m := &s.metrics
	var zeros, size int
	var wsq float64
	for i := range s.params {
		p := &s.params[i]
		pm := &m.Params[i]
		if !s.haveStats[i] {
			switch {
			case p.w32 != nil:
				s.zeros[i], s.absSum[i], s.sqSum[i] = weightStats32(p.w32)
			case p.w64 != nil:
				s.zeros[i], s.absSum[i], s.sqSum[i] = weightStats(p.w64)
			default:
				s.zeros[i], s.absSum[i], s.sqSum[i] = scalarStats(p.vg.Value())
			}
			s.haveStats[i] = true
		}
		z, sq := s.zeros[i], s.sqSum[i]
		pm.Size, pm.Zeros = p.size, z
		pm.Sparsity = sparsity(z, p.size)
		pm.WeightNorm = math.Sqrt(sq)
		zeros += z
		size += p.size
		wsq += sq
		s.signals[p.key] = pm.Sparsity
	}
	m.Sparsity = sparsity(zeros, size)
	m.WeightNorm = math.Sqrt(wsq)
	s.signals["sparsity"] = m.Sparsity

	for i := range s.terms {
		t := &s.terms[i]
		m.Terms[i].Value = s.termValue(t)
		s.signals[t.key] = m.Terms[i].Value
	}
	s.weightsMeasured = true
}

// sparsity returns zeros/size, or 0 when size is 0, so that a parameter
// with no elements reports no sparsity instead of NaN.
func sparsity(zeros, size int) float64 {
	if size == 0 {
		return 0
	}
	return float64(zeros) / float64(size)
}

// termValue returns R(w) of a term, from the statistics of measure when
// the term is L1 or L2, and NaN when the term cannot be evaluated.
func (s *Solver) termValue(t *term) float64 {
	if t.param >= 0 {
		if v, ok := quickValue(t.entry.Term, s.absSum[t.param], s.sqSum[t.param]); ok {
			return v
		}
	}
	w, ok := t.entry.W.Value().(tensor.Tensor)
	if !ok {
		return math.NaN()
	}
	v, err := t.entry.Term.Value(w)
	if err != nil {
		return math.NaN()
	}
	return v
}

func scalarStats(v gorgonia.Value) (zeros int, abs, sq float64) {
	var f float64
	switch x := v.(type) {
	case *gorgonia.F32:
		f = float64(*x)
	case *gorgonia.F64:
		f = float64(*x)
	}
	if f == 0 {
		zeros = 1
	}
	return zeros, math.Abs(f), f * f
}

// advancePolicies passes the signals of step t to every adaptive
// schedule once, then deletes the signals given to Observe.
func (s *Solver) advancePolicies(t int) {
	m := &s.metrics
	m.Decisions = m.Decisions[:0]
	for i, a := range s.adaptive {
		n := len(m.Decisions)
		m.Decisions = append(m.Decisions, a.Update(t, s.signals)...)
		for j := n; j < len(m.Decisions); j++ {
			m.Decisions[j].Owner = s.owners[i]
		}
	}
	for _, name := range s.observed {
		delete(s.signals, name)
	}
	s.observed = s.observed[:0]
}

// initMetrics sizes the metrics and the per-step buffers after bind.
func (s *Solver) initMetrics() {
	m := &s.metrics
	m.Params = make([]ParamMetrics, len(s.params))
	for i := range s.params {
		m.Params[i].Name = s.params[i].name
		m.Params[i].Pruned = s.params[i].keep != nil
	}
	m.Terms = make([]TermMetrics, len(s.terms))
	for i := range s.terms {
		m.Terms[i].Name = s.terms[i].entry.Name
	}
	s.zeros = make([]int, len(s.params))
	s.absSum = make([]float64, len(s.params))
	s.sqSum = make([]float64, len(s.params))
	s.haveStats = make([]bool, len(s.params))
	s.masked = make([]bool, len(s.params))
	s.keeps = make([][]bool, len(s.params))

	// The prox joins the inner solver's pass when every proximal term is
	// L1, at most one per parameter.
	s.l1Term = make([]int, len(s.params))
	s.l1Threshold = make([]float64, len(s.params))
	s.pass.finish = make([]bool, len(s.params))
	for i := range s.l1Term {
		s.l1Term[i] = -1
	}
	s.fuseProx = true
	for k := range s.terms {
		t := &s.terms[k]
		if t.prox == nil {
			continue
		}
		if !t.isL1 || s.l1Term[t.param] >= 0 {
			s.fuseProx = false
			break
		}
		s.l1Term[t.param] = k
	}
	s.finishChunkFunc = s.finishChunk
	for i := range s.params {
		// The fused pass finishes a parameter that has an L1 prox, or every
		// parameter when the weights are measured at every step.
		s.pass.finish[i] = s.eager || s.l1Term[i] >= 0
		s.signals[s.params[i].key] = 0
	}
	s.signals["sparsity"] = 0
	s.signals["grad_norm"] = 0
	for i := range s.terms {
		s.signals[s.terms[i].key] = 0
	}
}

// collectAdaptive lists each distinct adaptive schedule once, with the
// names of the terms, pruning groups or learning rate it scales.
func (s *Solver) collectAdaptive() {
	add := func(sc schedules.Schedule, owner string) {
		a, ok := sc.(schedules.Adaptive)
		if !ok {
			return
		}
		for i, b := range s.adaptive {
			if sameSchedule(a, b) {
				s.owners[i] += ", " + owner
				return
			}
		}
		s.adaptive = append(s.adaptive, a)
		s.owners = append(s.owners, owner)
	}
	for _, t := range s.terms {
		add(t.entry.Schedule, t.entry.Name)
	}
	for _, g := range s.groups {
		names := make([]string, len(g.nodes))
		for i, n := range g.nodes {
			names[i] = n.Name()
		}
		add(g.sched, "pruning("+strings.Join(names, " ")+")")
	}
	if s.etaSched != nil {
		add(s.etaSched, "learn rate")
	}
}

func sameSchedule(a, b schedules.Adaptive) bool {
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	return ta == tb && ta.Comparable() && a == b
}
