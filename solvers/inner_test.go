package solvers

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/regsched/regsched/graphs"
	"github.com/regsched/regsched/ops"
)

func bitsEqual(a, b []float64) int {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return i
		}
	}
	return -1
}

// TestInnerSolversMatchGorgonia trains two copies of one model side by
// side, one with Gorgonia's solver and one with this package's, and
// requires the same bits in every weight after every step.
func TestInnerSolversMatchGorgonia(t *testing.T) {
	cases := []struct {
		name  string
		gorg  func() gorgonia.Solver
		ours  func() gorgonia.Solver
		dtype tensor.Dtype
	}{
		{"sgd/f32", func() gorgonia.Solver { return gorgonia.NewVanillaSolver(gorgonia.WithLearnRate(0.05)) },
			func() gorgonia.Solver { s := NewSGD(); s.LearnRate = 0.05; return s }, tensor.Float32},
		{"sgd/f64 clip batch", func() gorgonia.Solver {
			return gorgonia.NewVanillaSolver(gorgonia.WithLearnRate(0.05), gorgonia.WithClip(0.5),
				gorgonia.WithBatchSize(4))
		}, func() gorgonia.Solver {
			s := NewSGD()
			s.LearnRate, s.Clip, s.BatchSize = 0.05, 0.5, 4
			return s
		}, tensor.Float64},
		{"momentum/f32", func() gorgonia.Solver {
			return gorgonia.NewMomentum(gorgonia.WithLearnRate(0.02), gorgonia.WithMomentum(0.8))
		}, func() gorgonia.Solver {
			s := NewMomentum()
			s.LearnRate, s.Momentum = 0.02, 0.8
			return s
		}, tensor.Float32},
		{"momentum/f64 clip", func() gorgonia.Solver {
			return gorgonia.NewMomentum(gorgonia.WithLearnRate(0.02), gorgonia.WithClip(0.3))
		}, func() gorgonia.Solver {
			s := NewMomentum()
			s.LearnRate, s.Clip = 0.02, 0.3
			return s
		}, tensor.Float64},
		{"adam/f32", func() gorgonia.Solver { return gorgonia.NewAdamSolver(gorgonia.WithLearnRate(0.01)) },
			func() gorgonia.Solver { s := NewAdam(); s.LearnRate = 0.01; return s }, tensor.Float32},
		{"adam/f64 clip batch", func() gorgonia.Solver {
			return gorgonia.NewAdamSolver(gorgonia.WithLearnRate(0.01), gorgonia.WithBeta1(0.8),
				gorgonia.WithBeta2(0.99), gorgonia.WithEps(1e-6), gorgonia.WithClip(1),
				gorgonia.WithBatchSize(2))
		}, func() gorgonia.Solver {
			s := NewAdam()
			s.LearnRate, s.Beta1, s.Beta2, s.Eps, s.Clip, s.BatchSize = 0.01, 0.8, 0.99, 1e-6, 1, 2
			return s
		}, tensor.Float64},
		{"adamw decay 0/f32", func() gorgonia.Solver { return gorgonia.NewAdamSolver(gorgonia.WithLearnRate(0.01)) },
			func() gorgonia.Solver { s := NewAdamW(); s.LearnRate, s.WeightDecay = 0.01, 0; return s },
			tensor.Float32},
	}
	for i, c := range cases {
		a, b := newModel(t, c.dtype, 11), newModel(t, c.dtype, 11)
		sa, sb := c.gorg(), c.ours()
		for step := 0; step < 50; step++ {
			a.train(t, sa, 1)
			b.train(t, sb, 1)
			for p := range a.params {
				wa, wb := float64s(a.params[p]), float64s(b.params[p])
				if j := bitsEqual(wa, wb); j >= 0 {
					t.Fatalf("case %d %s: step %d: %s[%d] = %v, Gorgonia gives %v",
						i, c.name, step, a.params[p].Name(), j, wb[j], wa[j])
				}
			}
		}
	}
}

// TestAdamWDecoupledDecay checks one AdamW step against the closed form
// w₁ = w₀·(1 − η·λ) − η·m̂/(√v̂ + ε) with m̂ = g, v̂ = g² at step 1.
func TestAdamWDecoupledDecay(t *testing.T) {
	m := newModel(t, tensor.Float64, 12)
	s := NewAdamW()
	s.LearnRate, s.WeightDecay = 0.1, 0.5
	w0 := float64s(m.w1)
	m.forward(t)
	gv, _ := m.w1.Grad()
	g := append([]float64(nil), gv.(*tensor.Dense).Float64s()...)
	if err := s.Step(gorgonia.NodesToValueGrads(m.params)); err != nil {
		t.Fatal(err)
	}
	w1 := float64s(m.w1)
	for j := range w0 {
		want := w0[j]*(1-0.05) - 0.1*g[j]/(math.Abs(g[j])+1e-8)
		if math.Abs(w1[j]-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Fatalf("w1[%d] = %v, want %v", j, w1[j], want)
		}
	}
}

