package solvers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/regsched/regsched/graphs"
	"github.com/regsched/regsched/ops"
)

// shapedModel is a set of parameters of given shapes, bound to dual
// values by one run of a graph, whose gradients a test sets directly.
type shapedModel struct {
	g      *gorgonia.ExprGraph
	params gorgonia.Nodes
	rand   *rand.Rand
}

func newShapedModel(t *testing.T, dt tensor.Dtype, shapes []tensor.Shape, seed uint64) *shapedModel {
	t.Helper()
	m := &shapedModel{g: gorgonia.NewGraph(), rand: rand.New(rand.NewPCG(seed, 3))}
	var cost *gorgonia.Node
	for i, sh := range shapes {
		v := tensor.New(tensor.WithShape(sh...), tensor.Of(dt))
		m.randomize(v)
		n := gorgonia.NewTensor(m.g, dt, len(sh), gorgonia.WithShape(sh...),
			gorgonia.WithName(fmt.Sprintf("p%d", i)), gorgonia.WithValue(v))
		m.params = append(m.params, n)
		sum := gorgonia.Must(gorgonia.Sum(n))
		if cost == nil {
			cost = sum
		} else {
			cost = gorgonia.Must(gorgonia.Add(cost, sum))
		}
	}
	if _, err := gorgonia.Grad(cost, m.params...); err != nil {
		t.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(m.g, gorgonia.BindDualValues(m.params...))
	t.Cleanup(func() { vm.Close() })
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	return m
}

// randomize fills d with standard normal values.
func (m *shapedModel) randomize(d *tensor.Dense) {
	if d.Dtype() == tensor.Float32 {
		for j := range d.Float32s() {
			d.Float32s()[j] = float32(m.rand.NormFloat64())
		}
		return
	}
	for j := range d.Float64s() {
		d.Float64s()[j] = m.rand.NormFloat64()
	}
}

// step sets random gradients and takes one Step of s.
func (m *shapedModel) step(t *testing.T, s gorgonia.Solver) {
	t.Helper()
	for _, p := range m.params {
		g, err := p.Grad()
		if err != nil {
			t.Fatal(err)
		}
		m.randomize(g.(*tensor.Dense))
	}
	if err := s.Step(gorgonia.NodesToValueGrads(m.params)); err != nil {
		t.Fatal(err)
	}
}

// TestFusedChunksMatchGorgonia wraps this package's Adam and Gorgonia's
// with parameters of 1 weight to over two chunks of the fused pass
// (maskChunk), around and across the chunk edges, with masks, L1 prox and statistics measured
// at every step or on demand. The sparsity targets only rise, so no
// pruned weight comes back. After every step the two must give the same
// bits in every weight and the same zero counts. Norms and term values
// must agree to 1e-12 relative, because the passes sum in chunks of
// different sizes.
func TestFusedChunksMatchGorgonia(t *testing.T) {
	shapes := []tensor.Shape{{1}, {7}, {maskChunk - 1}, {maskChunk}, {maskChunk + 1},
		{33, 97}, {2 * maskChunk}, {3, maskChunk - 5}}
	cases := []struct {
		dtype tensor.Dtype
		eager bool // a Recorder makes Step measure the weights in its passes
		l1    bool
	}{
		{tensor.Float32, false, false},
		{tensor.Float32, false, true},
		{tensor.Float32, true, false},
		{tensor.Float32, true, true},
		{tensor.Float64, false, true},
		{tensor.Float64, true, false},
		{tensor.Float64, true, true},
	}
	for _, c := range cases {
		name := fmt.Sprintf("%v eager=%v l1=%v", c.dtype, c.eager, c.l1)
		build := func(inner gorgonia.Solver) (*shapedModel, *Solver) {
			m := newShapedModel(t, c.dtype, shapes, 5)
			reg := graphs.NewRegularizer(m.g)
			if c.l1 {
				for _, i := range []int{2, 4, 5} {
					if err := reg.Add(m.params[i], ops.L1{}, constant(0.3)); err != nil {
						t.Fatal(err)
					}
				}
			}
			p := m.params
			opts := []Option{WithLearnRate(0.01), WithRegularizer(reg),
				WithPruningGroup(gorgonia.Nodes{p[1], p[3], p[5]}, Magnitude{},
					ramp{to: 0.7, end: 10}, UpdateEvery(2)),
				WithPruning(p[6], Magnitude{}, ramp{to: 0.5, end: 6}, UpdateEvery(3)),
				WithPruning(p[7], Magnitude{}, constant(0.3))}
			if c.eager {
				opts = append(opts, WithRecorder(&keepLast{}))
			}
			s, err := Wrap(inner, opts...)
			if err != nil {
				t.Fatal(err)
			}
			return m, s
		}
		gm, gs := build(gorgonia.NewAdamSolver())
		om, ours := build(NewAdam())
		for step := 0; step < 15; step++ {
			gm.step(t, gs)
			om.step(t, ours)
			for i := range gm.params {
				want, got := float64s(gm.params[i]), float64s(om.params[i])
				if j := bitsEqual(want, got); j >= 0 {
					t.Fatalf("%s step %d: %s[%d] = %v, Gorgonia's Adam gives %v",
						name, step, om.params[i].Name(), j, got[j], want[j])
				}
			}
			want, got := gs.Metrics(), ours.Metrics()
			for i, w := range want.Params {
				g := got.Params[i]
				if g.Zeros != w.Zeros {
					t.Fatalf("%s step %d: %s has %d zeros, Gorgonia's Adam gives %d",
						name, step, w.Name, g.Zeros, w.Zeros)
				}
				if !near(g.WeightNorm, w.WeightNorm) {
					t.Fatalf("%s step %d: %s has norm %v, Gorgonia's Adam gives %v",
						name, step, w.Name, g.WeightNorm, w.WeightNorm)
				}
			}
			for i, w := range want.Terms {
				if g := got.Terms[i]; !near(g.Value, w.Value) {
					t.Fatalf("%s step %d: term %s = %v, Gorgonia's Adam gives %v",
						name, step, w.Name, g.Value, w.Value)
				}
			}
		}
		if got, want := countZeros(float64s(om.params[6])), roundCount(0.5, 2*maskChunk); got < want {
			t.Errorf("%s: %d zeros in p6, want at least %d", name, got, want)
		}
	}
}

// TestPrunedWeightsPositiveZero wraps each of this package's solvers,
// AdamW with a large decay among them, with a sparsity target that rises
// and falls on parameters of 1 to 2049 weights. Every pruned weight must
// be +0 after every step.
func TestPrunedWeightsPositiveZero(t *testing.T) {
	shapes := []tensor.Shape{{1}, {2}, {31}, {1025}, {2049}}
	inners := []func() gorgonia.Solver{
		func() gorgonia.Solver { return NewSGD() },
		func() gorgonia.Solver { return NewMomentum() },
		func() gorgonia.Solver { return NewAdam() },
		func() gorgonia.Solver { w := NewAdamW(); w.WeightDecay = 0.5; return w },
	}
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		for _, l1 := range []bool{false, true} {
			for _, newInner := range inners {
				inner := newInner()
				name := fmt.Sprintf("%T %v l1=%v", inner, dt, l1)
				m := newShapedModel(t, dt, shapes, 8)
				reg := graphs.NewRegularizer(m.g)
				if l1 {
					if err := reg.Add(m.params[3], ops.L1{}, constant(0.1)); err != nil {
						t.Fatal(err)
					}
				}
				s, err := Wrap(inner, WithLearnRate(0.05), WithRegularizer(reg),
					WithPruningGroup(m.params, Magnitude{}, upDown{}, UpdateEvery(2)))
				if err != nil {
					t.Fatal(err)
				}
				for step := 0; step < 40; step++ {
					m.step(t, s)
					for i := range m.params {
						p := &s.params[i]
						w := float64s(m.params[i])
						for j, k := range p.keep {
							if !k && (w[j] != 0 || math.Signbit(w[j])) {
								t.Fatalf("%s step %d: pruned %s[%d] = %v, want +0",
									name, step, p.name, j, w[j])
							}
						}
					}
				}
			}
		}
	}
}
