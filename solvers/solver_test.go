package solvers

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/regsched/regsched/schedules"
)

// constant is a fixed schedule.
type constant float64

func (c constant) At(int) float64 { return float64(c) }

// ramp goes linearly from 0 at step 0 to to at step end.
type ramp struct {
	to  float64
	end int
}

func (r ramp) At(t int) float64 {
	if t >= r.end {
		return r.to
	}
	return r.to * float64(t) / float64(r.end)
}

// model is a small regression graph: loss = mean((x·w1 + b)·w2 − y)²).
type model struct {
	g      *gorgonia.ExprGraph
	w1, w2 *gorgonia.Node
	b      *gorgonia.Node
	params gorgonia.Nodes
	vm     gorgonia.VM
}

func newModel(t testing.TB, dt tensor.Dtype, seed uint64) *model {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	const batch, in, hidden, out = 16, 8, 12, 3
	randn := func(n int) any {
		if dt == tensor.Float32 {
			v := make([]float32, n)
			for i := range v {
				v[i] = float32(r.NormFloat64())
			}
			return v
		}
		v := make([]float64, n)
		for i := range v {
			v[i] = r.NormFloat64()
		}
		return v
	}
	m := &model{g: gorgonia.NewGraph()}
	x := gorgonia.NewMatrix(m.g, dt, gorgonia.WithShape(batch, in), gorgonia.WithName("x"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(batch, in), tensor.WithBacking(randn(batch*in)))))
	y := gorgonia.NewMatrix(m.g, dt, gorgonia.WithShape(batch, out), gorgonia.WithName("y"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(batch, out), tensor.WithBacking(randn(batch*out)))))
	m.w1 = gorgonia.NewMatrix(m.g, dt, gorgonia.WithShape(in, hidden), gorgonia.WithName("w1"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(in, hidden), tensor.WithBacking(randn(in*hidden)))))
	m.b = gorgonia.NewVector(m.g, dt, gorgonia.WithShape(hidden), gorgonia.WithName("b"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(hidden), tensor.WithBacking(randn(hidden)))))
	m.w2 = gorgonia.NewMatrix(m.g, dt, gorgonia.WithShape(hidden, out), gorgonia.WithName("w2"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(hidden, out), tensor.WithBacking(randn(hidden*out)))))
	h := gorgonia.Must(gorgonia.BroadcastAdd(gorgonia.Must(gorgonia.Mul(x, m.w1)), m.b, nil, []byte{0}))
	pred := gorgonia.Must(gorgonia.Mul(h, m.w2))
	loss := gorgonia.Must(gorgonia.Mean(gorgonia.Must(gorgonia.Square(gorgonia.Must(gorgonia.Sub(pred, y))))))
	m.params = gorgonia.Nodes{m.w1, m.b, m.w2}
	if _, err := gorgonia.Grad(loss, m.params...); err != nil {
		t.Fatal(err)
	}
	m.vm = gorgonia.NewTapeMachine(m.g, gorgonia.BindDualValues(m.params...))
	t.Cleanup(func() { m.vm.Close() })
	return m
}

// forward runs the graph so that every parameter has its gradient.
func (m *model) forward(t testing.TB) {
	t.Helper()
	if err := m.vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	m.vm.Reset()
}