func TestInnerSolverZerosGradients(t *testing.T) {
	for i, s := range []gorgonia.Solver{NewSGD(), NewMomentum(), NewAdam(), NewAdamW()} {
		m := newModel(t, tensor.Float32, 13)
		m.train(t, s, 1)
		for _, p := range m.params {
			g, _ := p.Grad()
			for j, v := range g.(*tensor.Dense).Float32s() {
				if v != 0 {
					t.Fatalf("solver %d: gradient %s[%d] = %v after Step, want 0", i, p.Name(), j, v)
				}
			}
		}
	}
}

// upDown is a sparsity target that rises to 0.6 at step 15 and falls to
// 0.2 at step 30, so that pruned weights come back.
type upDown struct{}

func (upDown) At(t int) float64 {
	if t <= 15 {
		return 0.6 * float64(t) / 15
	}
	return max(0.2, 0.6-0.4*float64(t-15)/15)
}

// TestWrappedInnerSolversMatchGorgonia runs the wrapper with pruning, an
// L1 and a group lasso prox around Gorgonia's solver and around this
// package's, which masks inside its own pass, and requires the same bits
// in every weight after every step. The sparsity targets only rise: a
// weight that comes back starts with zero moments under this package's
// solvers, but not under Gorgonia's (see TestReturningWeightsStartAfresh).
func TestWrappedInnerSolversMatchGorgonia(t *testing.T) {
	cases := []struct {
		name string
		gorg func() gorgonia.Solver
		ours func() gorgonia.Solver
	}{
		{"sgd", func() gorgonia.Solver { return gorgonia.NewVanillaSolver() },
			func() gorgonia.Solver { return NewSGD() }},
		{"momentum", func() gorgonia.Solver { return gorgonia.NewMomentum() },
			func() gorgonia.Solver { return NewMomentum() }},
		{"adam", func() gorgonia.Solver { return gorgonia.NewAdamSolver() },
			func() gorgonia.Solver { return NewAdam() }},
	}
	wrap := func(m *model, inner gorgonia.Solver, groupLasso bool) *Solver {
		reg := graphs.NewRegularizer(m.g)
		if err := reg.Add(m.w1, ops.L1{}, constant(0.05)); err != nil {
			t.Fatal(err)
		}
		// Without the group lasso, the L1 prox joins the inner pass of
		// this package's solvers.
		if groupLasso {
			if err := reg.Add(m.w2, ops.GroupLasso{Axis: 1}, constant(0.05),
				graphs.WithMode(graphs.Proximal)); err != nil {
				t.Fatal(err)
			}
		}
		s, err := Wrap(inner, WithLearnRate(0.02), WithRegularizer(reg),
			WithPruning(m.w1, Magnitude{}, ramp{to: 0.6, end: 15}, UpdateEvery(3)),
			WithPruning(m.w2, Magnitude{}, ramp{to: 0.5, end: 20}))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for i, c := range cases {
		for _, groupLasso := range []bool{false, true} {
			a, b := newModel(t, tensor.Float32, 13), newModel(t, tensor.Float32, 13)
			sa, sb := wrap(a, c.gorg(), groupLasso), wrap(b, c.ours(), groupLasso)
			for step := 0; step < 40; step++ {
				a.train(t, sa, 1)
				b.train(t, sb, 1)
				for p := range a.params {
					wa, wb := float64s(a.params[p]), float64s(b.params[p])
					if j := bitsEqual(wa, wb); j >= 0 {
						t.Fatalf("case %d %s (group lasso %v): step %d: %s[%d] = %v, with "+
							"Gorgonia's solver %v", i, c.name, groupLasso, step,
							a.params[p].Name(), j, wb[j], wa[j])
					}
				}
			}
		}
	}
}

// TestReturningWeightsStartAfresh wraps each of this package's solvers
// with a sparsity target that rises and falls. It requires that after
// every step the weights pruned during it are +0, and that a weight the
// mask lets back has moments 0, as a regrown one does.
func TestReturningWeightsStartAfresh(t *testing.T) {
	moments := func(inner gorgonia.Solver) [][]float32 {
		switch s := inner.(type) {
		case *Momentum:
			return [][]float32{s.state.m32[0]}
		case *Adam:
			return [][]float32{s.state.m32[0], s.state.v32[0]}
		case *AdamW:
			return [][]float32{s.state.m32[0], s.state.v32[0]}
		}
		return nil
	}
	for _, inner := range []gorgonia.Solver{NewSGD(), NewMomentum(), NewAdam(), NewAdamW()} {
		t.Run(fmt.Sprintf("%T", inner), func(t *testing.T) {
			m := newModel(t, tensor.Float32, 13)
			reg := graphs.NewRegularizer(m.g)
			if err := reg.Add(m.w1, ops.L1{}, constant(0.05)); err != nil {
				t.Fatal(err)
			}
			s, err := Wrap(inner, WithLearnRate(0.02), WithRegularizer(reg),
				WithPruning(m.w1, Magnitude{}, upDown{}, UpdateEvery(3)))
			if err != nil {
				t.Fatal(err)
			}
			var returned int
			var before []bool
			for step := 0; step < 40; step++ {
				m.train(t, s, 1)
				p := s.params[0]
				if p.node != m.w1 {
					t.Fatalf("parameter 0 is %s, want w1", p.node.Name())
				}
				for j, k := range before {
					if w := p.w32[j]; !k && (w != 0 || math.Signbit(float64(w))) {
						t.Fatalf("step %d: pruned w1[%d] = %v, want +0", step, j, w)
					}
					if k || !p.keep[j] {
						continue
					}
					returned++
					for _, mom := range moments(inner) {
						if mom[j] != 0 {
							t.Fatalf("step %d: w1[%d] came back with moment %v, want 0",
								step, j, mom[j])
						}
					}
				}
				before = append(before[:0], p.keep...)
			}
			if returned == 0 {
				t.Fatal("no pruned weight came back, so the test shows nothing")
			}
		})
	}
}

// TestResetPrunedMoments checks that resetPruned zeros the moments of
// the weights a mask rejects and keeps the others, and that it leaves
// alone state of another size or for a parameter it does not have.
func TestResetPrunedMoments(t *testing.T) {
	keep := []bool{true, false, true, false}
	cases := []struct {
		name  string
		i     int
		keep  []bool
		wantM []float32
		wantV []float32
	}{
		{"mask", 0, keep, []float32{1, 0, 3, 0}, []float32{5, 0, 7, 0}},
		{"longer mask", 0, append(keep, false), []float32{1, 2, 3, 4}, []float32{5, 6, 7, 8}},
		{"shorter mask", 0, keep[:3], []float32{1, 2, 3, 4}, []float32{5, 6, 7, 8}},
		{"no such parameter", 1, keep, []float32{1, 2, 3, 4}, []float32{5, 6, 7, 8}},
	}
	for _, c := range cases {
		st := moments{two: true, dtype: []dtypeKind{f32},
			m32: [][]float32{{1, 2, 3, 4}}, v32: [][]float32{{5, 6, 7, 8}},
			m64: [][]float64{nil}, v64: [][]float64{nil}}
		st.resetPruned(c.i, c.keep)
		if !slices.Equal(st.m32[0], c.wantM) {
			t.Errorf("%s: first moments %v, want %v", c.name, st.m32[0], c.wantM)
		}
		if !slices.Equal(st.v32[0], c.wantV) {
			t.Errorf("%s: second moments %v, want %v", c.name, st.v32[0], c.wantV)
		}
	}
}

// TestInnerStateResumes runs each of this package's moment solvers on
// its own and moves its state through MarshalState into a fresh solver,
// which places the moments again at its first Step. The weights and the
// state at the end must equal those of an uninterrupted run bit for bit.
func TestInnerStateResumes(t *testing.T) {
	type checkpointSolver interface {
		gorgonia.Solver
		Checkpointer
	}
	inners := []func() checkpointSolver{
		func() checkpointSolver { return NewMomentum() },
		func() checkpointSolver { return NewAdam() },
		func() checkpointSolver { w := NewAdamW(); w.WeightDecay = 0.1; return w },
	}
	const steps, stop = 20, 8
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		for _, newInner := range inners {
			name := fmt.Sprintf("%T %v", newInner(), dt)
			ref, rs := newModel(t, dt, 19), newInner()
			ref.train(t, rs, steps)
			want, err := rs.MarshalState()
			if err != nil {
				t.Fatal(err)
			}

			m, s := newModel(t, dt, 19), newInner()
			m.train(t, s, stop)
			state, err := s.MarshalState()
			if err != nil {
				t.Fatal(err)
			}
			m2, s2 := newModel(t, dt, 19), newInner()
			setWeights(t, m2, weightsOf(m))
			if err := s2.UnmarshalState(state); err != nil {
				t.Fatalf("%s: UnmarshalState: %v", name, err)
			}
			m2.train(t, s2, steps-stop)

			for p, w := range weightsOf(ref) {
				got := float64s(m2.params[p])
				if j := bitsEqual(w, got); j >= 0 {
					t.Fatalf("%s: %s[%d] = %v, uninterrupted run gives %v",
						name, m2.params[p].Name(), j, got[j], w[j])
				}
			}
			got, err := s2.MarshalState()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s: state differs from the uninterrupted run's", name)
			}
		}
	}
}
