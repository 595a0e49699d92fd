package solvers

import (
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The inner solvers below compute, for float32 and float64 *tensor.Dense
// parameters, the same operations in the same order as Gorgonia v0.9.18's
// tensor paths, so that on the same inputs they give the same bits (tested
// side by side on amd64 with the default GOAMD64=v1, where Go does not fuse
// multiply-add). Like Gorgonia's, they zero each gradient after use and
// keep their state by position in the parameter list. Unlike Gorgonia's,
// their state is in Save and Load, they reset the moments of weights that
// regrowth brings back, and they do not allocate per step. They do not
// take scalar parameters and do not offer Gorgonia's L1 and L2 options
// (use a graphs.Regularizer, or AdamW's decoupled decay).

// SGD is plain stochastic gradient descent, w ← w − η·g, as Gorgonia's
// VanillaSolver.
type SGD struct {
	LearnRate float64 // η; NewSGD sets 0.001
	Clip      float64 // clip gradients to [−Clip, Clip] when positive
	BatchSize float64 // divide gradients by BatchSize when above 1
}

// Momentum is SGD with momentum, v ← μ·v − η·g, w ← w + v, as Gorgonia's
// Momentum solver.
type Momentum struct {
	LearnRate float64 // η; NewMomentum sets 0.001
	Momentum  float64 // μ; NewMomentum sets 0.9
	Clip      float64
	BatchSize float64

	state moments
}

// Adam is the Adam solver (Kingma & Ba 2015) as Gorgonia's AdamSolver.
type Adam struct {
	LearnRate float64 // η; NewAdam sets 0.001
	Beta1     float64 // NewAdam sets 0.9
	Beta2     float64 // NewAdam sets 0.999
	Eps       float64 // NewAdam sets 1e-8
	Clip      float64
	BatchSize float64

	state moments
}

// AdamW is Adam with decoupled weight decay (Loshchilov & Hutter 2019):
// each step first scales w by 1 − η·WeightDecay, then takes the Adam step.
// With WeightDecay 0 it gives the same bits as Adam. Gorgonia v0.9.18's
// own AdamW writes its update into a copy of the weights, so it leaves
// them unchanged. This type replaces it.
type AdamW struct {
	Adam
	WeightDecay float64 // NewAdamW sets 0.01
}

// NewSGD returns an SGD with Gorgonia's defaults: η = 0.001, no clipping.
func NewSGD() *SGD { return &SGD{LearnRate: 0.001, BatchSize: 1} }

// NewMomentum returns a Momentum with Gorgonia's defaults: η = 0.001,
// μ = 0.9.
func NewMomentum() *Momentum { return &Momentum{LearnRate: 0.001, Momentum: 0.9, BatchSize: 1} }

// NewAdam returns an Adam with Gorgonia's defaults: η = 0.001, β₁ = 0.9,
// β₂ = 0.999, ε = 1e-8.
func NewAdam() *Adam {
	return &Adam{LearnRate: 0.001, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, BatchSize: 1}
}

// NewAdamW returns an AdamW with Adam's defaults and weight decay 0.01.
func NewAdamW() *AdamW { return &AdamW{Adam: *NewAdam(), WeightDecay: 0.01} }

// SetLearnRate sets η. Wrap calls it.
func (s *SGD) SetLearnRate(eta float64) { s.LearnRate = eta }

// SetLearnRate sets η. Wrap calls it.
func (s *Momentum) SetLearnRate(eta float64) { s.LearnRate = eta }

// SetLearnRate sets η. Wrap calls it.
func (s *Adam) SetLearnRate(eta float64) { s.LearnRate = eta }

var (
	_ gorgonia.Solver = (*SGD)(nil)
	_ gorgonia.Solver = (*Momentum)(nil)
	_ gorgonia.Solver = (*Adam)(nil)
	_ gorgonia.Solver = (*AdamW)(nil)
	_ Checkpointer    = (*Momentum)(nil)
	_ Checkpointer    = (*Adam)(nil)
	_ Checkpointer    = (*AdamW)(nil)
	_ Checkpointer    = (*SGD)(nil)

	_ maskedStepper = (*SGD)(nil)
	_ maskedStepper = (*Momentum)(nil)
	_ maskedStepper = (*Adam)(nil)
	_ maskedStepper = (*AdamW)(nil)
)

// moments is the per-parameter state: first and second moments for Adam,
// the velocity (in m) for Momentum.
type moments struct {
	iter  int
	two   bool // second moments are kept
	m32   [][]float32
	v32   [][]float32
	m64   [][]float64
	v64   [][]float64
	dtype []dtypeKind

	// placed is set once the moments lie where placeMoments puts them.
	// Load clears it.
	placed bool
}

// denseData returns the data of a parameter and its gradient.
func denseData(n gorgonia.ValueGrad, i int) (w32, g32 []float32, w64, g64 []float64, err error) {
	w, ok := n.Value().(*tensor.Dense)
	if !ok {
		return nil, nil, nil, nil, errors.Errorf("solvers: %s is a %T, not a *tensor.Dense",
			paramName(n, i), n.Value())
	}
	gv, err := n.Grad()
	if err != nil {
		return nil, nil, nil, nil, errors.Wrapf(err, "solvers: no gradient for %s",
			paramName(n, i))
	}
	g, ok := gv.(*tensor.Dense)
	if !ok || g.Dtype() != w.Dtype() || g.Size() != w.Size() {
		return nil, nil, nil, nil, errors.Errorf("solvers: gradient of %s does not match "+
			"its weight", paramName(n, i))
	}
	switch w.Dtype() {
	case tensor.Float32:
		return w.Float32s(), g.Float32s(), nil, nil, nil
	case tensor.Float64:
		return nil, nil, w.Float64s(), g.Float64s(), nil
	}
	return nil, nil, nil, nil, errors.Errorf("solvers: %s is %v, not float32 or float64",
		paramName(n, i), w.Dtype())
}

func paramName(n gorgonia.ValueGrad, i int) string {
	if nm, ok := n.(gorgonia.Namer); ok {
		return "parameter " + nm.Name()
	}
	return "parameter " + itoa(i)
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	p := len(b)
	neg := i < 0
	if neg {
		i = -i
	}
	for i > 0 {
		p--
		b[p] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		p--
		b[p] = '-'
	}
	return string(b[p:])
}

// prepare checks every parameter before anything changes. On the first
// step it allocates the state where placeMoments puts it, and after Load
// it moves the loaded state there.
func (st *moments) prepare(model []gorgonia.ValueGrad, two bool) error {
	if st.dtype != nil && len(st.dtype) != len(model) {
		return errors.Errorf("solvers: the parameter list has %d entries, but the state "+
			"was built for %d", len(model), len(st.dtype))
	}
	for i, n := range model {
		w32, _, w64, _, err := denseData(n, i)
		if err != nil {
			return err
		}
		if st.dtype != nil {
			ok := (w32 != nil && st.dtype[i] == f32 && len(st.m32[i]) == len(w32)) ||
				(w64 != nil && st.dtype[i] == f64 && len(st.m64[i]) == len(w64))
			if !ok {
				return errors.Errorf("solvers: %s differs from the one the state was "+
					"built for", paramName(n, i))
			}
		}
	}

	if st.placed {
		return nil
	}

	if st.dtype == nil {
		st.two = two
		st.dtype = make([]dtypeKind, len(model))
		st.m32, st.v32 = make([][]float32, len(model)), make([][]float32, len(model))
		st.m64, st.v64 = make([][]float64, len(model)), make([][]float64, len(model))
	}
	for i, n := range model {
		w32, g32, w64, g64, _ := denseData(n, i)
		if w32 != nil {
			st.dtype[i] = f32
			placeMoments(&st.m32[i], &st.v32[i], w32, g32, st.two)
		} else {
			st.dtype[i] = f64
			placeMoments(&st.m64[i], &st.v64[i], w64, g64, st.two)
		}
	}
	st.placed = true
	return nil
}

// resetMoments zeros the state of the weights of parameter i where reset
// is true.
func (st *moments) resetMoments(i int, reset []bool) {
	if st.dtype == nil || i >= len(st.dtype) {
		return
	}
	for j, r := range reset {
		if !r {
			continue
		}
		if st.dtype[i] == f32 {
			st.m32[i][j] = 0
			if st.two {
				st.v32[i][j] = 0
			}
		} else {
			st.m64[i][j] = 0
			if st.two {
				st.v64[i][j] = 0
			}
		}
	}
}

// resetPruned zeros the state of the weights of parameter i where keep
// is false. It leaves state of another size as it is, such as state that
// Load restored for another model, which the next Step rejects.
func (st *moments) resetPruned(i int, keep []bool) {
	if st.dtype == nil || i >= len(st.dtype) {
		return
	}
	if len(st.m32[i])+len(st.m64[i]) != len(keep) {
		return
	}
	if st.dtype[i] == f32 {
		applyMask(st.m32[i], keep)
		if st.two {
			applyMask(st.v32[i], keep)
		}
		return
	}
	applyMask(st.m64[i], keep)
	if st.two {
		applyMask(st.v64[i], keep)
	}
}

// clampAndScale divides g by the batch size when above 1 and clips it, as
// Gorgonia does before every update.
func clampAndScale[T float](g []T, batch, clip float64) {
	if batch > 1 {
		inv := T(1) / T(batch)
		for i := range g {
			g[i] = g[i] * inv
		}
	}
	if clip > 0 {
		hi, lo := T(clip), T(-clip)
		for i, v := range g {
			if v < lo || math.IsInf(float64(v), -1) {
				g[i] = lo
				continue
			}
			if v > hi || math.IsInf(float64(v), 1) {
				g[i] = hi
			}
		}
	}
}

// Step updates every parameter: w ← w − η·g, then zeros g.
func (s *SGD) Step(model []gorgonia.ValueGrad) error {
	return s.stepMasked(model, nil)
}

func (s *SGD) stepMasked(model []gorgonia.ValueGrad, f *fusedPass) error {
	for i, n := range model {
		if _, _, _, _, err := denseData(n, i); err != nil {
			return err
		}
	}
	for i, n := range model {
		w32, g32, w64, g64, _ := denseData(n, i)
		if w32 != nil {
			sgdStep(i, w32, g32, f, s.LearnRate, s.BatchSize, s.Clip)
		} else {
			sgdStep(i, w64, g64, f, s.LearnRate, s.BatchSize, s.Clip)
		}
	}
	return nil
}

// maskedStepper is an inner solver that finishes the wrapper's work on
// each chunk of weights inside its own pass over the data, so that the
// wrapper makes no more passes over memory.
type maskedStepper interface {
	stepMasked(model []gorgonia.ValueGrad, f *fusedPass) error
}

// fusedPass is the wrapper's work on parameter i that an inner solver
// runs chunk by chunk, f == nil meaning none. After the update of a chunk,
// after(i, lo, hi) finishes it when after is set and finish[i] is true.
// Otherwise the weights that keep[i] rejects are zeroed. keep[i] is nil
// for a parameter that is not pruned. The gradients of pruned weights are
// not masked: their moments follow them, the weights are zeroed after the
// update, and the wrapper zeros those moments before it changes a mask.
type fusedPass struct {
	keep   [][]bool
	after  func(i, lo, hi int)
	finish []bool // after runs on parameter i only where finish[i] is set
}

// chunked reports whether parameter i needs chunks, and returns its mask.
func (f *fusedPass) chunked(i int) (bool, []bool) {
	if f == nil {
		return false, nil
	}
	return f.keep[i] != nil || f.finishes(i), f.keep[i]
}

// finishes reports whether after runs on parameter i.
func (f *fusedPass) finishes(i int) bool { return f.after != nil && f.finish[i] }

// maskChunk is the number of weights a fused step updates before it
// finishes the chunk before them. Two chunks of weights, gradients, two
// moments and mask, 136 KiB in float32, stay in the L2 cache, and the
// calls per chunk cost little next to its update. On LeNet-300-100
// shapes, chunks from 512 to 4096 weights gave step times within the
// noise of a shared machine, 4096 the lowest by a little.
const maskChunk = 4096

// stepChunks runs update on parameter i, whose weights and gradient are
// w and g. It does the work of f (see fusedPass) on each chunk of
// maskChunk weights, or runs update on all of w at once when f has no
// work for i. Every part is elementwise, so the result equals doing each
// part on all of w in turn.
func stepChunks[T float](i int, w, g []T, f *fusedPass, update func(lo, hi int)) {
	chunked, keep := f.chunked(i)
	if !chunked {
		update(0, len(w))
		return
	}
	// Each chunk is finished one chunk behind the update, so that the
	// vector loads of the finishing pass read weights the scalar update
	// loop stored long before. Read right after, those stores would stall
	// the loads, which cannot take their data from several narrower
	// stores in flight.
	finish := func(lo int) {
		hi := min(lo+maskChunk, len(w))
		switch {
		case f.finishes(i):
			f.after(i, lo, hi)
		case keep != nil:
			applyMask(w[lo:hi], keep[lo:hi])
		}
	}
	for lo := 0; lo < len(w); lo += maskChunk {
		update(lo, min(lo+maskChunk, len(w)))
		if lo > 0 {
			finish(lo - maskChunk)
		}
	}
	finish((len(w) - 1) / maskChunk * maskChunk)
}

func sgdStep[T float](i int, w, g []T, f *fusedPass, eta, batch, clip float64) {
	clampAndScale(g, batch, clip)
	negEta := T(-eta)
	g = g[:len(w)]
	stepChunks(i, w, g, f, func(lo, hi int) {
		w, g := w[lo:hi], g[lo:hi]
		g = g[:len(w)]
		for i := range w {
			w[i] = w[i] + T(g[i]*negEta)
			g[i] = 0
		}
	})
}

// Step updates every parameter: v ← μ·v − η·g, w ← w + v, then zeros g.
func (s *Momentum) Step(model []gorgonia.ValueGrad) error {
	return s.stepMasked(model, nil)
}

func (s *Momentum) stepMasked(model []gorgonia.ValueGrad, f *fusedPass) error {
	if err := s.state.prepare(model, false); err != nil {
		return err
	}
	for i, n := range model {
		w32, g32, w64, g64, _ := denseData(n, i)
		if w32 != nil {
			momentumStep(i, w32, g32, s.state.m32[i], f, s)
		} else {
			momentumStep(i, w64, g64, s.state.m64[i], f, s)
		}
	}
	s.state.iter++
	return nil
}

func momentumStep[T float](i int, w, g, v []T, f *fusedPass, s *Momentum) {
	clampAndScale(g, s.BatchSize, s.Clip)
	negEta, m := T(-s.LearnRate), T(s.Momentum)
	g, v = g[:len(w)], v[:len(w)]
	stepChunks(i, w, g, f, func(lo, hi int) {
		w, g, v := w[lo:hi], g[lo:hi], v[lo:hi]
		g, v = g[:len(w)], v[:len(w)]
		for i := range w {
			vi := T(v[i]*m) + T(g[i]*negEta)
			v[i] = vi
			w[i] = w[i] + vi
			g[i] = 0
		}
	})
}

// Step updates every parameter with Adam's rule and zeros its gradient.
func (s *Adam) Step(model []gorgonia.ValueGrad) error {
	return s.step(model, nil, 0)
}

func (s *Adam) stepMasked(model []gorgonia.ValueGrad, f *fusedPass) error {
	return s.step(model, f, 0)
}

// Step scales every parameter by 1 − η·WeightDecay, takes an Adam step
// and zeros its gradient.
func (s *AdamW) Step(model []gorgonia.ValueGrad) error {
	return s.step(model, nil, s.WeightDecay)
}

func (s *AdamW) stepMasked(model []gorgonia.ValueGrad, f *fusedPass) error {
	return s.step(model, f, s.WeightDecay)
}

func (s *Adam) step(model []gorgonia.ValueGrad, f *fusedPass, decay float64) error {
	if err := s.state.prepare(model, true); err != nil {
		return err
	}
	s.state.iter++
	for i, n := range model {
		w32, g32, w64, g64, _ := denseData(n, i)
		if w32 != nil {
			adamStep(i, w32, g32, s.state.m32[i], s.state.v32[i], f, s, s.state.iter, decay)
		} else {
			adamStep(i, w64, g64, s.state.m64[i], s.state.v64[i], f, s, s.state.iter, decay)
		}
	}
	return nil
}

// adamStep follows the operation order of Gorgonia's AdamSolver on a
// *tensor.Dense: m ← (1−β₁)·g + β₁·m, v ← (1−β₂)·g² + β₂·v,
// w ← w + (m·c₁·(−η)) / (√(v·c₂) + ε) with cᵢ = 1/(1−βᵢᵗ).
func adamStep[T float](i int, w, g, m, v []T, f *fusedPass, s *Adam, iter int,
	decay float64) {
	clampAndScale(g, s.BatchSize, s.Clip)
	correction1 := 1 - math.Pow(s.Beta1, float64(iter))
	correction2 := 1 - math.Pow(s.Beta2, float64(iter))
	beta1, beta2 := T(s.Beta1), T(s.Beta2)
	omBeta1, omBeta2 := T(1)-T(s.Beta1), T(1)-T(s.Beta2)
	c1, c2 := T(1)/T(correction1), T(1)/T(correction2)
	eps, negEta := T(s.Eps), -T(s.LearnRate)
	scale := T(1 - s.LearnRate*decay)
	g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
	stepChunks(i, w, g, f, func(lo, hi int) {
		w, g, m, v := w[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi]
		g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
		if decay != 0 {
			for i := range w {
				w[i] = w[i] * scale
			}
		}
		for i := range w {
			gi := g[i]
			mi := T(gi*omBeta1) + T(m[i]*beta1)
			vi := T(T(gi*gi)*omBeta2) + T(v[i]*beta2)
			m[i], v[i] = mi, vi
			den := T(math.Sqrt(float64(T(vi*c2)))) + eps
			upd := T(T(mi*c1)*negEta) / den
			w[i] = w[i] + upd
			g[i] = 0
		}
	})
}

func (s *Momentum) resetMoments(i int, reset []bool) { s.state.resetMoments(i, reset) }
func (s *Adam) resetMoments(i int, reset []bool)     { s.state.resetMoments(i, reset) }
func (s *Momentum) resetPruned(i int, keep []bool)   { s.state.resetPruned(i, keep) }
func (s *Adam) resetPruned(i int, keep []bool)       { s.state.resetPruned(i, keep) }