func (m *model) train(t testing.TB, s gorgonia.Solver, steps int) {
	t.Helper()
	vgs := gorgonia.NodesToValueGrads(m.params)
	for i := 0; i < steps; i++ {
		m.forward(t)
		if err := s.Step(vgs); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
}

func float64s(n *gorgonia.Node) []float64 {
	switch d := n.Value().(*tensor.Dense); d.Dtype() {
	case tensor.Float32:
		out := make([]float64, 0, d.Size())
		for _, v := range d.Float32s() {
			out = append(out, float64(v))
		}
		return out
	default:
		return append([]float64(nil), d.Float64s()...)
	}
}

func countZeros(v []float64) int {
	n := 0
	for _, x := range v {
		if x == 0 {
			n++
		}
	}
	return n
}

func TestPrunedWeightsStayZeroUnderInnerSolvers(t *testing.T) {
	inners := []struct {
		name string
		make func() gorgonia.Solver
	}{
		{"vanilla", func() gorgonia.Solver { return gorgonia.NewVanillaSolver() }},
		{"momentum", func() gorgonia.Solver { return gorgonia.NewMomentum() }},
		{"adam", func() gorgonia.Solver { return gorgonia.NewAdamSolver() }},
		{"rmsprop", func() gorgonia.Solver { return gorgonia.NewRMSPropSolver() }},
		{"adagrad", func() gorgonia.Solver { return gorgonia.NewAdaGradSolver() }},
		{"barzilai-borwein", func() gorgonia.Solver { return gorgonia.NewBarzilaiBorweinSolver() }},
		{"regsched sgd", func() gorgonia.Solver { return NewSGD() }},
		{"regsched momentum", func() gorgonia.Solver { return NewMomentum() }},
		{"regsched adam", func() gorgonia.Solver { return NewAdam() }},
		{"regsched adamw", func() gorgonia.Solver { return NewAdamW() }},
	}
	for i, in := range inners {
		dt := tensor.Float32
		if in.name == "barzilai-borwein" {
			dt = tensor.Float64 // Gorgonia's BarzilaiBorwein reads float64 only.
		}
		m := newModel(t, dt, 1)
		opts := []Option{WithPruning(m.w1, Magnitude{}, ramp{to: 0.75, end: 50})}
		if in.name != "adagrad" {
			// gorgonia.WithLearnRate does not reach AdaGradSolver.
			opts = append(opts, WithLearnRate(0.01))
		}
		s, err := Wrap(in.make(), opts...)
		if err != nil {
			t.Fatalf("%d %s: %v", i, in.name, err)
		}
		vgs := gorgonia.NodesToValueGrads(m.params)
		for step := 0; step < 100; step++ {
			m.forward(t)
			if err := s.Step(vgs); err != nil {
				t.Fatalf("%d %s: step %d: %v", i, in.name, step, err)
			}
			w := float64s(m.w1)
			want := roundCount(ramp{to: 0.75, end: 50}.At(step), len(w))
			keep := s.params[0].keep
			pruned := 0
			for j, v := range w {
				if !keep[j] {
					pruned++
					if v != 0 {
						t.Fatalf("%d %s: step %d: pruned w1[%d] = %v, want 0", i, in.name, step, j, v)
					}
				}
			}
			if pruned != want {
				t.Fatalf("%d %s: step %d: %d pruned, want %d", i, in.name, step, pruned, want)
			}
		}
		if got, want := countZeros(float64s(m.w1)), 72; got < want {
			t.Errorf("%d %s: %d zeros in w1, want at least %d", i, in.name, got, want)
		}
	}
}

func TestSelectSmallestExactWithTies(t *testing.T) {
	cases := []struct {
		scores []float64
		k      int
		want   []bool
	}{
		{[]float64{1, 1, 1, 1}, 2, []bool{true, true, false, false}},
		{[]float64{3, 1, 2, 1, 1}, 2, []bool{false, true, false, true, false}},
		{[]float64{0, 0, 5, 0}, 3, []bool{true, true, false, true}},
		{[]float64{math.Inf(-1), 2, math.Inf(1), 1}, 2, []bool{true, false, false, true}},
		{[]float64{4, 3, 2, 1}, 0, []bool{false, false, false, false}},
		{[]float64{4, 3, 2, 1}, 4, []bool{true, true, true, true}},
	}
	for i, c := range cases {
		got := make([]bool, len(c.scores))
		SelectSmallest(c.scores, c.k, make([]float64, len(c.scores)), got)
		for j := range got {
			if got[j] != c.want[j] {
				t.Errorf("case %d: selected %v, want %v", i, got, c.want)
				break
			}
		}
	}
}

// checkSelectSmallest compares SelectSmallest on scores with the first k
// indices of a stable sort of (score, index) pairs.
func checkSelectSmallest(t *testing.T, label string, scores []float64, k int) {
	t.Helper()
	n := len(scores)
	got := make([]bool, n)
	SelectSmallest(scores, k, make([]float64, n), got)

	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(scores[a], scores[b]) })
	want := make([]bool, n)
	for _, i := range order[:k] {
		want[i] = true
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s (n=%d, k=%d): index %d (score %v) selected %v, want %v",
				label, n, k, i, scores[i], got[i], want[i])
		}
	}
}

// TestSelectSmallestMatchesSort compares small inputs with many ties
// against a stable sort.
func TestSelectSmallestMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 200; trial++ {
		n := 1 + r.IntN(500)
		scores := make([]float64, n)
		levels := 1 + r.IntN(20)
		for i := range scores {
			scores[i] = float64(r.IntN(levels))
		}
		checkSelectSmallest(t, fmt.Sprintf("trial %d", trial), scores, r.IntN(n+1))
	}
}

// TestSelectSmallestLargeMatchesSort covers the sampled path (n ≥
// sampledMin): random scores, few distinct values, sorted and reversed
// input, and input whose sample points mislead the bracket, which sends
// the selection to its fallback.
func TestSelectSmallestLargeMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const n = 3*sampledMin + 7
	sampled := map[int]bool{}
	for j := 0; j < sampleSize; j++ {
		sampled[int(uint64(j)*uint64(n)/sampleSize)] = true
	}
	inputs := map[string]func(i int) float64{
		"random":   func(int) float64 { return r.NormFloat64() },
		"ties":     func(int) float64 { return float64(r.IntN(5)) },
		"sorted":   func(i int) float64 { return float64(i) },
		"reversed": func(i int) float64 { return float64(n - i) },
		"-inf and ties": func(i int) float64 {
			if i%3 == 0 {
				return math.Inf(-1)
			}
			return float64(i % 4)
		},
		"misleading sample": func(i int) float64 {
			// Every sampled index has score 0 and every other one 1 to 3,
			// so the bracket [0, 0] contains too few scores for most ranks.
			if sampled[i] {
				return 0
			}
			return 1 + float64(i%3)
		},
	}
	for name, gen := range inputs {
		scores := make([]float64, n)
		for i := range scores {
			scores[i] = gen(i)
		}
		for _, k := range []int{1, n / 10, n / 2, 9 * n / 10, n - 1} {
			checkSelectSmallest(t, name, scores, k)
		}
	}
}

func TestPruningExactCountWithTiedWeights(t *testing.T) {
	// Every weight of w1 has |w| = 1, so the mask is decided by the tie
	// rule alone: the lowest indices are pruned first.
	for i, target := range []float64{0.1, 0.25, 0.5, 0.9} {
		m := newModel(t, tensor.Float64, 2)
		w := m.w1.Value().(*tensor.Dense).Float64s()
		for j := range w {
			w[j] = 1
			if j%2 == 1 {
				w[j] = -1
			}
		}
		s, err := Wrap(gorgonia.NewVanillaSolver(gorgonia.WithLearnRate(0)),
			WithPruning(m.w1, Magnitude{}, constant(target)))
		if err != nil {
			t.Fatal(err)
		}
		m.train(t, s, 1)
		want := roundCount(target, len(w)) // half away from zero
		for j, v := range w {
			if pruned := j < want; pruned != (v == 0) {
				t.Fatalf("case %d: w1[%d] = %v with %d pruned, want the lowest indices pruned",
					i, j, v, want)
			}
		}
	}
}

func TestNaNGradientChangesNothing(t *testing.T) {
	m := newModel(t, tensor.Float32, 5)
	s, err := Wrap(gorgonia.NewAdamSolver(), WithLearnRate(0.01),
		WithPruning(m.w1, Magnitude{}, constant(0.5)))
	if err != nil {
		t.Fatal(err)
	}
	m.train(t, s, 3)
	before := [][]float64{float64s(m.w1), float64s(m.b), float64s(m.w2)}
	steps := s.Steps()
	var saved bytes.Buffer
	if err := s.Save(&saved); err != nil {
		t.Fatal(err)
	}

	m.forward(t)
	g, _ := m.w2.Grad()
	g.(*tensor.Dense).Float32s()[4] = float32(math.NaN())
	err = s.Step(gorgonia.NodesToValueGrads(m.params))
	if err == nil || !strings.Contains(err.Error(), `"w2"`) {
		t.Fatalf("Step error = %v, want one naming w2", err)
	}
	after := [][]float64{float64s(m.w1), float64s(m.b), float64s(m.w2)}
	for p := range before {
		for j := range before[p] {
			if math.Float64bits(before[p][j]) != math.Float64bits(after[p][j]) {
				t.Fatalf("parameter %d index %d changed from %v to %v", p, j, before[p][j], after[p][j])
			}
		}
	}
	if s.Steps() != steps {
		t.Errorf("Steps() = %d after a failed step, want %d", s.Steps(), steps)
	}
	var afterSave bytes.Buffer
	if err := s.Save(&afterSave); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(saved.Bytes(), afterSave.Bytes()) {
		t.Error("a failed step changed the saved state")
	}
}

func TestStepRejectsChangedParameterList(t *testing.T) {
	m := newModel(t, tensor.Float64, 6)
	s, err := Wrap(gorgonia.NewVanillaSolver())
	if err != nil {
		t.Fatal(err)
	}
	m.train(t, s, 1)
	lists := [][]*gorgonia.Node{
		{m.w1, m.b},
		{m.w1, m.w2, m.b},
		{m.w1, m.b, m.w2, m.w2},
	}
	for i, l := range lists {
		m.forward(t)
		if err := s.Step(gorgonia.NodesToValueGrads(l)); err == nil {
			t.Errorf("case %d: Step accepted a changed parameter list", i)
		}
	}
	if s.Steps() != 1 {
		t.Errorf("Steps() = %d, want 1", s.Steps())
	}
}

var _ schedules.Schedule = constant(0)
